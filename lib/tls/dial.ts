/**
 * Client connections: TCP, then TLS 1.2 or newer with SNI (none for IP literals) and an
 * optional client certificate. `dial` returns once the handshake is done, with the server
 * certificate's details and before any request byte is written, so the caller decides
 * trust first. CA validation is never relied upon: Gemini trusts on first use.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import { type CertificateInfo, certificateInfo } from "./certificate.ts";
import { type Connection, type FlowControl, NodeTlsConnection } from "./connection.ts";
import { _socketDuplex } from "./_socket_duplex.ts";

/** A client certificate and its key (PEM), sent when the server asks for one. */
export interface ClientIdentity {
  /** Certificate, PEM. */
  cert: string;
  /** Private key, PEM (PKCS#8, SEC1 or PKCS#1; encrypted PKCS#8 with `passphrase`). */
  key: string;
  /** Passphrase for an encrypted key. */
  passphrase?: string;
}

/** Options for {@linkcode dial}. */
export interface DialOptions {
  /** Port. Default 1965. */
  port?: number;
  /**
   * The SNI name. Default: `host`, or none when `host` is an IP literal. `null` sends none.
   */
  servername?: string | null;
  /** Client certificate to present. Default none. */
  identity?: ClientIdentity;
  /** Time allowed for the TCP connection and the TLS handshake together, in ms. Default 15000. */
  timeout?: number;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /** Lowest TLS version accepted. Default `TLSv1.2`. */
  minVersion?: "TLSv1.2" | "TLSv1.3";
}

/** How long the steps of a connection took, in milliseconds. */
export interface DialTiming {
  /** From the start until the TCP connection was established. */
  connectMs: number;
  /** From the TCP connection until the TLS handshake finished. */
  tlsMs: number;
}

/** A connected, handshaken client connection. Nothing has been written yet. */
export interface ClientConnection extends Connection {
  /** The server's certificate. */
  readonly peerCertificate: CertificateInfo;
  /** The SNI name sent, if any. */
  readonly servername: string | undefined;
  /** Connection timing. */
  readonly timing: DialTiming;
  /**
   * After `read()` has returned `null`: `true` when the server ended with TLS close_notify,
   * `false` when the TCP connection closed without it (the body may be truncated).
   * `undefined` before the end.
   */
  readonly closeNotify: boolean | undefined;
}

/** The TCP connection or TLS handshake failed; `code` carries the system error code if any. */
export class DialError extends Error {
  /** System error code such as `ECONNREFUSED`, or `ETIMEDOUT` / `EABORTED`. */
  readonly code: string | undefined;
  /** Creates a dial error. */
  constructor(message: string, code?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DialError";
    this.code = code;
  }
}

function isIpLiteral(host: string): boolean {
  return net.isIP(host.replace(/^\[|\]$/g, "")) !== 0;
}

class DialedConnection extends NodeTlsConnection implements ClientConnection {
  readonly servername: string | undefined;
  readonly timing: DialTiming;
  #peer: CertificateInfo;
  #eof: { closeNotify: boolean | undefined };

  constructor(
    socket: tls.TLSSocket,
    peer: CertificateInfo,
    servername: string | undefined,
    timing: DialTiming,
    eof: { closeNotify: boolean | undefined },
    flow: FlowControl,
  ) {
    super(socket, () => peer, undefined, flow);
    this.#peer = peer;
    this.servername = servername;
    this.timing = timing;
    this.#eof = eof;
  }

  override get peerCertificate(): CertificateInfo {
    return this.#peer;
  }

  get closeNotify(): boolean | undefined {
    return this.#eof.closeNotify;
  }

  override destroy(): void {
    super.destroy();
  }
}

/**
 * Opens a TLS connection to `host` and completes the handshake. The returned connection
 * carries the server certificate; write the request only after deciding to trust it.
 *
 * @example
 * ```ts ignore
 * import { dial } from "./dial.ts";
 * const conn = await dial("geminiprotocol.net");
 * console.log(conn.peerCertificate.spkiSha256);
 * await conn.write("gemini://geminiprotocol.net/\r\n");
 * ```
 */
