/**
 * Serving one connection, in a fixed order: TLS handshake and request line under one
 * deadline (at most 1026 bytes), parse (59), rate limit (44), target check (53), the
 * handler (a throw becomes 40 and an error log line with the request id), the response
 * under its own deadline, and always a TLS close_notify at the end.
 *
 * @module
 */

import { isIP } from "node:net";
import { RequestError } from "../protocol/request_error.ts";
import { checkRequestTarget, parseRequestLine, scanRequestLine } from "../protocol/request.ts";
import { formatResponseHeader } from "../protocol/response.ts";
import { parseTitanUrl } from "../protocol/titan.ts";
import { hostAndPort } from "../protocol/url.ts";
import { decodeRequestPath } from "../protocol/request_path.ts";
import type { ServerConnection } from "../tls/listen.ts";
import type { AccessEntry, AccessLog } from "./access_log.ts";
import type { Limits } from "./limits.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { GeminiReply, GeminiRequest, Handler, ReplyBody } from "./types.ts";

/** Options for {@linkcode serveConnection}. */
export interface ServeConnectionOptions {
  /** Answers requests that pass the protocol checks. */
  handler: Handler;
  /** Host names served (`*` for any, `*.example.org` for subdomains). */
  hosts: readonly string[];
  /** The port requests must name (a URL without port means 1965). */
  port: number;
  /** Time for the TLS handshake and the request line, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Time for the handler and the whole response, ms. Default 300000. */
  responseTimeoutMs?: number;
  /** Rate limit (44) for requests. Default none. */
  limits?: Limits;
  /** Error and debug messages. Default silent. */
  logger?: Logger;
  /** Access log. Default none. */
  accessLog?: AccessLog;
  /** Aborted to cut a response short (hard shutdown). */
  signal?: AbortSignal;
  /**
   * The virtual host for requests whose URL names the server's own IP address (the
   * address the connection was accepted on) instead of a host name. Default none: such
   * requests get 53 unless the address is in `hosts`.
   */
  defaultHost?: string;
  /** Request id. Default 8 random hex digits. */
  requestId?: string;
  /**
   * Aborted when the server stops accepting: a connection still waiting for its request
   * line is answered `41` and closed; requests already read finish.
   */
  drainSignal?: AbortSignal;
  /**
   * Schemes answered. Default `["gemini"]`; add `titan` to accept Titan uploads, whose
   * body reaches the handler as {@linkcode GeminiRequest.body}.
   */
  schemes?: readonly string[];
}

const encoder = new TextEncoder();

class Timeout extends Error {
  constructor() {
    super("Deadline passed");
  }
}

/** How long a shutdown lets a TLS handshake in progress go on, ms. */
const HANDSHAKE_GRACE_MS = 1000;

class Draining extends Error {
  constructor() {
    super("Server is shutting down");
  }
}

function deadline<T>(promise: Promise<T>, at: number, drain?: AbortSignal): Promise<T> {
  const left = at - Date.now();
  if (left <= 0) return Promise.reject(new Timeout());
  if (drain?.aborted) return Promise.reject(new Draining());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onDrain: (() => void) | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), left);
      if (drain) {
        onDrain = () => reject(new Draining());
        drain.addEventListener("abort", onDrain, { once: true });
      }
    }),
  ]).finally(() => {
    clearTimeout(timer);
    if (onDrain) drain?.removeEventListener("abort", onDrain);
  });
}

/** A short random request id (8 hex digits). */
export function newRequestId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

async function readRequestLine(
  conn: ServerConnection,
  until: number,
  drain: AbortSignal | undefined,
): Promise<{ line: Uint8Array; rest: Uint8Array }> {
  let buffer = new Uint8Array(0);
  while (true) {
    const chunk = await deadline(conn.read(), until, drain);
    if (chunk === null) {
      throw new RequestError("missing-crlf", "Request line ended without CRLF");
    }
    const next = new Uint8Array(buffer.length + chunk.length);
    next.set(buffer);
    next.set(chunk, buffer.length);
    // Never keep more than a full line plus one byte.
    buffer = next.length > 1027 ? next.subarray(0, 1027) : next;
    const found = scanRequestLine(buffer);
    if (found) return { line: found.line, rest: found.rest.slice() };
  }
}

/** The largest body sent in the same write as the header (one TLS record, one syscall). */
const COALESCE_LIMIT = 16_384;

/**
 * The body as bytes when it is small bytes or text, so it can go out in the same write as
 * the header, else `undefined`. One write instead of two saves a TLS record, an encryption
 * and a socket write per request (bench/RESULTS.md).
 */
