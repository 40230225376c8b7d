/**
 * Titan uploads from the client side: build the `titan://` URL with its `size`, `mime`
 * and `token` parameters (protocol's `formatTitanUrl`), connect, send the request line and the body, and read the
 * server's answer (even when the server answers before the whole body was sent).
 *
 * @module
 */

import { concatBytes } from "../protocol/bytes.ts";
import type { CertificateInfo } from "../tls/certificate.ts";
import { type ClientIdentity, dial, DialError } from "../tls/dial.ts";
import { formatTitanUrl } from "../protocol/titan.ts";
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
 * ```ts ignore
 * import { titanUpload } from "./titan.ts";
 * const result = await titanUpload("titan://example.org/wiki/Hello", new TextEncoder().encode("# Hi\n"), { token: "s3cret" });
 * console.log(result.status, result.meta);
 * ```
 */
export async function titanUpload(
  url: string | URL,
  data: Uint8Array,
  options: TitanUploadOptions = {},
): Promise<TitanUploadResult> {
  let requestUrl: string;
  try {
    requestUrl = formatTitanUrl(url, {
      size: data.length,
      mime: options.mime,
      token: options.token,
    });
  } catch (error) {
    throw new ClientError("bad-url", error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const target = new URL(requestUrl);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const port = target.port ? Number(target.port) : 1965;
  let conn;
  try {
    conn = await dial(host, {
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
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => conn.destroy(), timeoutMs);
  const onAbort = (): void => conn.destroy();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await options.checkServer?.(conn.peerCertificate, host, port);
    const line = new TextEncoder().encode(`${requestUrl}\r\n`);
    // The server may answer (and close) before the body is through, e.g. when the upload is
    // too large: keep whatever it says.
    try {
      await conn.write(line);
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
    const all = concatBytes(chunks);
    const lf = all.indexOf(10);
    if (lf < 0) {
      if (options.signal?.aborted) throw new ClientError("aborted", "Upload aborted");
      throw new ClientError(
        readError ? "network" : "bad-header",
        `No response header from ${host}:${port}` +
          (readError instanceof Error ? `: ${readError.message}` : ""),
        { cause: readError },
      );
    }
    const header = new TextDecoder().decode(all.subarray(0, lf)).replace(/\r$/, "");
    const m = /^([1-6][0-9])(?: (.*))?$/.exec(header);
    if (!m) {
      throw new ClientError("bad-header", `Invalid response header ${JSON.stringify(header)}`);
    }
    return {
      url: requestUrl,
      status: Number(m[1]),
      meta: m[2] ?? "",
      body: all.subarray(lf + 1),
      certificate: conn.peerCertificate,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    conn.destroy();
  }
}