export function dial(host: string, options: DialOptions = {}): Promise<ClientConnection> {
  const bare = host.replace(/^\[|\]$/g, "");
  const port = options.port ?? 1965;
  const servername = options.servername === null
    ? undefined
    : options.servername ?? (isIpLiteral(bare) ? undefined : bare);
  const timeoutMs = options.timeout ?? 15_000;
  const start = performance.now();

  return new Promise<ClientConnection>((resolve, reject) => {
    let settled = false;
    let tlsSocket: tls.TLSSocket | undefined;
    const flow = { paused: false, pause(): void {}, resume(): void {} };
    const raw = net.connect({ host: bare, port });
    let connectedAt = 0;

    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      tlsSocket?.destroy();
      raw.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new DialError(
            `Timed out after ${timeoutMs} ms connecting to ${host}:${port}` +
              (connectedAt ? " (TLS handshake)" : ""),
            "ETIMEDOUT",
          ),
        ),
      timeoutMs,
    );
    const onAbort = (): void =>
      fail(new DialError(`Connection to ${host}:${port} aborted`, "EABORTED"));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    raw.once("error", (error: Error & { code?: string }) => {
      fail(
        new DialError(`Cannot connect to ${host}:${port}: ${error.message}`, error.code, {
          cause: error,
        }),
      );
    });

    raw.once("connect", () => {
      connectedAt = performance.now();
      // The TLS layer reads from this duplex rather than from the TCP socket directly, so
      // that we see the TCP end of stream ourselves and can tell whether the TLS layer had
      // already received close_notify (a complete body) or not (possible truncation).
      const eof: { closeNotify: boolean | undefined } = { closeNotify: undefined };
      flow.pause = (): void => {
        flow.paused = true;
        raw.pause();
      };
      flow.resume = (): void => {
        flow.paused = false;
        raw.resume();
      };
      let tlsEnded = false;
      let rawEofPushed = false;
      const duplex = _socketDuplex(raw, () => {
        if (!flow.paused) raw.resume();
      });
      raw.on("end", () => {
        // Let the TLS layer consume every record already received, then decide.
        const settle = (): void => {
          if (duplex.readableLength > 0 && !duplex.destroyed) {
            setTimeout(settle, 1);
            return;
          }
          setTimeout(() => {
            eof.closeNotify = tlsEnded || tlsReadableEnded(tlsSocket);
            rawEofPushed = true;
            duplex.push(null);
          }, 0);
        };
        settle();
      });

      tlsSocket = tls.connect({
        socket: duplex,
        servername,
        rejectUnauthorized: false,
        minVersion: options.minVersion ?? "TLSv1.2",
        cert: options.identity?.cert,
        key: options.identity?.key,
        passphrase: options.identity?.passphrase,
      });
      tlsSocket.on("end", () => {
        tlsEnded = true;
        // The TLS layer ended before the TCP stream did: that was close_notify.
        if (!rawEofPushed) eof.closeNotify = true;
      });
      tlsSocket.once("error", (error: Error & { code?: string }) => {
        fail(
          new DialError(
            `TLS handshake with ${host}:${port} failed: ${error.message}`,
            error.code,
            { cause: error },
          ),
        );
      });
      tlsSocket.once("secureConnect", () => {
        if (settled) return;
        const socket = tlsSocket!;
        const der = socket.getPeerCertificate(true)?.raw;
        if (!der || der.length === 0) {
          return fail(new DialError(`${host}:${port} sent no certificate`, "ENOCERT"));
        }
        let peer: CertificateInfo;
        try {
          peer = certificateInfo(new Uint8Array(der));
        } catch (error) {
          return fail(
            new DialError(`${host}:${port} sent an unreadable certificate`, "EBADCERT", {
              cause: error,
            }),
          );
        }
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        socket.removeAllListeners("error");
        const done = performance.now();
        resolve(
          new DialedConnection(
            socket,
            peer,
            servername,
            {
              connectMs: connectedAt - start,
              tlsMs: done - connectedAt,
            },
            eof,
            flow,
          ),
        );
      });
    });
  });
}

function tlsReadableEnded(socket: tls.TLSSocket | undefined): boolean {
  // `ended` is set as soon as the TLS layer has pushed its end of stream (on close_notify),
  // even while earlier plaintext is still waiting for the reader.
  const state = (socket as unknown as { _readableState?: { ended?: boolean } })?._readableState;
  return state?.ended === true;
}
