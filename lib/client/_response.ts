/**
 * The response object the client returns: the final header, details of the connection and
 * a body stream that enforces the idle timeout and size limit and reports close_notify.
 *
 * @module
 */

import { concatBytes } from "../protocol/bytes.ts";
import { _within } from "./_deadline.ts";
import type { MediaType } from "../protocol/mime.ts";
import type { CertificateInfo } from "../tls/certificate.ts";
import type { TlsDetails } from "../tls/connection.ts";
import {
  ClientError,
  type ClientHooks,
  type GeminiResponse,
  type ResponseTiming,
  type RetryReport,
  type TrustReport,
  type TrustVerdict,
} from "./types.ts";

/** Where the body bytes come from. */
export interface _BodySource {
  /** The next chunk, `null` at the end. */
  read(): Promise<Uint8Array | null>;
  /** After the end: whether the peer ended cleanly (TLS close_notify). */
  closeNotify(): boolean | undefined;
  /** Releases the connection (called once, at the end, on error or on cancel). */
  release(error: boolean): void;
}

/** Everything a response is made of: its header fields as in GeminiResponse, and the body. */
export interface _ResponseInit extends
  Pick<
    GeminiResponse,
    | "url"
    | "status"
    | "meta"
    | "mediaType"
    | "redirects"
    | "tls"
    | "certificate"
    | "trust"
    | "trustReport"
    | "retries"
    | "identity"
    | "timing"
  > {
  /** Milliseconds since the time origin when the fetch started (for `totalMs`). */
  startedAt: number;
  /** Body bytes already received with the header. */
  head?: Uint8Array;
  /** The rest of the body; none for an empty body. */
  source?: _BodySource;
  /** Idle timeout between chunks, ms. */
  idleTimeoutMs?: number;
  /** Maximum body size in bytes. */
  maxBodyBytes?: number;
  /** Abort signal of the fetch. */
  signal?: AbortSignal;
  /** Told when the body ended without close_notify. */
  onWarning?: ClientHooks["onWarning"];
}

/**
 * Decodes `bytes` with the WHATWG encoding `label` (default UTF-8). Throws a
 * {@linkcode ClientError} `charset` for a label TextDecoder does not know.
 */
function _decode(bytes: Uint8Array, label: string | undefined, url?: URL): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label ?? "utf-8");
  } catch (cause) {
    throw new ClientError(
      "charset",
      `Unknown charset "${label}" in the media type${url ? ` of ${url.href}` : ""}`,
      { cause },
    );
  }
  return decoder.decode(bytes);
}

/** Checks that `label` is a charset TextDecoder knows; throws like {@linkcode _decode}. */
export function _checkCharset(label: string | undefined, url?: URL): void {
  if (label !== undefined) _decode(new Uint8Array(), label, url);
}

/**
 * A body source read chunk by chunk: first the bytes that came with the header, then the
 * source's, each within the idle timeout; released once, whatever ends the body.
 */
class BodyReader {
  readonly #init: _ResponseInit;
  readonly #source: _BodySource;
  #head: Uint8Array | undefined;
  #released = false;

  constructor(init: _ResponseInit, source: _BodySource) {
    this.#init = init;
    this.#source = source;
    this.#head = init.head && init.head.length > 0 ? init.head : undefined;
  }

  /** The next chunk, `null` at the end. */
  next(): Promise<Uint8Array | null> {
    const head = this.#head;
    if (head) {
      this.#head = undefined;
      return Promise.resolve(head);
    }
    const { url, signal } = this.#init;
    const idle = this.#init.idleTimeoutMs ?? 60_000;
    return _within(() => this.#source.read(), {
      at: Date.now() + idle,
      signal,
      timeout: () =>
        new ClientError(
          "timeout",
          `No body data from ${url.host} for ${idle} ms (idle timeout); the response is incomplete`,
        ),
      aborted: () => new ClientError("aborted", `Fetch of ${url.href} aborted`),
    });
  }

  /** After the end: whether the peer ended with TLS close_notify. */
  closeNotify(): boolean {
    return this.#source.closeNotify() ?? false;
  }

  /** Releases the connection (once; later calls do nothing). */
  release(error: boolean): void {
    if (this.#released) return;
    this.#released = true;
    this.#source.release(error);
  }
}

