/**
 * Server side of the request line: find it in the bytes received so far, parse it into a
 * URL with typed rejections, and check that it is for this server.
 *
 * @module
 */

import { RequestError } from "./request_error.ts";
import {
  _asciiHost,
  _normalizeParsed,
  _rawAuthority,
  hostAndPort,
  MAX_REQUEST_URL_BYTES,
  UrlError,
} from "./url.ts";

/** The longest request line on the wire: a 1024-byte URL plus CRLF. */
export const MAX_REQUEST_LINE_BYTES: number = MAX_REQUEST_URL_BYTES + 2;

const CR = 0x0d;
const LF = 0x0a;

/** A request line found in a buffer. */
export interface ScannedRequestLine {
  /** The URL bytes, without the CRLF. */
  line: Uint8Array;
  /** The bytes after the CRLF (a server ignores them). */
  rest: Uint8Array;
}

/**
 * Looks for the request line at the start of `buf`, the bytes received so far. Returns the
 * line (without CRLF) and the rest, or `null` when more bytes are needed. Throws a
 * {@linkcode RequestError} as soon as the bytes cannot become a valid line: `too-long` once
 * more than 1024 bytes arrived without CRLF, `bare-lf` for an LF without CR, `control-char`
 * for a CR not followed by LF. Never looks past the first 1026 bytes, so a server can call
 * it on every chunk and never buffers more than that.
 *
 * @example
 * ```ts
 * import { scanRequestLine } from "./request.ts";
 * import assert from "node:assert/strict";
 * const bytes = new TextEncoder().encode("gemini://example.org/\r\nextra");
 * const found = scanRequestLine(bytes);
 * assert.ok(found !== null);
 * assert.equal(found.line.length, 21);
 * assert.equal(found.rest.length, 5);
 * assert.equal(scanRequestLine(bytes.subarray(0, 10)), null);
 * ```
 */
export function scanRequestLine(buf: Uint8Array): ScannedRequestLine | null {
  const end = Math.min(buf.length, MAX_REQUEST_LINE_BYTES);
  for (let i = 0; i < end; i++) {
    const byte = buf[i];
    if (byte === LF) {
      throw new RequestError("bare-lf", `Request line ends with a bare LF at byte ${i}`, {
        offset: i,
      });
    }
    if (byte === CR) {
      if (i > MAX_REQUEST_URL_BYTES) break; // too long: reported below
      if (i + 1 >= buf.length) break; // the LF may still come
      if (buf[i + 1] !== LF) {
        throw new RequestError("control-char", `Request has a bare CR at byte ${i}`, {
          offset: i,
        });
      }
      return { line: buf.subarray(0, i), rest: buf.subarray(i + 2) };
    }
  }
  // No CRLF yet. A trailing CR at byte 1024 may still be completed by an LF.
  const pendingCr = buf.length === MAX_REQUEST_URL_BYTES + 1 &&
    buf[MAX_REQUEST_URL_BYTES] === CR;
  // (a CR at byte 1025 or later, or 1025+ bytes without CR, cannot end a valid line)
  if (buf.length > MAX_REQUEST_URL_BYTES && !pendingCr) {
    throw new RequestError(
      "too-long",
      `Request has no CRLF within the first ${MAX_REQUEST_LINE_BYTES} bytes (URL limit ${MAX_REQUEST_URL_BYTES})`,
      { offset: MAX_REQUEST_URL_BYTES },
    );
  }
  return null;
}

/** Options for {@linkcode parseRequestLine}. */
export interface ParseRequestLineOptions {
  /** The schemes accepted; others are refused with `other-scheme` (53). Default `["gemini"]`. */
  schemes?: readonly string[];
}

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();
const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses a request line (the URL bytes, with or without the final CRLF) into a normalised
 * URL: scheme and host lower case, host as punycode, empty path as `/`, default port
 * dropped. Accepts raw UTF-8 (IRIs), which is percent-encoded. Throws a
 * {@linkcode RequestError} naming the rule broken: `too-long`, `empty`, `bom`,
 * `invalid-utf8`, `nul`, `control-char`, `bare-lf`, `relative-url`, `fragment`, `userinfo`,
 * `bad-percent-encoding`, `path-traversal`, `invalid-url` (all 59) or `other-scheme` (53).
 *
 * @example
 * ```ts
 * import { parseRequestLine } from "./request.ts";
 * import assert from "node:assert/strict";
 * const url = parseRequestLine("GEMINI://Example.ORG:1965\r\n");
 * assert.equal(url.href, "gemini://example.org/");
 * ```
 */
