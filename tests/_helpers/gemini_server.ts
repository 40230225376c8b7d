/**
 * The raw test peer of tls_server.ts with the request handed over as a lib/tls
 * `Connection`: the handler gets the request line and a connection to answer on, however
 * the test needs, including badly. For the client's tests (tests of our own server use
 * tests/server/_harness.ts).
 */

import { type CertificateBundle, certificateInfo } from "../../lib/tls/certificate.ts";
import type { CertificateInfo } from "../../lib/tls/certificate.ts";
import { type Connection, NodeTlsConnection } from "../../lib/tls/connection.ts";
import type { ServerCertificate } from "../../lib/tls/listen.ts";
import { startTestServer } from "./tls_server.ts";

/** The connection a handler answers on. */
export interface PeerConnection extends Connection {
  /** The client's certificate, if it sent one. */
  readonly peerCertificate: CertificateInfo | undefined;
}

/** What a handler gets. */
export interface GeminiTestRequest {
  /** The request line without CRLF. */
  line: string;
  /** The connection: write the answer, then `close()` (close_notify) or `destroy()`. */
  conn: PeerConnection;
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
  /** Certificate rotation: `setCertificates` replaces them for new connections. */
  listener: { setCertificates(certificates: ServerCertificate[]): void };
  /** Stops the server. */
  close(): Promise<void>;
}

/** Answers `status meta`, then `body`, then close_notify. */
export async function answer(
  conn: Connection,
  header: string,
  body?: string | Uint8Array,
): Promise<void> {
  await conn.write(header);
  if (body !== undefined) await conn.write(body);
  await conn.close();
}

/** Starts a Gemini test server (client certificates are asked for unless told otherwise). */
export async function startGeminiServer(
  handler: (request: GeminiTestRequest) => void | Promise<void>,
  options: { certificate?: CertificateBundle; requestClientCertificate?: boolean } = {},
): Promise<GeminiTestServer> {
  const server = await startTestServer(async ({ socket, line }) => {
    const index = server.lines.length - 1;
    const conn = new NodeTlsConnection(socket, () => {
      const der = socket.getPeerCertificate(true)?.raw;
      return der && der.length > 0 ? certificateInfo(new Uint8Array(der)) : undefined;
    });
    try {
      await handler({ line, conn, index });
    } catch {
      conn.destroy();
    }
  }, {
    certificates: options.certificate ? [options.certificate] : undefined,
    requestCert: options.requestClientCertificate ?? true,
  });
  return {
    port: server.port,
    url: (path = "/") => `gemini://localhost:${server.port}${path}`,
    get lines() {
      return server.lines;
    },
    get handshakes() {
      return server.handshakes;
    },
    listener: { setCertificates: (certificates) => server.setCertificates(certificates) },
    close: () => server.close(),
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
