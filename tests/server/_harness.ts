/**
 * The one harness for tests of our server: {@linkcode startServer} runs the real server
 * (`serve()`) on 127.0.0.1, port 0, with the throwaway localhost certificate;
 * {@linkcode fetchUrl} and {@linkcode rawRequest} are a small test client on lib/tls `dial`
 * (the client library is tested on its own) that sends a request as given and reads the
 * whole answer; {@linkcode fetchWithPreface} speaks through a fake load balancer (PROXY
 * protocol). Peers that misbehave on purpose, for the client's tests, are another thing:
 * tests/_helpers/tls_server.ts.
 */

import net from "node:net";
import tls from "node:tls";
import { concatBytes } from "../../lib/protocol/bytes.ts";
import type { Logger } from "../../lib/server/logger.ts";
import { type RunningServer, serve, type ServeOptions } from "../../lib/server/server.ts";
import type { Handler } from "../../lib/server/types.ts";
import type { CertificateInfo } from "../../lib/tls/certificate.ts";
import { NodeTlsConnection } from "../../lib/tls/connection.ts";
import { dial, type DialOptions } from "../../lib/tls/dial.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";

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
export interface TestServer {
  /** The server. */
  server: RunningServer;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Shuts it down (requests in flight get 2 s). */
  close(): Promise<void>;
}

/**
 * The settings of handler tests: clients are asked for certificates (so the `node`
 * backend serves), Titan uploads are accepted, only `localhost` is served, and request URLs
 * name the port the server listens on.
 */
export const HANDLER_TEST: Readonly<Partial<ServeOptions>> = Object.freeze<Partial<ServeOptions>>({
  requestClientCertificate: true,
  hosts: ["localhost"],
  schemes: ["gemini", "titan"],
});

/**
 * The settings of pipeline tests: request URLs name no port (`publicPort` 1965) and the
 * request rate limit is off.
 */
export const PIPELINE_TEST: Readonly<Partial<ServeOptions>> = Object.freeze<Partial<ServeOptions>>({
  publicPort: 1965,
  limits: { rate: false },
});

/**
 * Serves `handler` on 127.0.0.1 (port 0) with the localhost certificate. Every other
 * setting is `serve()`'s default unless `options` (often {@linkcode HANDLER_TEST} or
 * {@linkcode PIPELINE_TEST}, spread) says otherwise.
 */
export async function startServer(
  handler: Handler,
  options: Partial<ServeOptions> = {},
): Promise<TestServer> {
  const { cert, key } = await localhostCertificate();
  const server = await serve({
    handler,
    certificates: [{ cert, key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    ...options,
  });
  return { server, port: server.addrs[0].port, close: () => server.shutdown(2000) };
}

/** A response as the test client received it. */
export interface RawResponse {
  /** The header line without CRLF ("" when none arrived). */
  header: string;
  /** Status as a number (NaN when no header). */
  status: number;
  /** META. */
  meta: string;
  /** Body bytes. */
  body: Uint8Array;
  /** Body as UTF-8 text. */
  text: string;
  /** Whether the server ended with close_notify (`undefined` when the read failed). */
  closeNotify: boolean | undefined;
  /** The server's certificate. */
  peerCertificate: CertificateInfo;
}

/** Options for {@linkcode rawRequest}: how to connect, and what to send after the request. */
export interface RequestOptions extends DialOptions {
  /** The address to connect to. Default 127.0.0.1. */
  host?: string;
  /** Bytes read at most (then the rest is left unread). Default 64 MiB. */
  maxBytes?: number;
  /** Bytes sent after the request (a Titan upload). */
  upload?: Uint8Array;
  /**
   * Cut the connection (no close_notify, nothing read) once this many bytes of `upload`
   * have been handed to the network; the response is then empty.
   */
  abortAfter?: number;
}

/**
 * Sends `request` (string or bytes, sent as is) to 127.0.0.1:`port` and reads the answer
 * until the server ends the connection (a read error ends it too). No SNI is sent unless
 * `servername` says so.
 */
export async function rawRequest(
  port: number,
  request: string | Uint8Array,
  options: RequestOptions = {},
): Promise<RawResponse> {
  const conn = await dial(options.host ?? "127.0.0.1", {
    port,
    servername: options.servername ?? null,
    identity: options.identity,
    timeout: options.timeout ?? 10_000,
  });
  try {
    await conn.write(request);
    if (options.upload) {
      const { upload, abortAfter } = options;
      const part = abortAfter === undefined ? upload : upload.subarray(0, abortAfter);
      if (part.length > 0) await conn.write(part);
      if (abortAfter !== undefined) {
        // Handed to the TCP socket before the connection is cut, so the server gets them.
        if (conn instanceof NodeTlsConnection) {
          const socket = conn.socket;
          await new Promise<void>((resolve) => socket.write(new Uint8Array(0), () => resolve()));
        }
        return parseResponse(new Uint8Array(), undefined, conn.peerCertificate);
      }
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const max = options.maxBytes ?? 64 * 1024 * 1024;
    let failed = false;
    while (size <= max) {
      let chunk: Uint8Array | null;
      try {
        chunk = await conn.read();
      } catch {
        failed = true;
        break;
      }
      if (chunk === null) break;
      chunks.push(chunk);
      size += chunk.length;
    }
    const closeNotify = failed ? undefined : conn.closeNotify;
    return parseResponse(concatBytes(chunks), closeNotify, conn.peerCertificate);
  } finally {
    conn.destroy();
  }
}

/** Fetches `url` from 127.0.0.1:`port` (the request line is `url` + CRLF). */
export function fetchUrl(
  port: number,
  url: string,
  options: RequestOptions = {},
): Promise<RawResponse> {
  return rawRequest(port, `${url}\r\n`, options);
}

function parseResponse(
  all: Uint8Array,
  closeNotify: boolean | undefined,
  peerCertificate: CertificateInfo,
): RawResponse {
  const crlf = findCrlf(all);
  const header = crlf < 0 ? "" : new TextDecoder().decode(all.subarray(0, crlf));
  const body = crlf < 0 ? new Uint8Array() : all.subarray(crlf + 2);
  const space = header.indexOf(" ");
  return {
    header,
    status: header ? Number(header.slice(0, 2)) : NaN,
    meta: space < 0 ? "" : header.slice(space + 1),
    body,
    text: new TextDecoder().decode(body),
    closeNotify,
    peerCertificate,
  };
}

function findCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length && i < 2048; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

/**
 * One request for `url` through a fake load balancer: connects over TCP, sends `preface`
 * (when given), then speaks TLS (no verification, SNI localhost); resolves with the whole
 * response text when the server ends or closes the connection.
 */
export function fetchWithPreface(
  port: number,
  preface: Uint8Array | undefined,
  url = "gemini://localhost/",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ port, host: "127.0.0.1" }, () => {
      if (preface) raw.write(preface);
      const socket = tls.connect({
        socket: raw,
        rejectUnauthorized: false,
        servername: "localhost",
      });
      let text = "";
      socket.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
      socket.on("secureConnect", () => socket.write(`${url}\r\n`));
      socket.on("end", () => resolve(text));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    raw.on("error", reject);
  });
}
