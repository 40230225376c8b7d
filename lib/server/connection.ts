/**
 * Serving one connection, in named stages:
 *
 * 1. **read request**: the TLS handshake and the request line under one deadline (at most
 *    1026 bytes are looked at; framing errors answer 59, a shutdown answers 41); then the
 *    connection stops reading, unless the request is a Titan upload whose body follows;
 * 2. **admit**: the per-IP request rate (44 with the real wait);
 * 3. **parse**: the URL (59), its one canonical path (59), the target host and port (53);
 * 4. **route**: the handler, under the response deadline (a throw or a timeout becomes 40
 *    and an error log line with the request id);
 * 5. **reply**: the header and body, then TLS close_notify; a body cut short ends the
 *    connection without close_notify, so the client can tell.
 *
 * Each stage is a function of a few dozen lines over an {@linkcode Exchange}, and the whole
 * runs on any {@linkcode ServerConnection}, including the in-memory one of
 * memory_connection.ts, so the tables of 59, 53, 44 and 41 answers are tested without TLS.
 *
 * @module
 */

import { RequestError } from "../protocol/request_error.ts";
import { checkRequestTarget, parseRequestLine, scanRequestLine } from "../protocol/request.ts";
import { canonicalRequestPath } from "../protocol/request_path.ts";
import { formatResponseHeader } from "../protocol/response.ts";
import { parseTitanUrl } from "../protocol/titan.ts";
import { hostAndPort, isIpLiteral } from "../protocol/url.ts";
import type { ServerConnection } from "../tls/listen.ts";
import { _atDeadline, DeadlineError, withDeadline } from "../tls/deadline.ts";
import type { AccessEntry, AccessLog } from "./access_log.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { GeminiReply, GeminiRequest, Handler, ReplyBody } from "./types.ts";
import { isSuccess, Status } from "../protocol/status.ts";
import { badRequest, slowDown, temporaryFailure } from "./reply.ts";

/** What the pipeline needs of the limits: the request rate (see `Limits`). */
export interface RequestRateLimit {
  /** Takes a request token for `ip`: 0 when allowed, else the whole seconds to wait. */
  takeRequest(ip: string): number;
}

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
  limits?: RequestRateLimit;
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
  /** Called when the TLS handshake fails or the peer leaves before it ends. */
  onHandshakeFailure?: () => void;
}

const encoder = new TextEncoder();

/** How long a shutdown lets a TLS handshake in progress go on, ms. */
const HANDSHAKE_GRACE_MS = 1000;

/** One connection on its way through the stages. */
interface Exchange {
  readonly conn: ServerConnection;
  readonly options: ServeConnectionOptions;
  readonly logger: Logger;
  readonly requestId: string;
  readonly entry: AccessEntry;
  readonly started: number;
  /** Deadline of the handshake and the request line. */
  readonly requestUntil: number;
  /** Aborted when the server stops accepting. */
  readonly drain: AbortSignal | undefined;
  readonly schemes: readonly string[];
}

/** The request line and the bytes that arrived after it. */
interface RequestBytes {
  line: Uint8Array;
  rest: Uint8Array;
}

/** A short random request id (8 hex digits). */
export function newRequestId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

/**
 * Serves one accepted connection to the end and returns its access-log entry (also
 * written to `options.accessLog`). Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { serveConnection } from "./connection.ts";
 * import { memoryConnection } from "./memory_connection.ts";
 * const conn = memoryConnection("gemini://localhost/\r\n");
 * const entry = await serveConnection(conn, {
 *   handler: () => ({ status: 20, meta: "text/plain", body: "hi" }),
 *   hosts: ["localhost"],
 *   port: 1965,
 * });
 * assert.equal(conn.text(), "20 text/plain\r\nhi");
 * assert.equal(entry.status, 20);
 * assert.equal(conn.ending, "close");
 * ```
 */
