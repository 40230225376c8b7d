/**
 * The server's contract: a handler takes a {@linkcode GeminiRequest} and returns a
 * {@linkcode GeminiReply}. Middleware wraps a handler and returns a handler. The reply
 * helpers are in `reply.ts`, the router in `router.ts`.
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
  /**
   * Status code, 10-69: one of the `Status` table's codes from a handler of ours; a CGI program's or
   * an upstream server's code passes through as it was sent.
   */
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
