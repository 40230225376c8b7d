/**
 * The response object the client returns: the final header, details of the connection and
 * a body stream that enforces the idle timeout and size limit and reports close_notify.
 *
 * @module
 */

import { concatBytes } from "../protocol/bytes.ts";
import type { MediaType } from "../protocol/mime.ts";
import type { CertificateInfo } from "../tls/certificate.ts";
import type { TlsDetails } from "../tls/connection.ts";
import {
  ClientError,
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
  onWarning?: (message: string) => void;
}

/**
 * Decodes `bytes` with the WHATWG encoding `label` (default UTF-8). Throws a
 * {@linkcode ClientError} `charset` for a label TextDecoder does not know.
 */
export function _decode(bytes: Uint8Array, label: string | undefined, url?: URL): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label ?? "utf-8");
  } catch (cause) {
    throw new ClientError(
      "charset",
      `Unknown charset "${label}" in the media type${url ? ` of ${url.href}` : ""}; ` +
        "use --raw to get the bytes as sent",
      { cause },
    );
  }
  return decoder.decode(bytes);
}

/** Checks that `label` is a charset TextDecoder knows; throws like {@linkcode _decode}. */
export function _checkCharset(label: string | undefined, url?: URL): void {
  if (label !== undefined) _decode(new Uint8Array(), label, url);
}

function timeoutError(ms: number, url: URL): ClientError {
  return new ClientError(
    "timeout",
    `No body data from ${url.host} for ${ms} ms (idle timeout); the response is incomplete`,
  );
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
  #closeNotify: boolean | undefined;
  #bodyBytes = 0;

  constructor(init: _ResponseInit) {
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
    this.body = this.#stream(init);
  }

  get closeNotify(): boolean | undefined {
    return this.#closeNotify;
  }

  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  #stream(init: _ResponseInit): ReadableStream<Uint8Array> {
    const source = init.source;
    const finish = (): void => {
      this.timing.totalMs = performance.now() - init.startedAt;
    };
    if (!source) {
      this.#closeNotify = true;
      return new ReadableStream({
        start: (controller): void => {
          if (init.head && init.head.length > 0) {
            this.#bodyBytes = init.head.length;
            controller.enqueue(init.head);
          }
          finish();
          controller.close();
        },
      });
    }
    let head = init.head && init.head.length > 0 ? init.head : undefined;
    let released = false;
    const release = (error: boolean): void => {
      if (released) return;
      released = true;
      source.release(error);
    };
    const limit = init.maxBodyBytes ?? Infinity;
    const idle = init.idleTimeoutMs ?? 60_000;
    const tooLarge = (): ClientError =>
      new ClientError(
        "too-large",
        `The body of ${init.url.href} exceeds the limit of ${limit} bytes (--max-size)`,
      );
    const next = (): Promise<Uint8Array | null> => {
      if (init.signal?.aborted) {
        return Promise.reject(new ClientError("aborted", `Fetch of ${init.url.href} aborted`));
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(idle, init.url)), idle);
        onAbort = (): void =>
          reject(new ClientError("aborted", `Fetch of ${init.url.href} aborted`));
        init.signal?.addEventListener("abort", onAbort, { once: true });
      });
      return Promise.race([source.read(), guard]).finally(() => {
        clearTimeout(timer);
        if (onAbort) init.signal?.removeEventListener("abort", onAbort);
      });
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller): Promise<void> => {
        try {
          let chunk: Uint8Array | null;
          if (head) {
            chunk = head;
            head = undefined;
          } else {
            chunk = await next();
          }
          if (chunk === null) {
            this.#closeNotify = source.closeNotify() ?? false;
            if (!this.#closeNotify) {
              init.onWarning?.(
                `${init.url.href}: the server closed the connection without TLS close_notify; ` +
                  `the body (${this.#bodyBytes} bytes) may be truncated`,
              );
            }
            finish();
            release(false);
            controller.close();
            return;
          }
          if (this.#bodyBytes + chunk.length > limit) {
            const room = limit - this.#bodyBytes;
            if (room > 0) {
              this.#bodyBytes += room;
              controller.enqueue(chunk.slice(0, room));
            }
            throw tooLarge();
          }
          this.#bodyBytes += chunk.length;
          controller.enqueue(chunk);
        } catch (error) {
          finish();
          release(true);
          controller.error(
            error instanceof ClientError ? error : new ClientError(
              "network",
              `Reading the body of ${init.url.href} failed: ${
                error instanceof Error ? error.message : String(error)
              }`,
              { cause: error },
            ),
          );
        }
      },
      cancel: (): void => {
        finish();
        release(true);
      },
    }, { highWaterMark: 0 });
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
