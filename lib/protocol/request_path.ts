/**
 * The path of a request URL, decoded and normalised for a server that maps it to files or
 * routes: percent-decoding first, then dot-segment removal, refusing any climb above root.
 *
 * @module
 */

import { RequestError } from "./request_error.ts";

/** A decoded request path. */
export interface DecodedRequestPath {
  /** The path percent-decoded (as UTF-8), before normalisation. */
  path: string;
  /**
   * The decoded path with `.` and `..` segments resolved and repeated slashes collapsed;
   * always starts with `/` and keeps a trailing slash (`/a/./b//c/` is `/a/b/c/`).
   */
  normalized: string;
  /** The non-empty segments of `normalized`. */
  segments: string[];
  /** Whether the raw path had an encoded slash (`%2F`) or backslash (`%5C`) in a segment. */
  encodedSlash: boolean;
}

const DECODER = new TextDecoder("utf-8", { fatal: true });
/** A path that decodes to itself: printable ASCII without `%` or a backslash. */
const PLAIN = /^[\x21-\x24\x26-\x5b\x5d-\x7e]*$/;

function decodeSegment(raw: string, where: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new RequestError(
          "bad-percent-encoding",
          `Request path ${where} has a malformed percent-escape at ${
            JSON.stringify(raw.slice(i, i + 3))
          }`,
        );
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Raw non-ASCII (an IRI that was not parsed by the URL class): encode as UTF-8.
      const ch = String.fromCodePoint(raw.codePointAt(i)!);
      bytes.push(...new TextEncoder().encode(ch));
      i += ch.length - 1;
    }
  }
  let text: string;
  try {
    text = DECODER.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new RequestError("invalid-utf8", `Request path ${where} is not UTF-8 once decoded`, {
      cause,
    });
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) {
      throw new RequestError("nul", `Request path ${where} decodes to a NUL byte`);
    }
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      throw new RequestError(
        "control-char",
        `Request path ${where} decodes to a control character`,
      );
    }
  }
  return text;
}

/**
 * Decodes the `%XX` escapes of one path segment exactly once, as UTF-8. Throws a
 * {@linkcode RequestError}: `bad-percent-encoding`, `invalid-utf8`, `nul` or `control-char`.
 * A decoded segment may still hold `/` or `\` (from `%2F`, `%5C`): a file server must refuse
 * those itself.
 *
 * @example
 * ```ts
 * import { decodePathSegment } from "./request_path.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodePathSegment("caf%C3%A9"), "café");
 * assert.equal(decodePathSegment("a%2Fb"), "a/b");
 * ```
 */
export function decodePathSegment(segment: string): string {
  return decodeSegment(
    segment,
    JSON.stringify(segment.length > 80 ? `${segment.slice(0, 80)}...` : segment),
  );
}

/**
 * Decodes and normalises the path of a request URL. Percent-escapes are decoded first
 * (as UTF-8), then `.` and `..` segments are resolved, so encoded traversal such as
 * `/%2e%2e/x` or `/a%2F..%2F..` is caught. Throws a {@linkcode RequestError}:
 * `bad-percent-encoding` (`%zz`, `%4`), `nul` (`%00`), `control-char`, `invalid-utf8`, or
 * `path-traversal` when a `..` would climb above the root. An encoded slash or backslash
 * inside a segment counts as a separator for the traversal check and is reported in
 * `encodedSlash` so a file server can refuse it.
 *
 * @example
 * ```ts
 * import { decodeRequestPath } from "./request_path.ts";
 * import assert from "node:assert/strict";
 * const decoded = decodeRequestPath(new URL("gemini://h/a/./b//caf%C3%A9/"));
 * assert.equal(decoded.normalized, "/a/b/café/");
 * assert.equal(decoded.segments.join("|"), "a|b|café");
 * ```
 */
export function decodeRequestPath(url: URL | string): DecodedRequestPath {
  const raw = typeof url === "string" ? new URL(url).pathname : url.pathname;
  const where = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw);
  let encodedSlash = false;
  let path: string;
  let parts: string[];
  if (PLAIN.test(raw)) {
    // Nothing to decode and no backslash: the common case, without a decoder per segment.
    path = raw;
    parts = raw.split("/");
  } else {
    const decodedSegments = raw.split("/").map((segment) => {
      const text = decodeSegment(segment, where);
      if (text.includes("/") || text.includes("\\")) encodedSlash = true;
      return text;
    });
    path = decodedSegments.join("/");
    parts = path.split(/[/\\]/);
  }
  const out: string[] = [];
  for (const part of parts) {
    if (part === "..") {
      if (out.length === 0) {
        throw new RequestError("path-traversal", `Request path ${where} climbs above the root`);
      }
      out.pop();
    } else if (part !== "." && part !== "") {
      out.push(part);
    }
  }
  const last = parts[parts.length - 1];
  const trailing = parts.length > 1 && (last === "" || last === "." || last === "..");
  let normalized = `/${out.join("/")}`;
  if (trailing && out.length > 0) normalized += "/";
  return {
    path: path.startsWith("/") ? path : `/${path}`,
    normalized,
    segments: out,
    encodedSlash,
  };
}

/**
 * The one path a server applies its rules to and serves from: the request path decoded
 * once, with `.` and `..` segments resolved and empty segments collapsed, keeping a
 * trailing slash (`//a/./b//c/` is `/a/b/c/`). Every rule of a server (locations,
 * certificate checks, redirects, rate limits, CGI, Titan, proxying) and its file server see
 * this same value, so no spelling of a path can match one rule and be served by another.
 *
 * Throws a {@linkcode RequestError} (status 59) for what {@linkcode decodeRequestPath}
 * refuses and, in addition, `encoded-separator` for a segment that decodes to a slash
 * (`%2F`) or holds a backslash, raw or encoded: such a segment would name another path
 * once decoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { canonicalRequestPath } from "./request_path.ts";
 * assert.equal(canonicalRequestPath(new URL("gemini://h//members/./s.gmi")), "/members/s.gmi");
 * assert.equal(canonicalRequestPath(new URL("gemini://h/%6Dembers/")), "/members/");
 * assert.throws(() => canonicalRequestPath(new URL("gemini://h/a/..%2F..%2Fetc")));
 * ```
 */
export function canonicalRequestPath(url: URL | string): string {
  const decoded = decodeRequestPath(url);
  if (decoded.encodedSlash || decoded.path.includes("\\")) {
    const raw = typeof url === "string" ? new URL(url).pathname : url.pathname;
    throw new RequestError(
      "encoded-separator",
      `Request path ${
        JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw)
      } has an encoded slash or a backslash`,
    );
  }
  return decoded.normalized;
}

/** Characters a path segment may hold unencoded (RFC 3986 pchar, without `%`). */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

/**
 * Percent-encodes a decoded path (such as {@linkcode canonicalRequestPath} returns) so it
 * can stand in a URL again: every character outside RFC 3986's `pchar` set is encoded as
 * UTF-8, slashes separate segments.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { encodeRequestPath } from "./request_path.ts";
 * assert.equal(encodeRequestPath("/café/a b?.gmi"), "/caf%C3%A9/a%20b%3F.gmi");
 * ```
 */
export function encodeRequestPath(path: string): string {
  let out = "";
  for (const ch of path) {
    if (ch === "/" || PCHAR.test(ch)) out += ch;
    else {
      for (const byte of new TextEncoder().encode(ch)) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      }
    }
  }
  return out;
}