export async function serveConnection(
  conn: ServerConnection,
  options: ServeConnectionOptions,
): Promise<AccessEntry> {
  const x = exchangeFor(conn, options);
  try {
    if (!(await handshake(x))) {
      conn.destroy();
      return finish(x);
    }
    const read = await readRequest(x);
    if (read === undefined) {
      conn.destroy();
      return finish(x);
    }
    if ("status" in read) return await refuse(x, read);
    const limited = admit(x, read.line);
    if (limited) return await refuse(x, limited);
    const parsed = parseRequest(x, read);
    if ("status" in parsed) return await refuse(x, parsed);
    await respond(x, parsed);
  } catch (error) {
    options.logger?.error("connection failed", { id: x.requestId, ip: x.entry.ip, error });
    conn.destroy();
  }
  return finish(x);
}

function exchangeFor(conn: ServerConnection, options: ServeConnectionOptions): Exchange {
  // The request deadline runs from the TCP accept, which may be before the ClientHello.
  const started = conn.acceptedAt;
  const requestId = options.requestId ?? newRequestId();
  return {
    conn,
    options,
    logger: options.logger ?? silentLogger,
    requestId,
    started,
    requestUntil: started + (options.requestTimeoutMs ?? 10_000),
    drain: options.drainSignal,
    schemes: options.schemes ?? ["gemini"],
    entry: {
      time: new Date(started),
      requestId,
      ip: conn.remoteAddress.hostname,
      host: "",
      path: "",
      status: 0,
      bytes: 0,
      durationMs: 0,
    },
  };
}

function finish(x: Exchange): AccessEntry {
  const { entry } = x;
  entry.time = new Date();
  entry.durationMs = Date.now() - x.started;
  if (entry.status !== 0 || entry.host) x.options.accessLog?.log(entry);
  return entry;
}

/** Stage 1a: the TLS handshake, under the request deadline. False when it failed. */
async function handshake(x: Exchange): Promise<boolean> {
  const done = x.conn.handshake();
  try {
    try {
      await withDeadline(done, { at: x.requestUntil, signal: x.drain });
    } catch (error) {
      if (!isDraining(x, error)) throw error;
      // A shutdown began during the handshake. A TLS 1.3 client finishes its side first
      // and may already be waiting to send its request: a short grace lets the handshake
      // end so that client gets its 41 rather than a reset.
      const grace = Math.min(x.requestUntil, Date.now() + HANDSHAKE_GRACE_MS);
      await withDeadline(done, { at: grace, signal: x.options.signal });
    }
  } catch (error) {
    x.logger.debug("TLS handshake failed", {
      id: x.requestId,
      ip: x.entry.ip,
      error: String(error),
    });
    x.options.onHandshakeFailure?.();
    return false;
  }
  try {
    x.entry.clientCertificate = x.conn.peerCertificate?.certSha256;
  } catch {
    // an unparseable client certificate is treated as none
  }
  return true;
}

/**
 * Stage 1b: the request line, under the request deadline. Returns the line and the bytes
 * after it, the reply for a malformed line (59), a late one (59) or a shutdown (41), or
 * `undefined` when the connection failed. Only a Titan request goes on reading.
 */
async function readRequest(x: Exchange): Promise<RequestBytes | GeminiReply | undefined> {
  // At most a full line plus one byte is kept between reads; the chunk that completes the
  // line is kept whole, since a Titan body may have arrived with it.
  let head: Uint8Array = new Uint8Array(0);
  try {
    while (true) {
      const chunk = await withDeadline(x.conn.read(), { at: x.requestUntil, signal: x.drain });
      if (chunk === null) {
        throw new RequestError("missing-crlf", "Request line ended without CRLF");
      }
      const bytes = head.length === 0 ? chunk : joinBytes(head, chunk);
      const found = scanRequestLine(bytes);
      if (found) {
        if (!isUpload(found.line, x.schemes)) x.conn.stopReading();
        return { line: found.line, rest: found.rest };
      }
      head = bytes;
    }
  } catch (error) {
    if (error instanceof RequestError) return { status: error.status, meta: error.message };
    if (error instanceof DeadlineError) return badRequest("Request timeout");
    if (isDraining(x, error)) {
      return temporaryFailure("Server is shutting down", Status.ServerUnavailable);
    }
    return undefined;
  }
}

/** Whether `error` is the drain signal's abort (the server stopped accepting). */
function isDraining(x: Exchange, error: unknown): boolean {
  return x.drain !== undefined && x.drain.aborted && error === x.drain.reason;
}

