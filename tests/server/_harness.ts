/**
 * Test harness for handlers: a minimal Gemini server over real TLS on 127.0.0.1 port 0
 * (lib/tls listen, client certificates requested) that calls one handler, and a client
 * that sends a request line (plus optional upload bytes) and reads the whole response.
 */

import { type CertificateBundle, generateCertificate } from "../../lib/tls/certificate.ts";
import { type ClientIdentity, dial } from "../../lib/tls/dial.ts";
import { listen, type ServerConnection } from "../../lib/tls/listen.ts";
import type {
  GeminiReply,
  GeminiRequest,
  Handler,
  Logger,
} from "../../lib/server/handler_types.ts";

let serverBundle: Promise<CertificateBundle> | undefined;

/** A throwaway certificate for localhost, made once per test file. */
export function serverCertificate(): Promise<CertificateBundle> {
  serverBundle ??= generateCertificate("localhost", { altNames: ["localhost", "127.0.0.1"] });
  return serverBundle;
}

/** A logger that records lines. */
export interface MemoryLogger extends Logger {
  /** Every line, prefixed with its level. */
  lines: string[];
}

/** A logger for tests. */
export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

/** A running test server. */
export interface HandlerServer {
  /** Port on 127.0.0.1. */
  port: number;
  /** Number of requests answered. */
  answered: number;
  /** Stops accepting and waits for open connections. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

async function* bodyChunks(body: GeminiReply["body"]): AsyncGenerator<Uint8Array> {
  if (body === undefined) return;
  if (typeof body === "string") yield encoder.encode(body);
  else if (body instanceof Uint8Array) yield body;
  else yield* body as AsyncIterable<Uint8Array>;
}

async function serveOne(conn: ServerConnection, handler: Handler, id: number): Promise<void> {
  const controller = new AbortController();
  try {
    await conn.handshake();
    let buffer = new Uint8Array(0);
    let lf = -1;
    for (let i = 0; i < 64 && lf < 0; i++) {
      const chunk = await conn.read();
      if (!chunk) break;
      const next = new Uint8Array(buffer.length + chunk.length);
      next.set(buffer);
      next.set(chunk, buffer.length);
      buffer = next;
      lf = buffer.indexOf(10);
      if (buffer.length > 2048) break;
    }
    if (lf < 0) {
      await conn.write("59 Bad request\r\n");
      return;
    }
    const line = new TextDecoder().decode(buffer.subarray(0, lf)).replace(/\r$/, "");
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      await conn.write("59 Bad request\r\n");
      return;
    }
    let rest: Uint8Array | undefined = buffer.subarray(lf + 1);
    const body = new ReadableStream<Uint8Array>({
      async pull(c): Promise<void> {
        if (rest) {
          const r = rest;
          rest = undefined;
          if (r.length > 0) return c.enqueue(r);
        }
        try {
          const chunk = await conn.read();
          if (chunk) c.enqueue(chunk);
          else c.close();
        } catch (error) {
          c.error(error);
        }
      },
    });
    const rawPath = (url.protocol === "titan:" ? url.pathname.split(";")[0] : url.pathname) || "/";
    const request: GeminiRequest = {
      url,
      path: decodeURIComponent(rawPath),
      host: url.hostname,
      clientCertificate: conn.peerCertificate,
      remoteAddress: conn.remoteAddress,
      requestId: `t${id}`,
      signal: controller.signal,
      body,
    };
    let reply: GeminiReply;
    try {
      reply = await handler(request);
    } catch {
      reply = { status: 40, meta: "Internal error" };
    }
    await conn.write(`${reply.status} ${reply.meta}\r\n`);
    if (reply.status >= 20 && reply.status < 30) {
      try {
        for await (const chunk of bodyChunks(reply.body)) await conn.write(chunk);
      } catch {
        conn.destroy();
        return;
      }
    }
  } catch {
    conn.destroy();
    return;
  } finally {
    controller.abort();
  }
  await conn.close();
}

/** Serves `handler` on 127.0.0.1, asking clients for certificates. */
export async function serveHandler(handler: Handler): Promise<HandlerServer> {
  const { cert, key } = await serverCertificate();
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [{ cert, key }],
    requestClientCertificate: true,
    backend: "node",
  });
  const open = new Set<Promise<void>>();
  let answered = 0;
  let id = 0;
  const loop = (async (): Promise<void> => {
    for await (const conn of listener) {
      const p = serveOne(conn, handler, ++id).finally(() => {
        answered++;
        open.delete(p);
      });
      open.add(p);
    }
  })();
  return {
    port: listener.addr.port,
    get answered() {
      return answered;
    },
    async close(): Promise<void> {
      listener.close();
      await loop;
      await Promise.allSettled([...open]);
    },
  };
}

/** A response as the test client saw it. */
export interface TestResponse {
  /** Status code. */
  status: number;
  /** META. */
  meta: string;
  /** The body, decoded as UTF-8. */
  body: string;
  /** The raw body. */
  bytes: Uint8Array;
}

/** Options for {@linkcode request}. */
export interface RequestOptions {
  /** Client certificate. */
  identity?: ClientIdentity;
  /** Bytes sent after the request line. */
  upload?: Uint8Array;
  /** Close the connection (without reading) right after sending this many upload bytes. */
  abortAfter?: number;
}

/** Sends `url` to 127.0.0.1:`port` and reads the whole response. */
export async function request(
  port: number,
  url: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const conn = await dial("127.0.0.1", {
    port,
    servername: "localhost",
    identity: options.identity,
  });
  try {
    await conn.write(`${url}\r\n`);
    if (options.upload) {
      const part = options.abortAfter === undefined
        ? options.upload
        : options.upload.subarray(0, options.abortAfter);
      if (part.length > 0) await conn.write(part);
      if (options.abortAfter !== undefined) {
        conn.destroy();
        return { status: 0, meta: "", body: "", bytes: new Uint8Array() };
      }
    }
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 100_000; i++) {
      let chunk: Uint8Array | null;
      try {
        chunk = await conn.read();
      } catch {
        break;
      }
      if (!chunk) break;
      chunks.push(chunk);
    }
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    const lf = all.indexOf(10);
    const header = new TextDecoder().decode(all.subarray(0, lf < 0 ? all.length : lf)).replace(
      /\r$/,
      "",
    );
    const bytes = lf < 0 ? new Uint8Array() : all.subarray(lf + 1);
    const m = /^(\d\d)(?: (.*))?$/.exec(header);
    return {
      status: m ? Number(m[1]) : -1,
      meta: m ? m[2] ?? "" : header,
      body: new TextDecoder().decode(bytes),
      bytes,
    };
  } finally {
    conn.destroy();
  }
}
