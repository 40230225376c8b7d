/**
 * The response header `<STATUS><SP><META><CR><LF>`: find it in the bytes received, parse it
 * strictly (exactly two digits, then a space or the line end), and format it.
 *
 * @module
 */

import { _byteLength } from "./_util.ts";
import { DEFAULT_MEDIA_TYPE, type MediaType, parseMediaType } from "./mime.ts";
import { isInput, isRedirect, isSuccess, type StatusClass, statusClass } from "./status.ts";

/** The longest META, in bytes. */
export const MAX_META_BYTES = 1024;

/** The longest header on the wire: two digits, a space, 1024 bytes of META and CRLF. */
export const MAX_HEADER_BYTES: number = 2 + 1 + MAX_META_BYTES + 2;

/** Why a response header was refused. */
export type ResponseHeaderErrorReason =
  | "too-long"
  | "bom"
  | "invalid-utf8"
  | "bad-status"
  | "missing-space"
  | "status-out-of-range"
  | "control-char"
  | "missing-meta"
  | "bad-media-type";

/** Options for {@linkcode ResponseHeaderError}. */
export interface ResponseHeaderErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Byte or character offset in the header where the problem was found. */
  offset?: number;
}

/**
 * An invalid response header. `reason` names the rule it broke; the message says where.
 *
 * @example
 * ```ts
 * import { parseResponseHeader, ResponseHeaderError } from "./response.ts";
 * import assert from "node:assert/strict";
 * try {
 *   parseResponseHeader("20text/gemini\r\n");
 * } catch (error) {
 *   assert.ok(error instanceof ResponseHeaderError && error.reason === "missing-space");
 * }
 * ```
 */
export class ResponseHeaderError extends Error {
  /** The rule the header broke. */
  readonly reason: ResponseHeaderErrorReason;
  /** Where in the header the problem was found, when known. */
  readonly offset?: number;

  /** Creates an error for `reason` with a message that says what was wrong and where. */
  constructor(
    reason: ResponseHeaderErrorReason,
    message: string,
    options: ResponseHeaderErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ResponseHeaderError";
    this.reason = reason;
    if (options.offset !== undefined) this.offset = options.offset;
  }
}

/** A parsed response header. */
export interface ResponseHeader {
  /** The status code as sent (10-69; may be undefined by the spec, see `normalizeStatus`). */
  status: number;
  /** The class of the status: 10, 20 ... 60. */
  statusClass: StatusClass;
  /** META as sent (without the separating space); may be empty. */
  meta: string;
  /** For 2x: META as a media type, `text/gemini; charset=utf-8` when META is empty. */
  mediaType?: MediaType;
}