function smallBody(body: ReplyBody): Uint8Array | undefined {
  const bytes = typeof body === "string"
    ? (body.length <= COALESCE_LIMIT ? encoder.encode(body) : undefined)
    : body instanceof Uint8Array
    ? body
    : undefined;
  return bytes && bytes.length <= COALESCE_LIMIT ? bytes : undefined;
}

async function* bodyChunks(body: ReplyBody): AsyncGenerator<Uint8Array> {
  if (typeof body === "string") {
    yield encoder.encode(body);
  } else if (body instanceof Uint8Array) {
    yield body;
  } else if (body instanceof ReadableStream) {
    const reader = body.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  } else {
    yield* body;
  }
}

async function cancelBody(body: ReplyBody | undefined): Promise<void> {
  if (body instanceof ReadableStream) await body.cancel().catch(() => {});
  else if (body && typeof body === "object" && !(body instanceof Uint8Array)) {
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await it.return?.().catch(() => {});
  }
}

/**
 * Serves one accepted connection to the end and returns its access-log entry (also
 * written to `options.accessLog`). Never throws.
 *
 * @example
 * ```ts ignore
 * for await (const conn of listener) serveConnection(conn, { handler, hosts: ["*"], port: 1965 });
 * ```
 */
export async function serveConnection(
  conn: ServerConnection,
  options: ServeConnectionOptions,
): Promise<AccessEntry> {
  const started = Date.now();
  const logger = options.logger ?? silentLogger;
  const requestId = options.requestId ?? newRequestId();
  const entry: AccessEntry = {
    time: new Date(started),
    requestId,
    ip: conn.remoteAddress.hostname,
    host: "",
    path: "",
    status: 0,
    bytes: 0,
    durationMs: 0,
  };
  const finish = (): AccessEntry => {
    entry.time = new Date();
    entry.durationMs = Date.now() - started;
    if (entry.status !== 0 || entry.host) options.accessLog?.log(entry);
    return entry;
  };
  const until = started + (options.requestTimeoutMs ?? 10_000);
  const handshake = conn.handshake();
  try {
    try {
      await deadline(handshake, until, options.drainSignal);
    } catch (error) {
      if (!(error instanceof Draining)) throw error;
      // A shutdown began during the handshake. A TLS 1.3 client finishes its side first
      // and may already be waiting to send its request: a short grace lets the handshake
      // end so that client gets its 41 below rather than a reset.
      await deadline(handshake, Math.min(until, Date.now() + HANDSHAKE_GRACE_MS), options.signal);
    }
  } catch (error) {
    logger.debug("TLS handshake failed", { id: requestId, ip: entry.ip, error: String(error) });
    conn.destroy();
    return finish();
  }
  try {
    entry.clientCertificate = conn.peerCertificate?.certSha256;
  } catch {
    // an unparseable client certificate is treated as none
  }

  let line: Uint8Array;
  let rest: Uint8Array;
  try {
    ({ line, rest } = await readRequestLine(conn, until, options.drainSignal));
  } catch (error) {
    if (error instanceof RequestError) {
      await sendAndClose(conn, entry, error.status, error.message);
    } else if (error instanceof Timeout) {
      await sendAndClose(conn, entry, 59, "Request timeout");
    } else if (error instanceof Draining) {
      await sendAndClose(conn, entry, 41, "Server is shutting down");
    } else {
      conn.destroy();
    }
    return finish();
  }

  const wait = options.limits?.takeRequest(entry.ip) ?? 0;
  if (wait > 0) {
    // The access log line names what was refused, when the line parses.
    try {
      const url = parseRequestLine(line, { schemes: options.schemes ?? ["gemini"] });
      entry.host = hostAndPort(url).host;
      entry.path = decodeRequestPath(url).path;
    } catch {
      // left as "-": the request would have been refused anyway
    }
    await sendAndClose(conn, entry, 44, String(wait));
    return finish();
  }

  let request: GeminiRequest;
  const controller = new AbortController();
  const onAbort = (): void => {
    controller.abort(options.signal?.reason);
    conn.destroy();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const schemes = options.schemes ?? ["gemini"];
    const url = parseRequestLine(line, { schemes });
    const { host } = hostAndPort(url);
    entry.host = host;
    entry.path = url.pathname;
    const titan = url.protocol === "titan:";
    let vhost = host;
    try {
      checkRequestTarget(url, { hosts: options.hosts, port: options.port, schemes });
    } catch (error) {
      // A URL naming the address the client connected to (an IP literal, usually without
      // SNI) is for the default virtual host.
      const local = conn.localAddress.hostname;
      if (
        !(error instanceof RequestError) || error.reason !== "wrong-host" ||
        !options.defaultHost || !isIP(host) || host !== local
      ) {
        throw error;
      }
      checkRequestTarget(url, { hosts: [host], port: options.port, schemes });
      vhost = options.defaultHost;
    }
    request = {
      url,
      path: decodeRequestPath(titan ? _titanTarget(url) : url).path,
      host: vhost,
      clientCertificate: conn.peerCertificate,
      remoteAddress: conn.remoteAddress,
      requestId,
      signal: controller.signal,
      servername: conn.servername,
      tls: conn.tls,
    };
    if (titan) request.body = _uploadBody(conn, rest);
    entry.path = request.path;
  } catch (error) {
    options.signal?.removeEventListener("abort", onAbort);
    if (error instanceof RequestError) {
      await sendAndClose(conn, entry, error.status, error.message);
    } else {
      await sendAndClose(conn, entry, 59, "Bad request");
    }
    return finish();
  }

  const responseUntil = Date.now() + (options.responseTimeoutMs ?? 300_000);
  const timer = setTimeout(
    () => controller.abort(new Error("Response deadline passed")),
    Math.max(0, responseUntil - Date.now()),
  );
  try {
    let result: GeminiReply;
    let header: string;
    try {
      result = await deadline(Promise.resolve(options.handler(request)), responseUntil);
      header = formatResponseHeader(result.status, result.meta);
    } catch (error) {
      if (error instanceof Timeout) {
        logger.error("handler timed out", { id: requestId, path: request.path });
      } else {
        logger.error("handler failed", { id: requestId, path: request.path, error });
      }
      await sendAndClose(conn, entry, 40, `Temporary failure (request ${requestId})`);
      return finish();
    }
    entry.status = result.status;
    const hasBody = result.status >= 20 && result.status <= 29 && result.body !== undefined;
    try {
      const small = hasBody ? smallBody(result.body!) : undefined;
      if (small) {
        const head = encoder.encode(header);
        const both = new Uint8Array(head.length + small.length);
        both.set(head);
        both.set(small, head.length);
        await deadline(conn.write(both), responseUntil);
        entry.bytes += small.length;
      } else if (hasBody) {
        await deadline(conn.write(header), responseUntil);
        for await (const chunk of bodyChunks(result.body!)) {
          if (controller.signal.aborted) throw controller.signal.reason ?? new Timeout();
          if (chunk.length === 0) continue;
          await deadline(conn.write(chunk), responseUntil);
          entry.bytes += chunk.length;
        }
      } else {
        await deadline(conn.write(header), responseUntil);
        await cancelBody(result.body);
      }
    } catch (error) {
      // The body is incomplete: end without close_notify so the client sees the truncation.
      logger.warn("response not completed", {
        id: requestId,
        path: request.path,
        error: String(error instanceof Error ? error.message : error),
      });
      await cancelBody(result.body);
      conn.destroy();
      return finish();
    }
    await conn.close();
    return finish();
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** A Titan URL without its `;size=...` parameters (as sent when they are malformed). */
function _titanTarget(url: URL): URL {
  try {
    return parseTitanUrl(url).url;
  } catch {
    return url;
  }
}

/** The bytes after the request line: what was read with it, then the rest of the connection. */
function _uploadBody(conn: ServerConnection, first: Uint8Array): ReadableStream<Uint8Array> {
  let pending: Uint8Array | undefined = first;
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      if (pending) {
        const chunk = pending;
        pending = undefined;
        if (chunk.length > 0) return controller.enqueue(chunk);
      }
      try {
        const chunk = await conn.read();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
  });
}

async function sendAndClose(
  conn: ServerConnection,
  entry: AccessEntry,
  status: number,
  meta: string,
): Promise<void> {
  entry.status = status;
  try {
    await deadline(conn.write(formatResponseHeader(status, safeMeta(meta))), Date.now() + 5000);
    await conn.close();
  } catch {
    conn.destroy();
  }
}

function safeMeta(meta: string): string {
  // deno-lint-ignore no-control-regex
  const clean = meta.replace(/[\x00-\x1f\x7f]/g, " ");
  let bytes = encoder.encode(clean);
  if (bytes.length <= 1024) return clean;
  bytes = bytes.subarray(0, 1000);
  return new TextDecoder().decode(bytes).replace(/\uFFFD$/, "") + "...";
}
