/**
 * Request URLs as the Gemini specification wants them: absolute, at most 1024 bytes, no
 * userinfo, no fragment, `/` for an empty path, lower-case scheme and host, the host as an
 * IDNA A-label (punycode) and everything else percent-encoded ASCII.
 *
 * @module
 */

import { _byteLength, _encodeComponent, UNRESERVED } from "./_util.ts";

/** The default Gemini port. */
export const DEFAULT_PORT = 1965;

/** The default port of each scheme the toolkit speaks or proxies. */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = Object.freeze({
  gemini: 1965,
  titan: 1965,
  gopher: 70,
  http: 80,
  https: 443,
});

/** The longest URL a request may carry, in bytes; the CRLF after it is not counted. */
export const MAX_REQUEST_URL_BYTES = 1024;

/** Why a URL was refused. */
export type UrlErrorReason =
  | "invalid"
  | "relative"
  | "scheme"
  | "userinfo"
  | "missing-host"
  | "invalid-host"
  | "too-long"
  | "titan-params";

/** Options for {@linkcode UrlError}. */
export interface UrlErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** The URL (or part of one) that was refused. */
  input?: string;
}

/**
 * A URL that cannot be used as a request URL. `reason` says which rule it broke.
 *
 * @example
 * ```ts
 * import { normalizeUrl, UrlError } from "./url.ts";
 * import assert from "node:assert/strict";
 * try {
 *   normalizeUrl("gemini://user@example.org/");
 * } catch (error) {
 *   assert.ok(error instanceof UrlError && error.reason === "userinfo");
 * }
 * ```
 */
export class UrlError extends Error {
  /** Which rule the URL broke. */
  readonly reason: UrlErrorReason;
  /** The URL (or part of one) that was refused, when known. */
  readonly input?: string;

  /** Creates an error for `reason` with a message that says what was wrong and where. */
  constructor(reason: UrlErrorReason, message: string, options: UrlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UrlError";
    this.reason = reason;
    if (options.input !== undefined) this.input = options.input;
  }
}

