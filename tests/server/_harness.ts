/**
 * Test harness for handlers: the real server (`serve()`) on 127.0.0.1 port 0 with a
 * throwaway certificate, client certificates requested and Titan accepted, plus a client
 * that sends a request line (and optional upload bytes) and reads the whole response.
 */

import { type CertificateBundle, generateCertificate } from "../../lib/tls/certificate.ts";
import { type ClientIdentity, dial } from "../../lib/tls/dial.ts";
import { NodeTlsConnection } from "../../lib/tls/connection.ts";
import type { Logger } from "../../lib/server/logger.ts";
import { serve, type ServeOptions } from "../../lib/server/server.ts";
import type { Handler } from "../../lib/server/types.ts";

let serverBundle: Promise<CertificateBundle> | undefined;

/** A throwaway certificate for localhost, made once per test file. */
export function serverCertificate(): Promise<CertificateBundle> {
  serverBundle ??= generateCertificate("localhost", { altNames: ["localhost", "127.0.0.1"] });
  return serverBundle;
}

/** A logger that records lines. */
export interface MemoryLogger extends Logger {
  /** Every line: level, message and fields as JSON. */
  lines: string[];
}

/** A logger for tests. */
export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>): void => {
    lines.push(`${level} ${message}${fields ? " " + JSON.stringify(fields) : ""}`);
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A running test server. */
export interface HandlerServer {
  /** Port on 127.0.0.1. */
  port: number;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 for host `localhost`, asking clients for certificates. */
export async function serveHandler(
  handler: Handler,
  options: Partial<ServeOptions> = {},
): Promise<HandlerServer> {
  const { cert, key } = await serverCertificate();
  const server = await serve({
    handler,
    certificates: [{ cert, key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    hosts: ["localhost"],
    requestClientCertificate: true,
    schemes: ["gemini", "titan"],
    ...options,
  });
  return {
    port: server.addrs[0].port,
    close: () => server.shutdown(2000),
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
        // Handed to the TCP socket before the connection is cut, so the server gets them.
        if (conn instanceof NodeTlsConnection) {
          const socket = conn.socket;
          await new Promise<void>((resolve) => socket.write(new Uint8Array(0), () => resolve()));
        }
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
