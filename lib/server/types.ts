/**
 * The server's contract: a handler takes a {@linkcode GeminiRequest} and returns a
 * {@linkcode GeminiReply}. Middleware wraps a handler and returns a handler.
 *
 * @module
 */

import type { CertificateInfo } from "../tls/certificate.ts";
import type { Address, TlsDetails } from "../tls/connection.ts";

/** A request that passed the protocol checks, as a handler sees it. */
export interface GeminiRequest {
  /** The normalised request URL (lower-case scheme and host, empty path as `/`). */
  url: URL;
  /**
   * The canonical path: percent-decoded once (`/caf%C3%A9.gmi` is `/café.gmi`), dot
   * segments resolved and empty segments collapsed (`//a/./b` is `/a/b`), a trailing slash
   * kept. Every rule and handler of the server uses this value, never `url.pathname`.
   */
  path: string;
  /** The virtual host the request is for (the URL's host, lower case, punycode). */
  host: string;
  /** The client's certificate, when it sent one. */
  clientCertificate: CertificateInfo | undefined;
  /** The client's address. */
  remoteAddress: Address;
  /** A short id that ties log lines of this request together. */
  requestId: string;
  /** Aborted when the response deadline passes or the server shuts down hard. */
  signal: AbortSignal;
  /** The SNI name the client sent, when known (node backend). */
  servername?: string;
  /** The negotiated TLS version and cipher suite, when known (node backend). */
  tls?: TlsDetails;
  /**
   * For `titan://` requests: the bytes the client sends after the request line (the upload),
   * starting with any that arrived together with the line.
   */
  body?: ReadableStream<Uint8Array>;
}

/** A response body: bytes, text (sent as UTF-8), a stream or an async iterable of chunks. */
export type ReplyBody =
  | Uint8Array
  | string
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** What a handler answers: a status, its META, and a body for 2x statuses. */
export interface GeminiReply {
  /** Status code, 10-69. */
  status: number;
  /** META: the media type for 20, a prompt, a URL or an error message. */
  meta: string;
  /** Body, sent only with status 20-29. */
  body?: ReplyBody;
}

/** Answers one request. May throw: the server then answers `40` and logs the error. */
export type Handler = (request: GeminiRequest) => Promise<GeminiReply> | GeminiReply;

/** Wraps a handler with extra behaviour. */
export type Middleware = (next: Handler) => Handler;

/**
 * A reply with a body.
 *
 * @example
 * ```ts
 * import { reply } from "./types.ts";
 * const r = reply(20, "text/gemini", "# Hello\n");
 * console.assert(r.status === 20 && r.body === "# Hello\n");
 * ```
 */
export function reply(status: number, meta: string, body?: ReplyBody): GeminiReply {
  return body === undefined ? { status, meta } : { status, meta, body };
}

/**
 * A `20` reply with a gemtext (or other `mediaType`) body.
 *
 * @example
 * ```ts
 * import { success } from "./types.ts";
 * console.assert(success("# Hi\n").meta === "text/gemini; charset=utf-8");
 * ```
 */
export function success(
  body: ReplyBody,
  mediaType = "text/gemini; charset=utf-8",
): GeminiReply {
  return { status: 20, meta: mediaType, body };
}

/**
 * A `51 Not found` reply.
 *
 * @example
 * ```ts
 * import { notFound } from "./types.ts";
 * console.assert(notFound().status === 51);
 * ```
 */
export function notFound(meta = "Not found"): GeminiReply {
  return { status: 51, meta };
}

/**
 * A redirect: `30` (temporary) or, with `permanent`, `31`.
 *
 * @example
 * ```ts
 * import { redirect } from "./types.ts";
 * console.assert(redirect("/docs/", true).status === 31);
 * ```
 */
export function redirect(target: string, permanent = false): GeminiReply {
  return { status: permanent ? 31 : 30, meta: target };
}