/** The response handed to callers. */
export class _Response implements GeminiResponse {
  readonly url: URL;
  readonly status: number;
  readonly meta: string;
  readonly mediaType?: MediaType;
  readonly redirects: URL[];
  readonly tls?: TlsDetails;
  readonly certificate?: CertificateInfo;
  readonly trust?: TrustVerdict;
  readonly trustReport?: TrustReport;
  readonly retries?: RetryReport;
  readonly identity?: string;
  readonly timing: ResponseTiming;
  readonly body: ReadableStream<Uint8Array>;
  readonly #init: _ResponseInit;
  #closeNotify: boolean | undefined;
  #bodyBytes = 0;

  constructor(init: _ResponseInit) {
    this.#init = init;
    this.url = init.url;
    this.status = init.status;
    this.meta = init.meta;
    if (init.mediaType) this.mediaType = init.mediaType;
    this.redirects = init.redirects;
    if (init.tls) this.tls = init.tls;
    if (init.certificate) this.certificate = init.certificate;
    if (init.trust) this.trust = init.trust;
    if (init.trustReport) this.trustReport = init.trustReport;
    if (init.retries) this.retries = init.retries;
    if (init.identity) this.identity = init.identity;
    this.timing = init.timing;
    this.body = init.source
      ? this.#streamFrom(new BodyReader(init, init.source))
      : this.#heldBody(init.head);
  }

  get closeNotify(): boolean | undefined {
    return this.#closeNotify;
  }

  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** `totalMs` from the start of the fetch to now (the end of the body). */
  #finish(): void {
    this.timing.totalMs = performance.now() - this.#init.startedAt;
  }

  /** A body that is all in memory already (or empty): it cannot be cut short. */
  #heldBody(head: Uint8Array | undefined): ReadableStream<Uint8Array> {
    this.#closeNotify = true;
    return new ReadableStream({
      start: (controller): void => {
        if (head && head.length > 0) {
          this.#bodyBytes = head.length;
          controller.enqueue(head);
        }
        this.#finish();
        controller.close();
      },
    });
  }

  /** A body read from `reader` as the consumer pulls, one chunk at a time. */
  #streamFrom(reader: BodyReader): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller): Promise<void> => {
        try {
          const chunk = await reader.next();
          if (chunk === null) this.#end(reader, controller);
          else this.#enqueue(chunk, controller);
        } catch (error) {
          this.#finish();
          reader.release(true);
          controller.error(this.#readFailure(error));
        }
      },
      cancel: (): void => {
        this.#finish();
        reader.release(true);
      },
    }, { highWaterMark: 0 });
  }

  /** The end of the body: close_notify (or a warning that it is missing), then release. */
  #end(reader: BodyReader, controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#closeNotify = reader.closeNotify();
    if (!this.#closeNotify) {
      this.#init.onWarning?.(
        `${this.url.href}: the server closed the connection without TLS close_notify; ` +
          `the body (${this.#bodyBytes} bytes) may be truncated`,
        { code: "truncated" },
      );
    }
    this.#finish();
    reader.release(false);
    controller.close();
  }

  /** Passes `chunk` on, up to the size limit; past it, what fits and a `too-large` error. */
  #enqueue(chunk: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>): void {
    const limit = this.#init.maxBodyBytes ?? Infinity;
    if (this.#bodyBytes + chunk.length > limit) {
      const room = limit - this.#bodyBytes;
      if (room > 0) {
        this.#bodyBytes += room;
        controller.enqueue(chunk.slice(0, room));
      }
      throw new ClientError(
        "too-large",
        `The body of ${this.url.href} exceeds the limit of ${limit} bytes`,
      );
    }
    this.#bodyBytes += chunk.length;
    controller.enqueue(chunk);
  }

  /** A failure while reading the body, as a {@linkcode ClientError}. */
  #readFailure(error: unknown): ClientError {
    if (error instanceof ClientError) return error;
    return new ClientError(
      "network",
      `Reading the body of ${this.url.href} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }

  async bytes(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    const reader = this.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0];
    return concatBytes(chunks);
  }

  async text(): Promise<string> {
    const charset = this.mediaType?.charset;
    _checkCharset(charset, this.url);
    return _decode(await this.bytes(), charset, this.url);
  }
}
