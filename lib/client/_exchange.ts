/**
 * One request and its response header, before the fetch decides what to do with it: the
 * connection (TLS 1.3 first when a client certificate goes along), the request line, the
 * header read under its deadline, and the gopher equivalent. Internal to the client.
 *
 * @module
 */

import { parseMediaType } from "../protocol/mime.ts";
import {
  type ResponseHeader,
  ResponseHeaderError,
  scanResponseHeader,
} from "../protocol/response.ts";
import { normalizeStatus, Status } from "../protocol/status.ts";
import type { TlsDetails } from "../tls/connection.ts";
import { type ClientConnection, dial, DialError } from "../tls/dial.ts";
import { DeadlineError } from "../tls/deadline.ts";
import { IncompleteHeaderError, readHeaderThenBody } from "../tls/header_body.ts";
import { _checkCharset, type _ResponseInit } from "./_response.ts";
import {
  ClientError,
  type ClientHooks,
  type Identity,
  type ResponseTiming,
  type TrustReport,
} from "./types.ts";

/** One request/response exchange, before the caller decides what to do with it. */
export interface _Exchange {
  /** The URL requested. */
  url: URL;
  /** The status as sent. */
  status: number;
  /** META as sent. */
  meta: string;
  /** The response it makes, but for what the whole fetch adds. */
  init: Omit<_ResponseInit, "redirects" | "startedAt" | "retries">;
  /** Releases the connection of a response that is not returned. */
  discard(): Promise<void>;
}

/** Whether a failed dial was the server refusing the TLS version we asked for. */
function isVersionRefusal(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? "";
  const message = error instanceof Error ? error.message : String(error);
  return /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/i.test(code) ||
    /protocol ?version|unsupported protocol|wrong version number|no protocols available/i
      .test(message);
}

/** A failed dial as a {@linkcode ClientError}: timeout, aborted, tls or network. */
function dialFailure(error: unknown, host: string, port: number): ClientError {
  if (error instanceof ClientError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DialError) {
    if (error.code === "ETIMEDOUT") return new ClientError("timeout", message, { cause: error });
    if (error.code === "EABORTED") return new ClientError("aborted", message, { cause: error });
    if (
      message.startsWith("TLS handshake") || error.code === "ENOCERT" ||
      error.code === "EBADCERT" || error.code?.startsWith("ERR_SSL")
    ) {
      return new ClientError("tls", message, { cause: error });
    }
    return new ClientError("network", message, { cause: error });
  }
  return new ClientError("network", `Cannot connect to ${host}:${port}: ${message}`, {
    cause: error,
  });
}

/** Closes gracefully (close_notify), giving the peer at most 200 ms to close its side. */
function closeSoon(conn: ClientConnection): Promise<void> {
  return (conn as unknown as { close(graceMs?: number): Promise<void> }).close(200);
}

/** How {@linkcode _connect} dials. */
export interface _ConnectOptions {
  /** Connect timeout, ms. */
  timeoutMs: number;
  /** Aborts the dial. */
  signal?: AbortSignal;
  /** The client certificate to present, with its usable key. */
  identity?: { identity: Identity; key: string };
  /** Servers (host:port) known to refuse TLS 1.3; a refusal found here is added. */
  tls12Only: Set<string>;
  /** Hears the warning about a client certificate going over TLS 1.2. */
  onWarning?: ClientHooks["onWarning"];
}

/**
 * Dials `host`:`port`. With a client certificate, TLS 1.3 is tried first: under TLS 1.2 the
 * certificate travels in clear, and the spec asks clients to warn BEFORE sending one, so a
 * server that cannot do 1.3 is named in a warning (once per server, for the life of the
 * client), then the certificate goes over TLS 1.2.
 */
