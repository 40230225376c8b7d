/**
 * A small Gemini test server on 127.0.0.1, port 0, built on lib/tls `listen` (node backend:
 * client certificates and certificate rotation). The handler gets the request line and the
 * connection and answers however the test needs, including badly.
 */

import { listen, type Listener, type ServerConnection } from "../../lib/tls/listen.ts";
import type { CertificateBundle } from "../../lib/tls/certificate.ts";
import { localhostCertificate } from "./tls_server.ts";

/** What a handler gets. */
export interface GeminiTestRequest {
  /** The request line without CRLF. */
  line: string;
  /** The connection: write the answer, then `close()` (close_notify) or `destroy()`. */
  conn: ServerConnection;
  /** The request number, from 0. */
  index: number;
}

/** A running test server. */
export interface GeminiTestServer {
  /** The port. */
  port: number;
  /** `gemini://localhost:PORT` + `path`. */
  url(path?: string): string;
  /** Every request line received, in order. */
  lines: string[];
  /** TLS handshakes completed. */
  handshakes: number;
  /** The listener (for `setCertificates`). */
  listener: Listener;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Answers `status meta`, then `body`, then close_notify. */
export async function answer(
  conn: ServerConnection,
  header: string,
  body?: string | Uint8Array,
): Promise<void> {
  await conn.write(header);
  if (body !== undefined) await conn.write(body);
  await conn.close();
}

/** Starts a Gemini test server. */
export async function startGeminiServer(
  handler: (request: GeminiTestRequest) => void | Promise<void>,
  options: { certificate?: CertificateBundle; requestClientCertificate?: boolean } = {},
): Promise<GeminiTestServer> {
  const bundle = options.certificate ?? await localhostCertificate();
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [{ cert: bundle.cert, key: bundle.key, names: ["localhost", "127.0.0.1"] }],
    requestClientCertificate: options.requestClientCertificate ?? true,
    backend: "node",
  });
  const state = { lines: [] as string[], handshakes: 0 };
  const open = new Set<ServerConnection>();
  const loop = (async (): Promise<void> => {
    for await (const conn of listener) {
      open.add(conn);
      (async (): Promise<void> => {
        try {
          await conn.handshake();
          state.handshakes++;
          let buffer = new Uint8Array(0);
          for (let i = 0; i < 64; i++) {
            const chunk = await conn.read();
            if (!chunk) break;
            const joined = new Uint8Array(buffer.length + chunk.length);
            joined.set(buffer);
            joined.set(chunk, buffer.length);
            buffer = joined;
            if (buffer.includes(10) || buffer.length > 4096) break;
          }
          if (buffer.length === 0) {
            conn.destroy();
            return;
          }
          const text = new TextDecoder().decode(buffer);
          const line = text.split("\n")[0].replace(/\r$/, "");
          const index = state.lines.length;
          state.lines.push(line);
          await handler({ line, conn, index });
        } catch {
          conn.destroy();
        } finally {
          open.delete(conn);
        }
      })();
    }
  })();
  const port = listener.addr.port;
  return {
    port,
    url: (path = "/") => `gemini://localhost:${port}${path}`,
    get lines() {
      return state.lines;
    },
    get handshakes() {
      return state.handshakes;
    },
    listener,
    async close(): Promise<void> {
      listener.close();
      for (const conn of open) conn.destroy();
      await loop;
    },
  };
}

/**
 * Starts a Gemini test server with `handler` (and `options`), runs `body` with it and closes
 * it, whether `body` passes or throws.
 */
export async function withGeminiServer(
  handler: (request: GeminiTestRequest) => void | Promise<void>,
  body: (server: GeminiTestServer) => Promise<void>,
  options: { certificate?: CertificateBundle; requestClientCertificate?: boolean } = {},
): Promise<void> {
  const server = await startGeminiServer(handler, options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}