export function parseRequestLine(
  lineBytes: Uint8Array | string,
  options: ParseRequestLineOptions = {},
): URL {
  let bytes = typeof lineBytes === "string" ? ENCODER.encode(lineBytes) : lineBytes;
  if (bytes.length >= 2 && bytes[bytes.length - 2] === CR && bytes[bytes.length - 1] === LF) {
    bytes = bytes.subarray(0, bytes.length - 2);
  }
  if (bytes.length > MAX_REQUEST_URL_BYTES) {
    throw new RequestError(
      "too-long",
      `Request URL is ${bytes.length} bytes, over the limit of ${MAX_REQUEST_URL_BYTES}`,
      { offset: MAX_REQUEST_URL_BYTES },
    );
  }
  if (bytes.length === 0) throw new RequestError("empty");
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new RequestError("bom", undefined, { offset: 0 });
  }
  let text: string;
  try {
    text = DECODER.decode(bytes);
  } catch (cause) {
    throw new RequestError("invalid-utf8", "Request is not valid UTF-8", { cause });
  }
  checkCharacters(text);
  const scheme = SCHEME_RE.exec(text)?.[1].toLowerCase();
  if (scheme === undefined) {
    throw new RequestError("relative-url", `Request URL ${quote(text)} has no scheme`);
  }
  const hash = text.indexOf("#");
  if (hash !== -1) {
    throw new RequestError("fragment", `Request URL has a fragment at character ${hash}`, {
      offset: hash,
    });
  }
  const authority = _rawAuthority(text);
  if (authority?.includes("@")) {
    throw new RequestError("userinfo", `Request URL has userinfo in ${quote(authority)}`);
  }
  const schemes = options.schemes ?? ["gemini"];
  if (!schemes.includes(scheme)) {
    throw new RequestError(
      "other-scheme",
      `Request URL scheme "${scheme}" is not served here (only ${schemes.join(", ")})`,
    );
  }
  if (authority === undefined || authority === "") {
    throw new RequestError("invalid-url", `Request URL ${quote(text)} has no host`);
  }
  const badEscape = /%(?![0-9A-Fa-f]{2})/.exec(text);
  if (badEscape) {
    throw new RequestError(
      "bad-percent-encoding",
      `Request URL has a malformed percent-escape at character ${badEscape.index}`,
      { offset: badEscape.index },
    );
  }
  const pathStart = text.indexOf("/", scheme.length + 3);
  if (pathStart !== -1) {
    const query = text.indexOf("?");
    if (query === -1 || query > pathStart) {
      checkTraversal(text.slice(pathStart, query === -1 ? undefined : query));
    }
  }
  let url: URL;
  try {
    url = new URL(text);
    _normalizeParsed(url);
  } catch (cause) {
    const reason = cause instanceof UrlError && cause.reason === "userinfo"
      ? "userinfo"
      : "invalid-url";
    throw new RequestError(reason, `Request URL ${quote(text)} cannot be parsed`, { cause });
  }
  return url;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

function checkCharacters(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) {
      throw new RequestError("nul", `Request has a NUL byte at character ${i}`, { offset: i });
    }
    if (c === LF) {
      throw new RequestError("bare-lf", `Request has an LF at character ${i}`, { offset: i });
    }
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      throw new RequestError(
        "control-char",
        `Request has control character U+${
          c.toString(16).toUpperCase().padStart(4, "0")
        } at character ${i}`,
        { offset: i },
      );
    }
    if (c === 0x20) {
      throw new RequestError("invalid-url", `Request URL has a space at character ${i}`, {
        offset: i,
      });
    }
  }
}

/**
 * Refuses a raw path whose `..` segments (literal or percent-encoded, including segments
 * joined by `%2F`) climb above the root. The URL parser would silently drop them, so this
 * runs on the text before parsing.
 */
export function _checkTraversal(rawPath: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    decoded = rawPath.replace(/%2e/gi, ".").replace(/%2f/gi, "/").replace(/%5c/gi, "\\");
  }
  let depth = 0;
  for (const segment of decoded.split(/[/\\]/)) {
    if (segment === "..") {
      depth--;
      if (depth < 0) {
        throw new RequestError(
          "path-traversal",
          `Request path ${quote(rawPath)} climbs above the root`,
        );
      }
    } else if (segment !== "." && segment !== "") depth++;
  }
}

const checkTraversal = _checkTraversal;

/** Which requests this server answers, for {@linkcode checkRequestTarget}. */
export interface RequestTarget {
  /**
   * Host names served (any case, Unicode or punycode); `"*"` matches any host. A leading
   * `*.` matches any subdomain.
   */
  hosts: readonly string[];
  /** The port the server listens on; a URL without a port means the scheme's default. */
  port: number;
  /** Schemes served. Default `["gemini"]`. */
  schemes?: readonly string[];
}

/**
 * Checks that a parsed request URL is for this server. Throws a {@linkcode RequestError}
 * with status 53: `other-scheme`, `wrong-host` or `wrong-port`. Host names are compared in
 * their punycode form, so `naïve.example` and `xn--nave-6pa.example` match.
 *
 * @example
 * ```ts
 * import { checkRequestTarget, parseRequestLine, RequestError } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const target = { hosts: ["example.org"], port: 1965 };
 * checkRequestTarget(parseRequestLine("gemini://EXAMPLE.org/"), target);
 * try {
 *   checkRequestTarget(parseRequestLine("gemini://example.org:1966/"), target);
 * } catch (error) {
 *   assert.ok(error instanceof RequestError && error.reason === "wrong-port");
 * }
 * ```
 */
export function checkRequestTarget(url: URL, target: RequestTarget): void {
  const scheme = url.protocol.slice(0, -1);
  const schemes = target.schemes ?? ["gemini"];
  if (!schemes.includes(scheme)) {
    throw new RequestError("other-scheme", `Request URL scheme "${scheme}" is not served here`);
  }
  let host: string;
  try {
    host = _asciiHost(url.hostname);
  } catch (cause) {
    throw new RequestError("wrong-host", `Request host ${quote(url.hostname)} is not served`, {
      cause,
    });
  }
  if (!target.hosts.some((pattern) => hostMatches(host, pattern))) {
    throw new RequestError("wrong-host", `Request host ${quote(host)} is not served here`);
  }
  const { port } = hostAndPort(url);
  if (port !== target.port) {
    throw new RequestError(
      "wrong-port",
      `Request URL port ${port} is not this server's port ${target.port}`,
    );
  }
}

function hostMatches(host: string, pattern: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*.")) {
    let suffix: string;
    try {
      suffix = _asciiHost(pattern.slice(2));
    } catch {
      return false;
    }
    return host.endsWith(`.${suffix}`);
  }
  try {
    const wanted = pattern.includes(":") && !pattern.startsWith("[")
      ? `[${pattern.toLowerCase()}]`
      : _asciiHost(pattern);
    return wanted === host;
  } catch {
    return false;
  }
}
