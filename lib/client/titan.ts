/**
 * Titan uploads from the client side: build the `titan://` URL with its `size`, `mime`
 * and `token` parameters (protocol's `formatTitanUrl`), connect, send the request line and the body, and read the
 * server's answer (even when the server answers before the whole body was sent).
 *
 * @module
 */

import {
  parseResponseHeader,
  type ResponseHeader,
  ResponseHeaderError,
} from "../protocol/response.ts";
import { concatBytes } from "../protocol/bytes.ts";
import type { CertificateInfo } from "../tls/certificate.ts";
import { type ClientConnection, type ClientIdentity, dial, DialError } from "../tls/dial.ts";
import { formatTitanUrl } from "../protocol/titan.ts";
import { _timerMs } from "./_deadline.ts";
import { ClientError } from "./types.ts";

/** Options for {@linkcode titanUpload}. */
export interface TitanUploadOptions {
  /** Media type of the body. */
  mime?: string;
  /** Authorisation token. */
  token?: string;
  /** Client certificate to present. */
  identity?: ClientIdentity;
  /**
   * Decides whether to trust the server before anything is sent (e.g. the TOFU check of the
   * known-hosts store). Throw to refuse. Default: trust (the caller checks afterwards).
   */
  checkServer?: (certificate: CertificateInfo, host: string, port: number) => Promise<void> | void;
  /** Connect timeout in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Time allowed for the upload and the answer, in ms. Default 60000. */
  timeoutMs?: number;
  /** Cancels the upload. */
  signal?: AbortSignal;
}

/** The server's answer to an upload. */
export interface TitanUploadResult {
  /** The request URL that was sent (with its parameters). */
  url: string;
  /** Status code. */
  status: number;
  /** META. */
  meta: string;
  /** Body bytes (for 2x answers). */
  body: Uint8Array;
  /** The server's certificate. */
  certificate: CertificateInfo;
}

/**
 * Uploads `data` to a `titan://` URL and returns the server's answer. A network or TLS
 * failure is a {@linkcode ClientError}; every server status is a result.
 *
 * @example
 * ```ts
 * import { titanUpload } from "./titan.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import { listen } from "../tls/listen.ts";
 * import assert from "node:assert/strict";
 *
 * // A one-request server on loopback that takes the upload and redirects to the page.
 * const { cert, key, info } = await generateCertificate("localhost", { altNames: ["127.0.0.1"] });
 * const listener = await listen({ hostname: "127.0.0.1", port: 0, certificates: [{ cert, key }] });
 * const requests: string[] = [];
 * const served = (async () => {
 *   const conn = (await listener.accept())!;
 *   await conn.handshake();
 *   requests.push(new TextDecoder().decode(await conn.read() ?? undefined));
 *   await conn.write("30 gemini://127.0.0.1/wiki/Hello\r\n");
 *   await conn.close();
 * })();
 *
 * const url = `titan://127.0.0.1:${listener.addr.port}/wiki/Hello`;
 * const result = await titanUpload(url, new TextEncoder().encode("# Hi\n"), {
 *   token: "s3cret",
 *   checkServer: (certificate) => assert.equal(certificate.spkiSha256, info.spkiSha256),
 * });
 * assert.deepEqual([result.status, result.meta], [30, "gemini://127.0.0.1/wiki/Hello"]);
 * await served;
 * assert.equal(requests[0], `${url};size=5;token=s3cret\r\n# Hi\n`);
 * listener.close();
 * ```
 */
export async function titanUpload(
  url: string | URL,
  data: Uint8Array,
  options: TitanUploadOptions = {},
): Promise<TitanUploadResult> {
  const requestUrl = requestUrlFor(url, data.length, options);
  const target = new URL(requestUrl);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const port = target.port ? Number(target.port) : 1965;
  const conn = await connect(host, port, options);
  // The upload and its answer have `timeoutMs` in all, and the signal may end them sooner:
  // either destroys the connection, and what the server said by then is the answer.
  const limits = [AbortSignal.timeout(_timerMs(options.timeoutMs ?? 60_000))];
  if (options.signal) limits.push(options.signal);
  const stop = AbortSignal.any(limits);
  const onStop = (): void => conn.destroy();
  stop.addEventListener("abort", onStop, { once: true });
  try {
    await options.checkServer?.(conn.peerCertificate, host, port);
    const answer = await exchange(conn, requestUrl, data);
    return parseAnswer(answer, {
      url: requestUrl,
      server: `${host}:${port}`,
      aborted: options.signal?.aborted ?? false,
      certificate: conn.peerCertificate,
    });
  } finally {
    stop.removeEventListener("abort", onStop);
    conn.destroy();
  }
}

/** The request URL: `url` with the `size`, `mime` and `token` parameters. */
function requestUrlFor(url: string | URL, size: number, options: TitanUploadOptions): string {
  try {
    return formatTitanUrl(url, { size, mime: options.mime, token: options.token });
  } catch (error) {
    throw new ClientError("bad-url", error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

/** Dials the server of the upload, presenting `options.identity` if any. */
async function connect(
  host: string,
  port: number,
  options: TitanUploadOptions,
): Promise<ClientConnection> {
  try {
    return await dial(host, {
      port,
      identity: options.identity,
      timeout: options.connectTimeoutMs ?? 10_000,
      signal: options.signal,
    });
  } catch (error) {
    const code = error instanceof DialError && error.code === "ETIMEDOUT" ? "timeout" : "network";
    throw new ClientError(code, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

/**
 * Sends the request line and the body, then reads everything the server says until it
 * closes. The server may answer (and close) before the body is through, e.g. when the
 * upload is too large: whatever it says is kept.
 */
async function exchange(
  conn: ClientConnection,
  requestUrl: string,
  data: Uint8Array,
): Promise<{ bytes: Uint8Array; readError: unknown }> {
  try {
    await conn.write(new TextEncoder().encode(`${requestUrl}\r\n`));
    if (data.length > 0) await conn.write(data);
  } catch {
    // read the answer below
  }
  const chunks: Uint8Array[] = [];
  let readError: unknown;
  for (;;) {
    let chunk: Uint8Array | null;
    try {
      chunk = await conn.read();
    } catch (error) {
      readError = error;
      break;
    }
    if (chunk === null) break;
    chunks.push(chunk);
  }
  return { bytes: concatBytes(chunks), readError };
}

/** The result in what the server sent: a header line, then the body. */
function parseAnswer(
  answer: { bytes: Uint8Array; readError: unknown },
  about: { url: string; server: string; aborted: boolean; certificate: CertificateInfo },
): TitanUploadResult {
  const { bytes, readError } = answer;
  const lf = bytes.indexOf(10);
  if (lf < 0) {
    if (about.aborted) throw new ClientError("aborted", "Upload aborted");
    throw new ClientError(
      readError ? "network" : "bad-header",
      `No response header from ${about.server}` +
        (readError instanceof Error ? `: ${readError.message}` : ""),
      { cause: readError },
    );
  }
  let header: ResponseHeader;
  try {
    // The same header rules as every other response (limit, control characters, status).
    header = parseResponseHeader(bytes.subarray(0, lf + 1));
  } catch (error) {
    if (!(error instanceof ResponseHeaderError)) throw error;
    throw new ClientError("bad-header", `Invalid response header: ${error.message}`, {
      cause: error,
    });
  }
  return {
    url: about.url,
    status: header.status,
    meta: header.meta,
    body: bytes.subarray(lf + 1),
    certificate: about.certificate,
  };
}
