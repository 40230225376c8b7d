/**
 * Why a server refuses a request line, and the status each refusal is answered with.
 *
 * @module
 */

import { Status } from "./status.ts";

/** The status a refused request is answered with: 59 bad request or 53 proxy refused. */
export type RejectionStatus = typeof Status.BadRequest | typeof Status.ProxyRequestRefused;

/** A reason for refusing a request: a key of {@linkcode REQUEST_REJECTIONS}. */
export type RequestRejection =
  | "missing-crlf"
  | "bare-lf"
  | "too-long"
  | "bom"
  | "empty"
  | "relative-url"
  | "invalid-url"
  | "userinfo"
  | "fragment"
  | "invalid-utf8"
  | "nul"
  | "control-char"
  | "bad-percent-encoding"
  | "path-traversal"
  | "encoded-separator"
  | "other-scheme"
  | "wrong-host"
  | "wrong-port"
  | "timeout";

/** What a rejection reason means and how it is answered. */
export interface RequestRejectionInfo {
  /** The status to answer with. */
  status: RejectionStatus;
  /** What was wrong, in one sentence; also the default error message and META. */
  meaning: string;
}

/**
 * Every reason a server refuses a request, with the status to answer and its meaning.
 *
 * @example
 * ```ts
 * import { REQUEST_REJECTIONS } from "./request_error.ts";
 * import assert from "node:assert/strict";
 * assert.equal(REQUEST_REJECTIONS["wrong-host"].status, 53);
 * assert.equal(REQUEST_REJECTIONS.fragment.status, 59);
 * ```
 */
export const REQUEST_REJECTIONS: Readonly<Record<RequestRejection, RequestRejectionInfo>> = Object
  .freeze({
    "missing-crlf": {
      status: Status.BadRequest,
      meaning: "Request line is not terminated by CRLF",
    },
    "bare-lf": {
      status: Status.BadRequest,
      meaning: "Request line ends with a bare LF instead of CRLF",
    },
    "too-long": { status: Status.BadRequest, meaning: "Request URL is longer than 1024 bytes" },
    "bom": { status: Status.BadRequest, meaning: "Request starts with a byte order mark" },
    "empty": { status: Status.BadRequest, meaning: "Request line is empty" },
    "relative-url": {
      status: Status.BadRequest,
      meaning: "Request URL is not absolute (no scheme)",
    },
    "invalid-url": { status: Status.BadRequest, meaning: "Request URL cannot be parsed" },
    "userinfo": { status: Status.BadRequest, meaning: "Request URL contains userinfo" },
    "fragment": { status: Status.BadRequest, meaning: "Request URL contains a fragment" },
    "invalid-utf8": { status: Status.BadRequest, meaning: "Request is not valid UTF-8" },
    "nul": { status: Status.BadRequest, meaning: "Request contains a NUL byte" },
    "control-char": { status: Status.BadRequest, meaning: "Request contains a control character" },
    "bad-percent-encoding": {
      status: Status.BadRequest,
      meaning: "Request URL has malformed percent-encoding",
    },
    "path-traversal": {
      status: Status.BadRequest,
      meaning: "Request path climbs above the root with a .. segment",
    },
    "encoded-separator": {
      status: Status.BadRequest,
      meaning: "Request path has an encoded slash or a backslash in a segment",
    },
    "other-scheme": {
      status: Status.ProxyRequestRefused,
      meaning: "Request URL has a scheme this server does not serve",
    },
    "wrong-host": {
      status: Status.ProxyRequestRefused,
      meaning: "Request URL is for a host this server does not serve",
    },
    "wrong-port": {
      status: Status.ProxyRequestRefused,
      meaning: "Request URL is for a port this server does not serve",
    },
    "timeout": { status: Status.BadRequest, meaning: "Request line did not arrive in time" },
  });

/** Options for {@linkcode RequestError}. */
export interface RequestErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Byte (or character) offset in the request line where the problem was found. */
  offset?: number;
}

/**
 * A refused request. `reason` names the rule it broke, `status` (59 or 53) is what the
 * server answers, and `message` (safe to send as META) says what was wrong and where.
 *
 * @example
 * ```ts
 * import { RequestError } from "./request_error.ts";
 * import assert from "node:assert/strict";
 * const error = new RequestError("other-scheme");
 * assert.equal(error.status, 53);
 * assert.equal(error.message, "Request URL has a scheme this server does not serve");
 * ```
 */
export class RequestError extends Error {
  /** The rule the request broke. */
  readonly reason: RequestRejection;
  /** The status to answer with. */
  readonly status: RejectionStatus;
  /** Where in the request line the problem was found, when known. */
  readonly offset?: number;

  /** Creates an error for `reason`; the message defaults to the reason's meaning. */
  constructor(reason: RequestRejection, message?: string, options: RequestErrorOptions = {}) {
    const info = REQUEST_REJECTIONS[reason];
    super(
      message ?? info.meaning,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "RequestError";
    this.reason = reason;
    this.status = info.status;
    if (options.offset !== undefined) this.offset = options.offset;
  }
}