/** Options for {@linkcode normalizeUrl}. */
export interface NormalizeUrlOptions {
  /**
   * The schemes accepted, lower case. Default: any scheme (a proxy request may carry
   * `gopher:` or `https:` URLs); pass `["gemini"]` to accept Gemini URLs only.
   */
  schemes?: readonly string[];
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** The authority part of an absolute URL string (between `//` and the path), or undefined. */
export function _rawAuthority(text: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(text);
  return m ? m[1] : undefined;
}

/**
 * Converts a host to its normal ASCII form: IP literals lower-cased, names decoded from
 * percent-encoding, mapped per UTS 46 and converted to IDNA A-labels (punycode). Uses the
 * URL parser's own IDNA processing for special schemes.
 */
export function _asciiHost(host: string): string {
  if (host.startsWith("[")) return host.toLowerCase();
  if (isPlainName(host)) return host;
  let decoded: string;
  try {
    decoded = decodeURIComponent(host);
  } catch (cause) {
    throw new UrlError("invalid-host", `Host ${JSON.stringify(host)} has bad percent-encoding`, {
      cause,
      input: host,
    });
  }
  if (decoded === "") {
    throw new UrlError("missing-host", "URL has an empty host", { input: host });
  }
  // deno-lint-ignore no-control-regex
  const bad = /[\x00-\x20\x7f/:@?#[\]\\%<>^|]/.exec(decoded);
  if (bad) {
    throw new UrlError(
      "invalid-host",
      `Host ${JSON.stringify(decoded)} has a forbidden character at index ${bad.index}`,
      { input: host },
    );
  }
  try {
    return new URL(`http://${decoded}/`).hostname;
  } catch (cause) {
    throw new UrlError("invalid-host", `Host ${JSON.stringify(decoded)} is not a valid name`, {
      cause,
      input: host,
    });
  }
}

/** Lower-case letters, digits and hyphens in dot-separated labels. */
const LDH_NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;
/** A label the URL parser reads as a number (so the host may be an IPv4 address). */
const NUMERIC_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/;

/**
 * Whether `host` is already in the form {@linkcode _asciiHost} gives: a lower-case
 * letter-digit-hyphen name whose labels need no IDNA processing (none is an A-label, whose
 * punycode the parser checks) and whose last label is not a number (which would make it
 * an IPv4 address to normalise).
 */
function isPlainName(host: string): boolean {
  return LDH_NAME.test(host) && !host.startsWith("xn--") && !host.includes(".xn--") &&
    !NUMERIC_LABEL.test(host);
}

/** Upper-cases percent-escapes and decodes those of unreserved characters (RFC 3986 6.2.2). */
function normalizeEscapes(part: string): string {
  return part.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

/**
 * Normalises an already parsed URL in place: host to A-label, default port dropped, empty
 * path to `/`, fragment removed, escapes normalised. Shared by the request-line parser.
 */
export function _normalizeParsed(url: URL): URL {
  if (url.username !== "" || url.password !== "") {
    throw new UrlError("userinfo", `URL ${url.href} has userinfo, which is not allowed`, {
      input: url.href,
    });
  }
  if (url.host === "") {
    throw new UrlError("missing-host", `URL ${url.href} has no host`, { input: url.href });
  }
  const ascii = _asciiHost(url.hostname);
  if (ascii !== url.hostname) url.hostname = ascii;
  const scheme = url.protocol.slice(0, -1);
  if (url.port !== "" && Number(url.port) === DEFAULT_PORTS[scheme]) url.port = "";
  // Each URL setter is a whole re-parse: set only what changes.
  // (An empty fragment leaves `hash` empty but `href` ending with `#`.)
  if (url.hash !== "" || url.href.endsWith("#")) url.hash = "";
  const pathname = url.pathname;
  const path = pathname.includes("%") ? normalizeEscapes(pathname) : pathname;
  if (path === "") url.pathname = "/";
  else if (path !== pathname) url.pathname = path;
  if (url.search !== "") {
    const search = normalizeEscapes(url.search);
    if (search !== url.search) url.search = search;
  }
  return url;
}

function checkLength(href: string): void {
  const bytes = _byteLength(href);
  if (bytes > MAX_REQUEST_URL_BYTES) {
    throw new UrlError(
      "too-long",
      `URL is ${bytes} bytes, over the limit of ${MAX_REQUEST_URL_BYTES}`,
      { input: href.slice(0, 64) },
    );
  }
}

/**
 * Turns user input or a parsed URL into the URL a client sends: absolute (a scheme is
 * required), no userinfo, fragment removed, empty path as `/`, scheme and host in lower case,
 * an internationalised host converted to punycode, non-ASCII path and query percent-encoded,
 * the scheme's default port dropped, and at most 1024 bytes. Throws a {@linkcode UrlError}.
 *
 * @example
 * ```ts
 * import { normalizeUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * const url = normalizeUrl("GEMINI://Naïve.Example:1965/café#top");
 * assert.equal(url.href, "gemini://xn--nave-6pa.example/caf%C3%A9");
 * ```
 */
export function normalizeUrl(input: string | URL, options: NormalizeUrlOptions = {}): URL {
  let url: URL;
  if (typeof input === "string") {
    const text = input.trim();
    if (!SCHEME_RE.test(text)) {
      throw new UrlError("relative", `URL ${JSON.stringify(text)} has no scheme`, { input });
    }
    const authority = _rawAuthority(text);
    if (authority?.includes("@")) {
      throw new UrlError("userinfo", `URL ${JSON.stringify(text)} has userinfo`, { input });
    }
    try {
      url = new URL(text);
    } catch (cause) {
      throw new UrlError("invalid", `URL ${JSON.stringify(text)} cannot be parsed`, {
        cause,
        input,
      });
    }
  } else {
    url = new URL(input.href);
  }
  const scheme = url.protocol.slice(0, -1);
  if (options.schemes && !options.schemes.includes(scheme)) {
    throw new UrlError(
      "scheme",
      `URL scheme "${scheme}" is not one of ${options.schemes.join(", ")}`,
      { input: url.href },
    );
  }
  _normalizeParsed(url);
  checkLength(url.href);
  return url;
}

/**
 * The request line for `url`: the normalised URL followed by CRLF. Throws a
 * {@linkcode UrlError} when the URL is not usable or longer than 1024 bytes.
 *
 * @example
 * ```ts
 * import { formatRequestLine } from "./url.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatRequestLine("gemini://example.org"), "gemini://example.org/\r\n");
 * ```
 */
export function formatRequestLine(url: string | URL): string {
  return `${normalizeUrl(url).href}\r\n`;
}

/**
 * The URL to request after a 10/11 input prompt: `url` with its query replaced (never
 * appended to) by `answer`, percent-encoded as UTF-8 with everything outside the unreserved
 * characters escaped, so a space is `%20` (never `+`), `+` is `%2B` and a newline `%0A`.
 * Throws a {@linkcode UrlError} `too-long` when the result exceeds 1024 bytes.
 *
 * @example
 * ```ts
 * import { withInput } from "./url.ts";
 * import assert from "node:assert/strict";
 * const url = withInput("gemini://example.org/search?old", "a b+c");
 * assert.equal(url.href, "gemini://example.org/search?a%20b%2Bc");
 * ```
 */
export function withInput(url: string | URL, answer: string): URL {
  const out = normalizeUrl(url);
  out.search = `?${_encodeComponent(answer)}`;
  checkLength(out.href);
  return out;
}

/** A host and port to connect to. */
export interface HostAndPort {
  /** The host name or IP address, without IPv6 brackets. */
  host: string;
  /** The port: the URL's own, else the scheme's default, else 1965. */
  port: number;
}

/**
 * The host (IPv6 brackets removed) and port (the scheme's default when absent) of a URL.
 *
 * @example
 * ```ts
 * import { hostAndPort } from "./url.ts";
 * import assert from "node:assert/strict";
 * const { host, port } = hostAndPort("gemini://[::1]/");
 * assert.equal(host, "::1");
 * assert.equal(port, 1965);
 * ```
 */
export function hostAndPort(url: string | URL): HostAndPort {
  const parsed = typeof url === "string" ? new URL(url) : url;
  const hostname = parsed.hostname;
  const host = hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
  const scheme = parsed.protocol.slice(0, -1);
  const port = parsed.port !== "" ? Number(parsed.port) : DEFAULT_PORTS[scheme] ?? DEFAULT_PORT;
  return { host, port };
}

const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Whether `host` is an IP address (dotted IPv4, or IPv6 with or without brackets) rather
 * than a name. Clients send no SNI for IP literals.
 *
 * @example
 * ```ts
 * import { isIpLiteral } from "./url.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isIpLiteral("127.0.0.1"));
 * assert.ok(isIpLiteral("[::1]"));
 * assert.ok(!isIpLiteral("example.org"));
 * ```
 */
export function isIpLiteral(host: string): boolean {
  if (IPV4_RE.test(host)) return true;
  const inner = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!inner.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(inner)) return false;
  try {
    new URL(`http://[${inner}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves a reference (a link or a redirect target) against a base URL per RFC 3986
 * section 5: dot segments, network-path (`//host/p`) and query-only (`?q`) references.
 * Throws a {@linkcode UrlError} `invalid` when the result is not a URL.
 *
 * @example
 * ```ts
 * import { resolveUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveUrl("gemini://h/a/b/c", "../x").href, "gemini://h/a/x");
 * assert.equal(resolveUrl("gemini://h/a?q", "?r").href, "gemini://h/a?r");
 * ```
 */
export function resolveUrl(base: string | URL, ref: string): URL {
  try {
    return new URL(ref, base);
  } catch (cause) {
    throw new UrlError(
      "invalid",
      `Reference ${JSON.stringify(ref)} cannot be resolved against ${String(base)}`,
      { cause, input: ref },
    );
  }
}