/** A response header found in a buffer. */
export interface ScannedResponseHeader {
  /** The parsed header. */
  header: ResponseHeader;
  /** The index in the buffer where the body begins (just after the line end). */
  bodyStart: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();

/**
 * Looks for the response header at the start of `buf`, the bytes received so far. Returns
 * the parsed header and where the body starts, or `null` when more bytes are needed. A
 * header may end in CRLF or (leniently) a bare LF; the body is never searched. Throws a
 * {@linkcode ResponseHeaderError} `too-long` when the first 1029 bytes hold no line end,
 * and any error of {@linkcode parseResponseHeader}. Never looks past byte 1029.
 *
 * @example
 * ```ts
 * import { scanResponseHeader } from "./response.ts";
 * import assert from "node:assert/strict";
 * const bytes = new TextEncoder().encode("20 text/gemini\r\n# Hello\n");
 * const found = scanResponseHeader(bytes);
 * assert.ok(found !== null);
 * assert.equal(found.header.status, 20);
 * assert.equal(found.bodyStart, 16);
 * assert.equal(scanResponseHeader(bytes.subarray(0, 5)), null);
 * ```
 */
export function scanResponseHeader(buf: Uint8Array): ScannedResponseHeader | null {
  const end = Math.min(buf.length, MAX_HEADER_BYTES);
  for (let i = 0; i < end; i++) {
    if (buf[i] === LF) {
      return { header: parseResponseHeader(buf.subarray(0, i + 1)), bodyStart: i + 1 };
    }
  }
  if (buf.length >= MAX_HEADER_BYTES) {
    throw new ResponseHeaderError(
      "too-long",
      `Response header has no line end within the first ${MAX_HEADER_BYTES} bytes`,
      { offset: MAX_HEADER_BYTES },
    );
  }
  return null;
}

function stripLineEnd(bytes: Uint8Array): Uint8Array {
  let n = bytes.length;
  if (n > 0 && bytes[n - 1] === LF) {
    n--;
    if (n > 0 && bytes[n - 1] === CR) n--;
  }
  return bytes.subarray(0, n);
}

function describe(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Parses one header line (with or without its CRLF or LF). STATUS must be exactly two
 * digits within 10-69, followed by a space or the end of the line; META at most 1024 bytes
 * of UTF-8 without control characters; no leading BOM. For 2x, META is parsed as a media
 * type (an empty META means `text/gemini; charset=utf-8`); a 3x needs a non-empty META.
 * Throws a {@linkcode ResponseHeaderError}.
 *
 * @example
 * ```ts
 * import { parseResponseHeader } from "./response.ts";
 * import assert from "node:assert/strict";
 * const header = parseResponseHeader("20 text/gemini; lang=en\r\n");
 * assert.equal(header.statusClass, 20);
 * assert.equal(header.mediaType?.lang, "en");
 * assert.equal(parseResponseHeader("51\r\n").meta, "");
 * ```
 */
export function parseResponseHeader(line: string | Uint8Array): ResponseHeader {
  const bytes = stripLineEnd(typeof line === "string" ? ENCODER.encode(line) : line);
  if (bytes.length > MAX_HEADER_BYTES - 2) {
    throw new ResponseHeaderError(
      "too-long",
      `Response header is ${bytes.length} bytes before its line end, over the limit of ${
        MAX_HEADER_BYTES - 2
      }`,
      { offset: MAX_HEADER_BYTES - 2 },
    );
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new ResponseHeaderError("bom", "Response header starts with a byte order mark", {
      offset: 0,
    });
  }
  let text: string;
  try {
    text = DECODER.decode(bytes);
  } catch (cause) {
    throw new ResponseHeaderError("invalid-utf8", "Response header is not valid UTF-8", {
      cause,
    });
  }
  if (!/^[0-9][0-9]/.test(text)) {
    throw new ResponseHeaderError(
      "bad-status",
      `Response header ${quote(text)} does not start with a two-digit status`,
      { offset: 0 },
    );
  }
  if (text.length > 2 && /[0-9]/.test(text[2])) {
    throw new ResponseHeaderError(
      "bad-status",
      `Response header ${quote(text)} has a status longer than two digits`,
      { offset: 2 },
    );
  }
  if (text.length > 2 && text[2] !== " ") {
    throw new ResponseHeaderError(
      "missing-space",
      `Response header ${quote(text)} has ${describe(text.charCodeAt(2))} after the status, ` +
        "not a space",
      { offset: 2 },
    );
  }
  const status = Number(text.slice(0, 2));
  if (status < 10 || status > 69) {
    throw new ResponseHeaderError(
      "status-out-of-range",
      `Response status ${text.slice(0, 2)} is outside 10-69`,
      { offset: 0 },
    );
  }
  const meta = text.slice(3);
  checkMeta(meta, 3);
  const cls = statusClass(status);
  const header: ResponseHeader = { status, statusClass: cls, meta };
  if (isSuccess(status)) {
    try {
      header.mediaType = meta.trim() === ""
        ? parseMediaType(formatDefault())
        : parseMediaType(meta);
    } catch (cause) {
      throw new ResponseHeaderError(
        "bad-media-type",
        `Response ${status} META ${quote(meta)} is not a media type`,
        { cause, offset: 3 },
      );
    }
  } else if (isRedirect(status) && meta.trim() === "") {
    throw new ResponseHeaderError("missing-meta", `Redirect ${status} has no target URL`, {
      offset: 3,
    });
  }
  return header;
}

function formatDefault(): string {
  return `${DEFAULT_MEDIA_TYPE.essence}; charset=${DEFAULT_MEDIA_TYPE.charset}`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function checkMeta(meta: string, offset: number): void {
  for (let i = 0; i < meta.length; i++) {
    const c = meta.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      throw new ResponseHeaderError(
        "control-char",
        `Response META has control character ${describe(c)} at character ${offset + i}`,
        { offset: offset + i },
      );
    }
  }
  if (meta.charCodeAt(0) === 0xfeff) {
    throw new ResponseHeaderError("bom", "Response META starts with a byte order mark", {
      offset,
    });
  }
  const bytes = _byteLength(meta);
  if (bytes > MAX_META_BYTES) {
    throw new ResponseHeaderError(
      "too-long",
      `Response META is ${bytes} bytes, over the limit of ${MAX_META_BYTES}`,
      { offset: offset + MAX_META_BYTES },
    );
  }
}

/**
 * Formats a response header line, `NN META\r\n`, or `NN\r\n` when META is empty. Validates
 * like the parser: the status must be an integer in 10-69, META at most 1024 bytes with no
 * control characters, and 1x, 2x and 3x need a META (a prompt, a media type, a URL).
 * Throws a {@linkcode ResponseHeaderError}.
 *
 * @example
 * ```ts
 * import { formatResponseHeader } from "./response.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatResponseHeader(20, "text/gemini"), "20 text/gemini\r\n");
 * assert.equal(formatResponseHeader(51), "51\r\n");
 * ```
 */
export function formatResponseHeader(status: number, meta = ""): string {
  if (!Number.isInteger(status) || status < 10 || status > 69) {
    throw new ResponseHeaderError(
      "status-out-of-range",
      `Response status ${status} is not an integer in 10-69`,
    );
  }
  checkMeta(meta, 3);
  if (meta === "" && (isInput(status) || isSuccess(status) || isRedirect(status))) {
    throw new ResponseHeaderError("missing-meta", `Response status ${status} needs a META`);
  }
  if (isSuccess(status)) {
    try {
      parseMediaType(meta);
    } catch (cause) {
      throw new ResponseHeaderError(
        "bad-media-type",
        `Response ${status} META ${quote(meta)} is not a media type`,
        { cause },
      );
    }
  }
  return meta === "" ? `${status}\r\n` : `${status} ${meta}\r\n`;
}

/**
 * The number of seconds a 44 (slow down) response asks the client to wait: the integer at
 * the start of META (the v0.16.1 meaning), or 0 when META carries no number (v0.24.1: the
 * client backs off exponentially on its own).
 *
 * @example
 * ```ts
 * import { slowDownSeconds } from "./response.ts";
 * import assert from "node:assert/strict";
 * assert.equal(slowDownSeconds("30"), 30);
 * assert.equal(slowDownSeconds("slow down"), 0);
 * ```
 */
export function slowDownSeconds(meta: string): number {
  const m = /^\s*([0-9]{1,15})/.exec(meta);
  return m ? Number(m[1]) : 0;
}