/** Whether a request line is a Titan upload this server takes (its body follows it). */
function isUpload(line: Uint8Array, schemes: readonly string[]): boolean {
  if (!schemes.includes("titan") || line.length < 6) return false;
  return new TextDecoder().decode(line.subarray(0, 6)).toLowerCase() === "titan:";
}

/** Stage 2: the request rate of the client. Returns the 44 reply when it is over. */
function admit(x: Exchange, line: Uint8Array): GeminiReply | undefined {
  const wait = x.options.limits?.takeRequest(x.entry.ip) ?? 0;
  if (wait <= 0) return undefined;
  // The access log names what was refused, when the line parses.
  try {
    const url = parseRequestLine(line, { schemes: x.schemes });
    x.entry.host = hostAndPort(url).host;
    x.entry.path = loggedPath(url);
    x.entry.path = canonicalRequestPath(url.protocol === "titan:" ? titanTarget(url) : url);
  } catch {
    // left as "-": the request would have been refused anyway
  }
  return slowDown(wait);
}

/**
 * Stage 3: the request as handlers see it: its URL, its canonical path, and the virtual
 * host it is for. Returns the 59 or 53 reply for a request that is refused.
 */
function parseRequest(x: Exchange, read: RequestBytes): GeminiRequest | GeminiReply {
  const { conn, entry, options } = x;
  try {
    const url = parseRequestLine(read.line, { schemes: x.schemes });
    const { host } = hostAndPort(url);
    entry.host = host;
    entry.path = loggedPath(url);
    const titan = url.protocol === "titan:";
    const path = canonicalRequestPath(titan ? titanTarget(url) : url);
    entry.path = path;
    const request: GeminiRequest = {
      url,
      path,
      host: targetHost(x, url, host),
      clientCertificate: conn.peerCertificate,
      remoteAddress: conn.remoteAddress,
      requestId: x.requestId,
      signal: options.signal ?? new AbortController().signal,
      servername: conn.servername,
      tls: conn.tls,
    };
    if (titan) request.body = uploadBody(conn, read.rest);
    return request;
  } catch (error) {
    if (error instanceof RequestError) return { status: error.status, meta: error.message };
    return badRequest();
  }
}

/**
 * The virtual host of a request: its URL's host when served here, or the default host
 * when the URL names the address the client connected to (an IP literal, usually sent
 * without SNI). Throws the 53 {@linkcode RequestError} otherwise.
 */
function targetHost(x: Exchange, url: URL, host: string): string {
  const { options } = x;
  const target = { hosts: options.hosts, port: options.port, schemes: x.schemes };
  try {
    checkRequestTarget(url, target);
    return host;
  } catch (error) {
    const local = x.conn.localAddress.hostname;
    if (
      !(error instanceof RequestError) || error.reason !== "wrong-host" ||
      !options.defaultHost || !isIpLiteral(host) || host !== local
    ) {
      throw error;
    }
    checkRequestTarget(url, { ...target, hosts: [host] });
    return options.defaultHost;
  }
}

/** The path the access log shows before the canonical one is known (never Titan's token). */
function loggedPath(url: URL): string {
  if (url.protocol !== "titan:") return url.pathname;
  const semicolon = url.pathname.indexOf(";");
  return semicolon < 0 ? url.pathname : url.pathname.slice(0, semicolon);
}

/** A Titan URL without its `;size=...` parameters (also when they are malformed). */
function titanTarget(url: URL): URL {
  try {
    return parseTitanUrl(url).url;
  } catch {
    const plain = new URL(url.href);
    plain.pathname = loggedPath(url);
    plain.search = "";
    return plain;
  }
}

/**
 * The bytes after the request line: what was read with it, then the rest of the
 * connection, pulled as the handler reads (the connection reads ahead by at most 64 KiB).
 */
function uploadBody(conn: ServerConnection, first: Uint8Array): ReadableStream<Uint8Array> {
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
  }, { highWaterMark: 0 });
}