export async function _connect(
  host: string,
  port: number,
  options: _ConnectOptions,
): Promise<ClientConnection> {
  const { identity, tls12Only } = options;
  const dialOptions = {
    port,
    timeout: options.timeoutMs,
    signal: options.signal,
    identity: identity ? { cert: identity.identity.cert, key: identity.key } : undefined,
  };
  const origin = `${host}:${port}`;
  try {
    if (!identity || tls12Only.has(origin)) return await dial(host, dialOptions);
    try {
      return await dial(host, { ...dialOptions, minVersion: "TLSv1.3" });
    } catch (error) {
      if (!isVersionRefusal(error)) throw error;
      tls12Only.add(origin);
      options.onWarning?.(
        `${host}:${port} speaks only TLS 1.2, where a client certificate travels ` +
          `unencrypted: anyone on the network path can see the certificate of identity ` +
          `"${identity.identity.name}" (not its key); sending it anyway`,
        { code: "tls-1.2-identity" },
      );
      return await dial(host, dialOptions);
    }
  } catch (error) {
    throw dialFailure(error, host, port);
  }
}

/** What {@linkcode _sendRequest} needs besides the connection. */
export interface _SendOptions {
  /** The server dialled (the URL's or a proxy's), for messages. */
  server: { host: string; port: number };
  /** The TLS details of the connection, read while it was open. */
  tls: TlsDetails;
  /** The trust check of the connection. */
  trust: TrustReport;
  /** The name of the identity presented, if any. */
  identity?: string;
  /** Time allowed for the response header after the request, ms. */
  headerTimeoutMs: number;
  /** Idle timeout between body chunks, ms. */
  idleTimeoutMs: number;
  /** Largest body, bytes. */
  maxBodyBytes?: number;
  /** Aborts the fetch. */
  signal?: AbortSignal;
  /** Hears that a body ended without close_notify. */
  onWarning?: ClientHooks["onWarning"];
}

/**
 * Writes the request line for `url` on `conn` (checked and trusted already) and reads the
 * response header. The connection is destroyed when that fails; the error carries what
 * was known of the connection.
 */
