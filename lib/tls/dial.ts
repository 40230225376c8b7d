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
import { DeadlineError, withDeadline } from "./deadline.ts";

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
 * ```ts
 * import { dial } from "./dial.ts";
 * import { generateCertificate } from "./certificate.ts";
 * import { listen } from "./listen.ts";
 * import assert from "node:assert/strict";
 *
 * // A one-request server on loopback, so the example needs no network.
 * const { cert, key, info } = await generateCertificate("localhost", { altNames: ["127.0.0.1"] });
 * const listener = await listen({ hostname: "127.0.0.1", port: 0, certificates: [{ cert, key }] });
 * const requests: string[] = [];
 * const served = (async () => {
 *   const conn = (await listener.accept())!;
 *   await conn.handshake();
 *   requests.push(new TextDecoder().decode(await conn.read() ?? undefined));
 *   await conn.write("20 text/gemini\r\n# Hello\n");
 *   await conn.close();
 * })();
 *
 * const conn = await dial("127.0.0.1", { port: listener.addr.port });
 * // Decide on trust here, before any request byte is written.
 * assert.equal(conn.peerCertificate.spkiSha256, info.spkiSha256);
 * await conn.write(`gemini://127.0.0.1:${listener.addr.port}/\r\n`);
 * let answer = "";
 * for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
 *   answer += new TextDecoder().decode(chunk);
 * }
 * assert.equal(answer, "20 text/gemini\r\n# Hello\n");
 * await served;
 * listener.close();
 * ```
 */
export async function dial(host: string, options: DialOptions = {}): Promise<ClientConnection> {
  const bare = host.replace(/^\[|\]$/g, "");
  const port = options.port ?? 1965;
  const servername = options.servername === null
    ? undefined
    : options.servername ?? (isIpLiteral(bare) ? undefined : bare);
  const timeoutMs = options.timeout ?? 15_000;
  const where = `${host}:${port}`;
  const { signal } = options;
  if (signal?.aborted) throw new DialError(`Connection to ${where} aborted`, "EABORTED");
  const attempt = new DialAttempt(bare, port, where);
  const connecting = attempt.connect(servername, options);
  connecting.catch(() => {}); // settled below, or abandoned
  try {
    return await withDeadline(connecting, { at: Date.now() + timeoutMs, signal });
  } catch (error) {
    attempt.abandon();
    if (error instanceof DeadlineError) {
      throw new DialError(
        `Timed out after ${timeoutMs} ms connecting to ${where}` +
          (attempt.connectedAt ? " (TLS handshake)" : ""),
        "ETIMEDOUT",
      );
    }
    if (signal?.aborted && error === signal.reason) {
      throw new DialError(`Connection to ${where} aborted`, "EABORTED");
    }
    throw error;
  }
}

/** One connection attempt in its stages: TCP, then TLS, then the server's certificate. */
class DialAttempt {
  /** When the TCP connection was established (`performance.now()`), 0 before. */
  connectedAt = 0;
  readonly #started = performance.now();
  readonly #raw: net.Socket;
  readonly #where: string;
  #tls: tls.TLSSocket | undefined;
  #abandoned = false;

  constructor(host: string, port: number, where: string) {
    this.#where = where;
    this.#raw = net.connect({ host, port });
  }

  /**
   * Runs the stages; rejects with a {@linkcode DialError} when one fails. An error of the
   * TCP socket at any stage is reported as such ("Cannot connect").
   */
  connect(servername: string | undefined, options: DialOptions): Promise<ClientConnection> {
    const socketError = new Promise<never>((_, reject) => {
      this.#raw.once("error", (error: Error & { code?: string }) => {
        reject(
          new DialError(`Cannot connect to ${this.#where}: ${error.message}`, error.code, {
            cause: error,
          }),
        );
      });
    });
    socketError.catch(() => {}); // once the stages are done, a later error is the connection's
    return Promise.race([this.#stages(servername, options), socketError]);
  }

  /** Ends the attempt: both sockets are destroyed. */
  abandon(): void {
    this.#abandoned = true;
    this.#tls?.destroy();
    this.#raw.destroy();
  }

  async #stages(servername: string | undefined, options: DialOptions): Promise<ClientConnection> {
    const flow = new RawFlow(this.#raw);
    const eof: { closeNotify: boolean | undefined } = { closeNotify: undefined };
    const socket = await new Promise<tls.TLSSocket>((resolve) =>
      this.#raw.once("connect", () => {
        this.connectedAt = performance.now();
        resolve(this.#startTls(servername, options, flow, eof));
      })
    );
    return await this.#handshake(socket, (): ClientConnection => {
      const timing = {
        connectMs: this.connectedAt - this.#started,
        tlsMs: performance.now() - this.connectedAt,
      };
      const peer = this.#peerCertificate(socket);
      if (this.#abandoned) throw new DialError(`Connection to ${this.#where} abandoned`);
      socket.removeAllListeners("error");
      return new DialedConnection(socket, peer, servername, timing, eof, flow);
    });
  }

  /**
   * Stage 2: TLS over the TCP socket. The TLS layer reads from a duplex rather than from
   * the TCP socket directly, so that we see the TCP end of stream ourselves and can tell
   * whether the TLS layer had already received close_notify (a complete body) or not
   * (possible truncation).
   */
  #startTls(
    servername: string | undefined,
    options: DialOptions,
    flow: RawFlow,
    eof: { closeNotify: boolean | undefined },
  ): tls.TLSSocket {
    const raw = this.#raw;
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
          eof.closeNotify = tlsEnded || tlsReadableEnded(socket);
          rawEofPushed = true;
          duplex.push(null);
        }, 0);
      };
      settle();
    });
    const socket = tls.connect({
      socket: duplex,
      servername,
      rejectUnauthorized: false,
      minVersion: options.minVersion ?? "TLSv1.2",
      cert: options.identity?.cert,
      key: options.identity?.key,
      passphrase: options.identity?.passphrase,
    });
    this.#tls = socket;
    socket.on("end", () => {
      tlsEnded = true;
      // The TLS layer ended before the TCP stream did: that was close_notify.
      if (!rawEofPushed) eof.closeNotify = true;
    });
    return socket;
  }

  /**
   * Stage 3: the TLS handshake; `done` makes the connection. It runs within the
   * `secureConnect` event, so that the connection reads from the TLS socket from the moment
   * the handshake completes.
   */
  #handshake(socket: tls.TLSSocket, done: () => ClientConnection): Promise<ClientConnection> {
    return new Promise((resolve, reject) => {
      socket.once("secureConnect", () => {
        try {
          resolve(done());
        } catch (error) {
          reject(error);
        }
      });
      socket.once("error", (error: Error & { code?: string }) => {
        reject(
          new DialError(`TLS handshake with ${this.#where} failed: ${error.message}`, error.code, {
            cause: error,
          }),
        );
      });
    });
  }

  /** Stage 4: the server's certificate, which it must have sent and which must parse. */
  #peerCertificate(socket: tls.TLSSocket): CertificateInfo {
    const der = socket.getPeerCertificate(true)?.raw;
    if (!der || der.length === 0) {
      throw new DialError(`${this.#where} sent no certificate`, "ENOCERT");
    }
    try {
      return certificateInfo(new Uint8Array(der));
    } catch (error) {
      throw new DialError(`${this.#where} sent an unreadable certificate`, "EBADCERT", {
        cause: error,
      });
    }
  }
}

/** Pauses and resumes the TCP socket under the TLS layer (see `FlowControl`). */
class RawFlow implements FlowControl {
  paused = false;
  readonly #raw: net.Socket;

  constructor(raw: net.Socket) {
    this.#raw = raw;
  }

  pause(): void {
    this.paused = true;
    this.#raw.pause();
  }

  resume(): void {
    this.paused = false;
    this.#raw.resume();
  }
}

function tlsReadableEnded(socket: tls.TLSSocket | undefined): boolean {
  // `ended` is set as soon as the TLS layer has pushed its end of stream (on close_notify),
  // even while earlier plaintext is still waiting for the reader.
  const state = (socket as unknown as { _readableState?: { ended?: boolean } })?._readableState;
  return state?.ended === true;
}