/** Stages 4 and 5 for a request that passed the checks. */
async function respond(x: Exchange, request: GeminiRequest): Promise<void> {
  const controller = new AbortController();
  const responseUntil = Date.now() + (x.options.responseTimeoutMs ?? 300_000);
  const hard = x.options.signal;
  const onHard = (): void => {
    controller.abort(hard?.reason);
    x.conn.destroy();
  };
  hard?.addEventListener("abort", onHard, { once: true });
  const cancelTimer = _atDeadline(
    responseUntil,
    () => controller.abort(new DeadlineError("Response deadline passed")),
  );
  try {
    const routed = await route(x, { ...request, signal: controller.signal }, responseUntil);
    x.conn.stopReading();
    await reply(x, routed, { until: responseUntil, signal: controller.signal });
  } finally {
    cancelTimer();
    hard?.removeEventListener("abort", onHard);
  }
}

/** A reply with its header already formatted (so it is known to be valid). */
interface RoutedReply {
  reply: GeminiReply;
  header: string;
}

/** Stage 4: the handler, under the response deadline; a throw or a timeout becomes 40. */
async function route(
  x: Exchange,
  request: GeminiRequest,
  until: number,
): Promise<RoutedReply> {
  try {
    const reply = await withDeadline(Promise.resolve(x.options.handler(request)), { at: until });
    return { reply, header: formatResponseHeader(reply.status, reply.meta) };
  } catch (error) {
    if (error instanceof DeadlineError) {
      x.logger.error("handler timed out", { id: x.requestId, path: request.path });
    } else {
      x.logger.error("handler failed", { id: x.requestId, path: request.path, error });
    }
    const meta = `Temporary failure (request ${x.requestId})`;
    return {
      reply: { status: Status.TemporaryFailure, meta },
      header: formatResponseHeader(Status.TemporaryFailure, meta),
    };
  }
}

/** The largest body sent in the same write as the header (one TLS record, one syscall). */
const COALESCE_LIMIT = 16_384;

/**
 * Stage 5: the header and the body (for 2x), then close_notify. A body that cannot be
 * sent whole ends the connection without close_notify, so the client sees the truncation.
 */
async function reply(
  x: Exchange,
  routed: RoutedReply,
  limits: { until: number; signal: AbortSignal },
): Promise<void> {
  const { conn, entry } = x;
  const { reply, header } = routed;
  entry.status = reply.status;
  const body = isSuccess(reply.status) ? reply.body : undefined;
  const write = (data: Uint8Array | string): Promise<void> =>
    withDeadline(conn.write(data), { at: limits.until, signal: limits.signal });
  try {
    const small = body === undefined ? undefined : smallBody(body);
    if (body === undefined) {
      await write(header);
      await cancelBody(reply.body);
    } else if (small) {
      await write(joinBytes(encoder.encode(header), small));
      entry.bytes += small.length;
    } else {
      await write(header);
      for await (const chunk of bodyChunks(body)) {
        if (limits.signal.aborted) throw limits.signal.reason;
        if (chunk.length === 0) continue;
        await write(chunk);
        entry.bytes += chunk.length;
      }
    }
  } catch (error) {
    x.logger.warn("response not completed", {
      id: x.requestId,
      path: entry.path,
      error: error instanceof Error ? error.message : String(error),
    });
    await cancelBody(reply.body);
    await conn.cut();
    return;
  }
  await conn.close();
}

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

/** Answers a refused request (no body) and closes; returns the access-log entry. */
async function refuse(x: Exchange, refusal: GeminiReply): Promise<AccessEntry> {
  const { conn, entry } = x;
  conn.stopReading();
  entry.status = refusal.status;
  try {
    const header = formatResponseHeader(refusal.status, safeMeta(refusal.meta));
    await withDeadline(conn.write(header), { at: Date.now() + 5000 });
    await conn.close();
  } catch {
    conn.destroy();
  }
  return finish(x);
}

function safeMeta(meta: string): string {
  // deno-lint-ignore no-control-regex
  const clean = meta.replace(/[\x00-\x1f\x7f]/g, " ");
  let bytes = encoder.encode(clean);
  if (bytes.length <= 1024) return clean;
  bytes = bytes.subarray(0, 1000);
  return new TextDecoder().decode(bytes).replace(/\uFFFD$/, "") + "...";
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