export async function _sendRequest(
  conn: ClientConnection,
  url: URL,
  options: _SendOptions,
): Promise<_Exchange> {
  const sentAt = performance.now();
  const timing: ResponseTiming = {
    connectMs: conn.timing.connectMs,
    tlsMs: conn.timing.tlsMs,
    firstByteMs: 0,
    totalMs: 0,
  };
  let header;
  try {
    await conn.write(`${url.href}\r\n`);
    header = await readHeader(conn, url, options, () => {
      timing.firstByteMs = performance.now() - sentAt;
    });
  } catch (error) {
    conn.destroy();
    const { host, port } = options.server;
    const failure = error instanceof ClientError ? error : new ClientError(
      "network",
      `Connection to ${host}:${port} failed: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
    failure.context ??= {
      url,
      redirects: [],
      tls: options.tls,
      certificate: conn.peerCertificate,
      trust: options.trust,
    };
    throw failure;
  }
  return exchangeOf(conn, url, header, { ...options, timing });
}

/**
 * The header, within the header timeout, and the body that follows it (the bytes that came
 * with the header first), read through the one header-then-body helper of lib/tls.
 */
async function readHeader(
  conn: ClientConnection,
  url: URL,
  options: Pick<_SendOptions, "headerTimeoutMs" | "signal">,
  onFirstByte: () => void,
): Promise<{ header: ResponseHeader; body: ReadableStream<Uint8Array> }> {
  const { headerTimeoutMs, signal } = options;
  const aborted = (): ClientError => new ClientError("aborted", `Fetch of ${url.href} aborted`);
  if (signal?.aborted) throw aborted();
  const scan = (bytes: Uint8Array): ReturnType<typeof scanResponseHeader> => {
    try {
      return scanResponseHeader(bytes);
    } catch (cause) {
      throw new ClientError(
        "bad-header",
        `Invalid response header from ${url.host}: ${
          cause instanceof ResponseHeaderError ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
  };
  try {
    return await readHeaderThenBody(conn, scan, {
      deadline: { at: Date.now() + headerTimeoutMs, signal },
      onFirstChunk: onFirstByte,
    });
  } catch (error) {
    if (error instanceof DeadlineError) {
      throw new ClientError(
        "timeout",
        `No response header from ${url.host} within ${headerTimeoutMs} ms of the request`,
      );
    }
    if (signal?.aborted && error === signal.reason) throw aborted();
    if (error instanceof IncompleteHeaderError) {
      throw new ClientError(
        "bad-header",
        error.received === 0
          ? `${url.host} closed the connection without sending a response header`
          : `${url.host} closed the connection in the middle of the response header`,
      );
    }
    throw error;
  }
}

/**
 * The exchange of a header read from `conn`: a 2x keeps the connection as its body's
 * source; any other status has no body, and the connection is closed.
 */
async function exchangeOf(
  conn: ClientConnection,
  url: URL,
  read: { header: ResponseHeader; body: ReadableStream<Uint8Array> },
  options: _SendOptions & { timing: ResponseTiming },
): Promise<_Exchange> {
  const { status, meta } = read.header;
  const success = normalizeStatus(status) === Status.Success;
  let mediaType = read.header.mediaType;
  if (success && !mediaType) mediaType = parseMediaType("text/gemini; charset=utf-8");
  if (success && mediaType?.type === "text") {
    try {
      _checkCharset(mediaType.charset, url);
    } catch {
      // reported by text(); raw bytes stay available
    }
  }
  const init: _Exchange["init"] = {
    url,
    status,
    meta,
    mediaType: success ? mediaType : undefined,
    tls: options.tls,
    certificate: conn.peerCertificate,
    trust: options.trust.verdict,
    trustReport: options.trust,
    identity: options.identity,
    timing: options.timing,
    idleTimeoutMs: options.idleTimeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    onWarning: options.onWarning,
  };
  if (success) {
    const body = read.body.getReader();
    init.source = {
      read: async () => {
        const next = await body.read();
        return next.done ? null : next.value;
      },
      closeNotify: () => conn.closeNotify,
      release: (error) => {
        if (error) conn.destroy();
        else void closeSoon(conn);
      },
    };
  } else {
    // No body after a non-2x header: whatever follows is ignored.
    await closeSoon(conn);
  }
  return {
    url,
    status,
    meta,
    init,
    discard: async (): Promise<void> => {
      if (success) conn.destroy();
      else await closeSoon(conn);
    },
  };
}

/** What {@linkcode _gopherExchange} needs. */
export interface _GopherOptions {
  /** TCP connect timeout, ms. */
  connectTimeoutMs: number;
  /** Time allowed for the first byte (and between the chunks of menus and text), ms. */
  headerTimeoutMs: number;
  /** Idle timeout between the chunks of a streamed item, ms. */
  idleTimeoutMs: number;
  /** Largest body, bytes. */
  maxBodyBytes?: number;
  /** Aborts the fetch. */
  signal?: AbortSignal;
  /** Hears warnings about the body. */
  onWarning?: ClientHooks["onWarning"];
}

/** A gopher fetch of `url` (allowed already) as an exchange: gemtext, text or a stream. */
export async function _gopherExchange(url: URL, options: _GopherOptions): Promise<_Exchange> {
  // Loaded on demand: most fetches never need gopher (or its media type table).
  const { fetchGopher } = await import("./gopher.ts");
  const got = await fetchGopher(url, {
    connectTimeoutMs: options.connectTimeoutMs,
    headerTimeoutMs: options.headerTimeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    signal: options.signal,
  });
  return {
    url,
    status: got.status,
    meta: got.meta,
    init: {
      url,
      status: got.status,
      meta: got.meta,
      mediaType: got.mediaType,
      timing: { ...got.timing, totalMs: 0 },
      head: got.head,
      source: got.source,
      idleTimeoutMs: options.idleTimeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      onWarning: options.onWarning,
    },
    discard: () => {
      got.source?.release(true);
      return Promise.resolve();
    },
  };
}
