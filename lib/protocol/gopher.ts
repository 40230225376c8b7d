/**
 * Gopher (RFC 1436) for a multi-protocol client or a gopher-to-gemini proxy: gopher URLs
 * (RFC 4266), request lines, menus parsed into typed items, and menus as gemtext.
 *
 * @module
 */

import { _encodeComponent } from "./_util.ts";
import { UrlError } from "./url.ts";

/** What a gopher item type character means. */
export type GopherItemKind =
  | "text"
  | "menu"
  | "cso"
  | "error"
  | "binhex"
  | "dos"
  | "uuencoded"
  | "search"
  | "telnet"
  | "binary"
  | "mirror"
  | "gif"
  | "image"
  | "tn3270"
  | "info"
  | "html"
  | "sound"
  | "png"
  | "document"
  | "unknown";

/**
 * The gopher item types: RFC 1436's and the de-facto `i`, `h`, `s`, `p`, `d`.
 *
 * @example
 * ```ts
 * import { GOPHER_TYPES } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * assert.equal(GOPHER_TYPES["1"], "menu");
 * assert.equal(GOPHER_TYPES["i"], "info");
 * ```
 */
export const GOPHER_TYPES: Readonly<Record<string, GopherItemKind>> = Object.freeze({
  "0": "text",
  "1": "menu",
  "2": "cso",
  "3": "error",
  "4": "binhex",
  "5": "dos",
  "6": "uuencoded",
  "7": "search",
  "8": "telnet",
  "9": "binary",
  "+": "mirror",
  "g": "gif",
  "I": "image",
  "T": "tn3270",
  "i": "info",
  "h": "html",
  "s": "sound",
  "p": "png",
  "d": "document",
});

/** The default gopher port. */
export const GOPHER_DEFAULT_PORT = 70;

/** The parts of a gopher URL. */
export interface GopherUrl {
  /** Host name or address, without IPv6 brackets. */
  host: string;
  /** Port, 70 when absent. */
  port: number;
  /** The item type character; `1` (menu) for an empty path. */
  type: string;
  /** The selector, percent-decoded: the bytes to send (may be empty). */
  selector: string;
  /** For type 7: the search string (`%09` in the path, or the `?query` some clients use). */
  search?: string;
}

function decodeLenient(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...new TextEncoder().encode(ch));
      i += ch.length - 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * Splits a gopher URL into host, port, item type, selector and search string (RFC 4266:
 * `gopher://host:port/<type><selector>%09<search>`). Throws a {@linkcode UrlError} when
 * the URL is not `gopher:` or its selector would hold CR or LF.
 *
 * @example
 * ```ts
 * import { parseGopherUrl } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * const g = parseGopherUrl("gopher://example.org/7/find%09two%20words");
 * assert.equal(g.type, "7");
 * assert.equal(g.selector, "/find");
 * assert.equal(g.search, "two words");
 * assert.equal(parseGopherUrl("gopher://example.org").type, "1");
 * ```
 */
