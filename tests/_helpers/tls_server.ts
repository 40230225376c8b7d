/**
 * A raw `node:tls` test server on 127.0.0.1, port 0, for tests that need a peer that
 * behaves (or misbehaves) in a precise way. The handler gets the socket and the request
 * line (or the raw first bytes) and does whatever the test needs. This is the peer the
 * client's tests talk to (gemini_server.ts hands it the request as a Connection); tests of
 * our own server use tests/server/_harness.ts.
 */

import { concatBytes } from "../../lib/protocol/bytes.ts";
import net from "node:net";
import tls from "node:tls";
import {
  type CertificateBundle,
  certificateInfo,
  generateCertificate,
} from "../../lib/tls/certificate.ts";

/** What a test server's handler receives. */
export interface TestRequest {
  /** The TLS socket. */
  socket: tls.TLSSocket;
  /** The first line received, without its line end; "" if the client sent nothing. */
  line: string;
  /** Every byte received before the handler ran (the line and anything after it). */
  raw: Uint8Array;
  /** SNI name sent by the client. */
  servername: string | undefined;
  /** The client's certificate (DER), if one was sent. */
  clientCertificate: Uint8Array | undefined;
}

/** Options for {@linkcode startTestServer}. */
export interface TestServerOptions {
  /** Certificates by SNI name; the first is the default. Default: one for `localhost`. */
  certificates?: CertificateBundle[];
  /** Ask clients for a certificate. Default true. */
  requestCert?: boolean;
  /** Call the handler on connection without waiting for a line. Default false. */
  raw?: boolean;
  /** Maximum TLS version, e.g. to test version refusal. */
  maxVersion?: tls.SecureVersion;
}

/** A running test server. */
export interface TestServer {
  /** The port it listens on. */
  port: number;
  /** Every request line received, in order. */
  lines: string[];
  /** Number of TLS handshakes completed. */
  handshakes: number;
  /**
   * Replaces the certificates for new connections (names: the certificate's common name and
   * alternative names); the first is the default.
   */
  setCertificates(certificates: { cert: string; key: string }[]): void;
  /** Stops the server and destroys open sockets. */
  close(): Promise<void>;
}

let defaultBundle: Promise<CertificateBundle> | undefined;

/** A throwaway ECDSA certificate for `localhost` and 127.0.0.1, made once per test file. */
export function localhostCertificate(): Promise<CertificateBundle> {
  defaultBundle ??= generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1", "::1"],
  });
  return defaultBundle;
}

/** Starts a test server whose `handler` answers each connection. */
export async function startTestServer(
  handler: (request: TestRequest) => void | Promise<void>,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const bundles = options.certificates ?? [await localhostCertificate()];
  const contextsOf = (
    certificates: { cert: string; key: string }[],
  ): { names: (string | undefined)[]; context: tls.SecureContext }[] =>
    certificates.map(({ cert, key }) => {
      const info = certificateInfo(cert);
      return {
        names: [info.commonName, ...info.altNames],
        context: tls.createSecureContext({ cert, key, maxVersion: options.maxVersion }),
      };
    });
  let contexts = contextsOf(bundles);
  const sockets = new Set<net.Socket>();
  const state = { lines: [] as string[], handshakes: 0 };
  const server = net.createServer((rawSocket) => {
    sockets.add(rawSocket);
    rawSocket.on("close", () => sockets.delete(rawSocket));
    rawSocket.on("error", () => {});
    const socket = new tls.TLSSocket(rawSocket, {
      isServer: true,
      secureContext: contexts[0].context,
      requestCert: options.requestCert ?? true,
      rejectUnauthorized: false,
      SNICallback: (name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
        const match = contexts.find((c) => c.names.includes(name)) ?? contexts[0];
        cb(null, match.context);
      },
    } as tls.TLSSocketOptions);
    socket.on("error", () => {});
    socket.on("secure", () => {
      state.handshakes++;
      const peer = socket.getPeerCertificate(true);
      const info = {
        socket,
        servername: (socket as unknown as { servername?: string }).servername || undefined,
        clientCertificate: peer?.raw ? new Uint8Array(peer.raw) : undefined,
      };
      if (options.raw) {
        Promise.resolve(handler({ ...info, line: "", raw: new Uint8Array() })).catch(() =>
          socket.destroy()
        );
        return;
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      const onData = (chunk: Uint8Array): void => {
        chunks.push(chunk);
        size += chunk.length;
        const all = concatBytes(chunks);
        const lf = all.indexOf(10);
        if (lf < 0 && size < 65536) return;
        socket.off("data", onData);
        const line = new TextDecoder().decode(all.subarray(0, lf < 0 ? size : lf)).replace(
          /\r$/,
          "",
        );
        state.lines.push(line);
        Promise.resolve(handler({ ...info, line, raw: all })).catch(() => socket.destroy());
      };
      socket.on("data", onData);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get lines() {
      return state.lines;
    },
    get handshakes() {
      return state.handshakes;
    },
    setCertificates(certificates): void {
      contexts = contextsOf(certificates);
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
