/**
 * Stand-in for the server core's handler contract until the `server` branch lands: a
 * handler takes a {@linkcode GeminiRequest} and returns a {@linkcode GeminiReply}. The real
 * definitions replace this file on merge.
 *
 * @module
 */

import type { CertificateInfo } from "../tls/certificate.ts";
import type { Address } from "../tls/connection.ts";

/** One request, as the pipeline hands it to a handler. */
export interface GeminiRequest {
  /** The normalised request URL. */
  url: URL;
  /** The percent-decoded, normalised path (always starts with `/`). */
  path: string;
  /** The host the request is for (lower case). */
  host: string;
  /** The client's certificate, if it sent one. */
  clientCertificate: CertificateInfo | undefined;
  /** The client's address. */
  remoteAddress: Address;
  /** A short id that ties log lines of one request together. */
  requestId: string;
  /** Aborted when the client goes away or the server shuts down. */
  signal: AbortSignal;
  /** Bytes the client sent after the request line (Titan uploads), when the pipeline offers them. */
  body?: ReadableStream<Uint8Array>;
}

/** A body: bytes, text, or a stream of bytes. */
export type ReplyBody =
  | Uint8Array
  | string
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** What a handler answers. */
export interface GeminiReply {
  /** Status code, 10-69. */
  status: number;
  /** META: prompt, media type, redirect target or message. */
  meta: string;
  /** Body, sent only for 2x. */
  body?: ReplyBody;
}

/** Answers one request. */
export type Handler = (request: GeminiRequest) => GeminiReply | Promise<GeminiReply>;

/** Log sink with four levels. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string): void;
  /** Normal events. */
  info(message: string): void;
  /** Something went wrong but the server goes on. */
  warn(message: string): void;
  /** A failure. */
  error(message: string): void;
}