export function parseGopherUrl(url: string | URL): GopherUrl {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch (cause) {
    throw new UrlError("invalid", `Gopher URL ${JSON.stringify(url)} cannot be parsed`, {
      cause,
      input: String(url),
    });
  }
  if (parsed.protocol !== "gopher:") {
    throw new UrlError("scheme", `URL ${parsed.href} is not a gopher URL`, {
      input: parsed.href,
    });
  }
  if (parsed.hostname === "") {
    throw new UrlError("missing-host", `Gopher URL ${parsed.href} has no host`, {
      input: parsed.href,
    });
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port === "" ? GOPHER_DEFAULT_PORT : Number(parsed.port);
  const path = decodeLenient(parsed.pathname.replace(/^\//, ""));
  const type = path === "" ? "1" : String.fromCodePoint(path.codePointAt(0)!);
  const fields = path.slice(type.length).split("\t");
  const selector = fields[0];
  let search: string | undefined = fields.length > 1 ? fields[1] : undefined;
  if (search === undefined && parsed.search.length > 1) {
    search = decodeLenient(parsed.search.slice(1));
  }
  if (/[\r\n]/.test(selector) || (search !== undefined && /[\r\n\t]/.test(search))) {
    throw new UrlError("invalid", `Gopher URL ${parsed.href} has a line break in its selector`, {
      input: parsed.href,
    });
  }
  const out: GopherUrl = { host, port, type, selector };
  if (search !== undefined) out.search = search;
  return out;
}

/**
 * The request line a gopher client sends: the selector, then TAB and the search string for
 * a search (type 7), then CRLF. Throws a `TypeError` if the selector holds TAB, CR or LF or
 * the search holds CR or LF.
 *
 * @example
 * ```ts
 * import { formatGopherRequest } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatGopherRequest("/find", "words"), "/find\twords\r\n");
 * assert.equal(formatGopherRequest(""), "\r\n");
 * ```
 */
export function formatGopherRequest(selector: string, search?: string): string {
  if (/[\t\r\n]/.test(selector)) {
    throw new TypeError(`Gopher selector ${JSON.stringify(selector)} holds a TAB, CR or LF`);
  }
  if (search !== undefined && /[\r\n]/.test(search)) {
    throw new TypeError(`Gopher search ${JSON.stringify(search)} holds a CR or LF`);
  }
  return search === undefined ? `${selector}\r\n` : `${selector}\t${search}\r\n`;
}

/** One line of a gopher menu. */
export interface GopherItem {
  /** The type character as sent. */
  type: string;
  /** What the type means; `unknown` for types not in {@linkcode GOPHER_TYPES}. */
  kind: GopherItemKind;
  /** The text to show. */
  display: string;
  /** The selector (empty when missing). */
  selector: string;
  /** The host (empty when missing: use the menu's own host). */
  host: string;
  /** The port (70 when missing or not a number). */
  port: number;
}

/**
 * Parses a gopher menu (type 1) into typed items. Tolerant: CRLF or LF line ends, missing
 * fields (empty selector and host, port 70), a blank line as an empty info line, Gopher+
 * extra fields ignored; parsing stops at the terminating `.` line, which is not an item,
 * and works without it. Never throws.
 *
 * @example
 * ```ts
 * import { parseGopherMenu } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * const items = parseGopherMenu("iWelcome\tfake\t(NULL)\t0\r\n1Docs\t/docs\texample.org\t70\r\n.\r\n");
 * assert.equal(items.length, 2);
 * assert.equal(items[0].kind, "info");
 * assert.equal(items[1].selector, "/docs");
 * ```
 */
export function parseGopherMenu(text: string): GopherItem[] {
  const items: GopherItem[] = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const rawLine of lines) {
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    if (line === ".") break;
    if (line === "") {
      items.push({ type: "i", kind: "info", display: "", selector: "", host: "", port: 70 });
      continue;
    }
    const type = String.fromCodePoint(line.codePointAt(0)!);
    const fields = line.slice(type.length).split("\t");
    const portText = (fields[3] ?? "").trim();
    const port = /^[0-9]{1,5}$/.test(portText) && Number(portText) > 0 && Number(portText) < 65536
      ? Number(portText)
      : GOPHER_DEFAULT_PORT;
    items.push({
      type,
      kind: Object.hasOwn(GOPHER_TYPES, type) ? GOPHER_TYPES[type] : "unknown",
      display: fields[0],
      selector: fields[1] ?? "",
      host: (fields[2] ?? "").trim(),
      port,
    });
  }
  return items;
}

/** Where a menu came from, for items that do not name their own host. */
export interface GopherOrigin {
  /** The menu's host. */
  host: string;
  /** The menu's port. Default 70. */
  port?: number;
}

/**
 * The URL an item links to, or `undefined` for items that are not links (info and error
 * lines, or items with no host and no `origin`). `h` items with a `URL:` selector link to
 * that URL; telnet and tn3270 items to `telnet://` and `tn3270://`; the rest to a gopher
 * URL with the type and the percent-encoded selector, the port omitted when 70.
 *
 * @example
 * ```ts
 * import { gopherItemUrl } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * const url = gopherItemUrl({
 *   type: "0", kind: "text", display: "About", selector: "/about me.txt", host: "h", port: 70,
 * });
 * assert.equal(url, "gopher://h/0/about%20me.txt");
 * ```
 */
export function gopherItemUrl(item: GopherItem, origin?: GopherOrigin): string | undefined {
  if (item.kind === "info" || item.kind === "error") return undefined;
  if (item.type === "h" && item.selector.startsWith("URL:")) return item.selector.slice(4);
  const host = item.host !== "" ? item.host : origin?.host;
  if (host === undefined || host === "") return undefined;
  const port = item.host !== "" ? item.port : origin?.port ?? GOPHER_DEFAULT_PORT;
  const authority = (host.includes(":") ? `[${host}]` : host).toLowerCase();
  if (item.kind === "telnet" || item.kind === "tn3270") {
    const scheme = item.kind === "telnet" ? "telnet" : "tn3270";
    return `${scheme}://${authority}${port === 23 ? "" : `:${port}`}/`;
  }
  const portPart = port === GOPHER_DEFAULT_PORT ? "" : `:${port}`;
  const selector = _encodeComponent(item.selector, /[A-Za-z0-9\-._~/!$&'()*+,;=:@]/);
  const type = _encodeComponent(item.type, /[A-Za-z0-9\-._~+]/);
  return `gopher://${authority}${portPart}/${type}${selector}`;
}

/**
 * Renders menu items as gemtext: runs of info and error lines (and items whose URL cannot
 * be built) become one preformatted block, so ASCII art and columns survive and no line is
 * mistaken for gemtext markup; every other item becomes a link line `=> URL display`.
 * Items without a host use `origin`.
 *
 * @example
 * ```ts
 * import { gopherMenuToGemtext, parseGopherMenu } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * const items = parseGopherMenu("iHello\t\t\t\n1Docs\t/docs\t\t\n");
 * const text = gopherMenuToGemtext(items, { host: "example.org" });
 * const fence = "`".repeat(3);
 * assert.equal(text, `${fence}\nHello\n${fence}\n=> gopher://example.org/1/docs Docs\n`);
 * ```
 */
export function gopherMenuToGemtext(items: readonly GopherItem[], origin: GopherOrigin): string {
  let out = "";
  let pre = false;
  for (const item of items) {
    const url = gopherItemUrl(item, origin);
    if (url === undefined) {
      if (!pre) {
        out += "```\n";
        pre = true;
      }
      const line = item.kind === "info" || item.kind === "error"
        ? item.display
        : `${item.display} (${item.type} ${item.selector})`;
      out += `${line.startsWith("```") ? " " : ""}${line}\n`;
      continue;
    }
    if (pre) {
      out += "```\n";
      pre = false;
    }
    const display = item.display.trim() === "" ? item.selector : item.display;
    out += `=> ${url} ${display}`.trimEnd() + "\n";
  }
  if (pre) out += "```\n";
  return out;
}

/**
 * The media type to use for an item type: `text/plain` for text (0), `text/gemini` for
 * menus and search results (1, 7) once converted with {@linkcode gopherMenuToGemtext},
 * `text/html` for h, `image/gif` for g, `image/png` for p, and
 * `application/octet-stream` for other and unknown types.
 *
 * @example
 * ```ts
 * import { gopherTypeToMediaType } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * assert.equal(gopherTypeToMediaType("0"), "text/plain");
 * assert.equal(gopherTypeToMediaType("1"), "text/gemini");
 * ```
 */
export function gopherTypeToMediaType(type: string): string {
  switch (type) {
    case "0":
    case "2":
    case "3":
    case "i":
      return "text/plain";
    case "1":
    case "7":
      return "text/gemini";
    case "h":
      return "text/html";
    case "4":
      return "application/mac-binhex40";
    case "6":
      return "text/x-uuencode";
    case "g":
      return "image/gif";
    case "p":
      return "image/png";
    default:
      return "application/octet-stream";
  }
}
