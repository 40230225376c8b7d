/**
 * The `deno` backend of `listen` (`Deno.listenTls`): one certificate, no client
 * certificates and no SNI name, for about half the CPU per handshake. Internal to lib/tls.
 *
 * @module
 */

import { type Address, stripV4Mapped, type TlsDetails } from "./connection.ts";
import type { Listener, ListenOptions, ServerConnection } from "./listen.ts";

const encoder = new TextEncoder();
/** The largest read: one TLS record's plaintext. */
const READ_SIZE = 16_384;
/**
 * The first reads: a request line (at most 1024 bytes of URL and CRLF) fits, and a server
 * that reads mostly request lines allocates (and has V8 account for) 2 KiB per connection
 * instead of 16. A read that fills its buffer makes the following ones full size (a Titan
 * body).
 */
const FIRST_READ_SIZE = 2048;

class DenoServerConnection implements ServerConnection {
  readonly backend = "deno" as const;
  readonly acceptedAt: number = Date.now();
  readonly servername = undefined;
  readonly peerCertificate = undefined;
  #conn: Deno.TlsConn;
  #handshake: Promise<void> | undefined;
  #closed = false;
  #stopped = false;
  #onClose: (() => void) | undefined;
  #readSize = FIRST_READ_SIZE;

  /** Wraps `conn`; `onClose` runs once when the connection is closed or destroyed. */
  constructor(conn: Deno.TlsConn, onClose?: () => void) {
    this.#conn = conn;
    this.#onClose = onClose;
  }

  get remoteAddress(): Address {
    const a = this.#conn.remoteAddr;
    return { hostname: stripV4Mapped(a.hostname), port: a.port };
  }

  get localAddress(): Address {
    const a = this.#conn.localAddr;
    return { hostname: stripV4Mapped(a.hostname), port: a.port };
  }

  get tls(): TlsDetails {
    // Deno.TlsConn does not expose the negotiated version or cipher.
    return { version: "unknown", cipher: "unknown" };
  }

  handshake(): Promise<void> {
    this.#handshake ??= this.#conn.handshake().then(() => {});
    return this.#handshake;
  }

  async read(): Promise<Uint8Array | null> {
    // Deno.TlsConn reads only when asked, so a connection that stopped reading leaves what
    // the peer sends in the kernel's buffer, which then stops the peer.
    if (this.#stopped) return null;
    const buffer = new Uint8Array(this.#readSize);
    let n: number | null;
    try {
      n = await this.#conn.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.UnexpectedEof) return null;
      throw error;
    }
    if (n === null) return null;
    if (n === buffer.length) this.#readSize = READ_SIZE;
    return buffer.subarray(0, n);
  }

  async write(data: Uint8Array | string): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    // Deno.TlsConn takes a large buffer in one call (rustls cuts it into records); unlike
    // node:tls there is no gain in feeding it 64 KiB at a time, only more calls.
    while (bytes.length > 0) {
      const n = await this.#conn.write(bytes);
      bytes = bytes.subarray(n);
    }
  }

  stopReading(): void {
    this.#stopped = true;
  }

  cut(): Promise<void> {
    return this.close();
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
      const onClose = this.#onClose;
      this.#onClose = undefined;
      onClose?.();
    }
    return Promise.resolve();
  }

  destroy(): void {
    this.close();
  }
}

/** Accepts connections with `Deno.listenTls`, asking the gate about each. */
export class _DenoListener implements Listener {
  readonly backend = "deno" as const;
  #listener: Deno.TlsListener;
  #closed = false;
  #options: ListenOptions;

  constructor(options: ListenOptions) {
    this.#options = options;
    const [certificate] = options.certificates;
    this.#listener = Deno.listenTls({
      port: options.port,
      hostname: options.hostname ?? "0.0.0.0",
      cert: certificate.cert,
      key: certificate.key,
      reusePort: options.reusePort,
    });
  }

  get addr(): Address {
    const a = this.#listener.addr as Deno.NetAddr;
    return { hostname: a.hostname, port: a.port };
  }

  setCertificates(): void {
    throw new TypeError(
      "The deno listener backend cannot change certificates; restart the listener",
    );
  }

  setRequestClientCertificate(request: boolean): void {
    if (request) {
      throw new TypeError(
        "The deno listener backend cannot ask for client certificates; restart the listener",
      );
    }
  }

  async accept(): Promise<ServerConnection | null> {
    while (!this.#closed) {
      try {
        const conn = await this.#listener.accept();
        const admitted = this.#admit(conn);
        if (admitted) return admitted;
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return null;
        // A failed accept (e.g. too many open files) must not end the loop; back off.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    return null;
  }

  /**
   * Asks the gate about an accepted connection. `Deno.listenTls` has already made its TLS
   * state, but no handshake has run; a refused connection is closed before any.
   */
  #admit(conn: Deno.TlsConn): DenoServerConnection | undefined {
    const gate = this.#options.gate;
    if (!gate) return new DenoServerConnection(conn);
    const ip = stripV4Mapped(conn.remoteAddr.hostname);
    const refusal = gate.open(ip);
    if (refusal === undefined) return new DenoServerConnection(conn, () => gate.close(ip));
    try {
      conn.close();
    } catch {
      // already closed
    }
    this.#options.onRefused?.(ip, refusal);
    return undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ServerConnection> {
    for (let conn = await this.accept(); conn; conn = await this.accept()) yield conn;
  }
}
