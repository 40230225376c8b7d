/**
 * Server connections. `listen` accepts TCP connections and yields them before the TLS
 * handshake, so the server can count and time-limit connections from the first byte. Two
 * backends share one {@linkcode ServerConnection} interface:
 *
 * - `node` (`node:tls`): several certificates chosen by SNI, the SNI name, optional client
 *   certificates (requested, never verified against a CA), and a hook that runs on the raw
 *   TCP socket before TLS (used for the PROXY protocol);
 * - `deno` (`Deno.listenTls`): one certificate, no client certificates, no SNI name, but
 *   about 45% less CPU per handshake in Deno 2.9.6.
 *
 * Limitation of the `deno` backend (Deno 2.9.6): a connection whose client never starts the
 * TLS handshake cannot be closed. `Deno.listenTls` keeps the TCP socket of an accepted
 * `Deno.TlsConn` open until the client sends its first byte or hangs up; `close()` and
 * `destroy()` on the connection, a cancelled `handshake()`, `closeWrite()` and closing the
 * listener all leave it open (checked by experiment), and `Deno.startTls` only upgrades
 * client connections, so accepting with `Deno.listen` and upgrading is no way out. Such an
 * idle client still holds a file descriptor after the server gave up on it. Where idle or
 * hostile clients matter (a public server), use the `node` backend, whose `destroy()`
 * closes the TCP connection at once.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import { type CertificateInfo, certificateInfo } from "./certificate.ts";
import {
  type Address,
  type Connection,
  type FlowControl,
  MAX_WRITE_CHUNK,
  NodeTlsConnection,
  stripV4Mapped,
  type TlsDetails,
} from "./connection.ts";
import { _scanClientHello, PROTOCOL_VERSION_ALERT } from "./_client_hello.ts";

/** A certificate the server presents, with the names it answers to. */
export interface ServerCertificate {
  /** Certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
  /**
   * SNI names this certificate is for; `*.example.org` matches one label. Default: the
   * certificate's common name and DNS alternative names.
   */
  names?: string[];
}

/** Which TLS implementation accepts connections. */
export type ListenerBackend = "node" | "deno";

/** What a pre-TLS hook may report about the connection (e.g. from a PROXY header). */
export interface PreTlsResult {
  /** The real client address, when a trusted proxy told us. */
  remoteAddress?: Address;
  /** Bytes read past the preface that belong to the TLS stream. */
  unread?: Uint8Array;
}

/** Options for {@linkcode listen}. */
export interface ListenOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Address to bind. Default `0.0.0.0`; use `::` for IPv6 (and IPv4 where the OS maps it). */
  hostname?: string;
  /** Certificates; the first is used when the SNI name matches none (or none is sent). */
  certificates: ServerCertificate[];
  /** Ask every client for a certificate (never verified against a CA). Default `false`. */
  requestClientCertificate?: boolean;
  /**
   * Backend. Default `auto`: `deno` when there is one certificate, no client certificates
   * are requested and no `beforeTls` hook is set; `node` otherwise. The `deno` backend
   * cannot close a client that never starts its handshake (see the module documentation).
   */
  backend?: ListenerBackend | "auto";
  /** Set SO_REUSEPORT so several processes can accept on one port (Linux). Default `false`. */
  reusePort?: boolean;
  /**
   * Runs on the raw TCP socket before TLS starts (node backend only), e.g. to read a PROXY
   * protocol header. The socket is paused when it is called; the hook must enforce its own
   * deadline. A rejection closes the connection.
   */
  beforeTls?: (socket: net.Socket) => Promise<PreTlsResult | void>;
  /**
   * Decides on each connection before TLS starts (after `beforeTls`, so with the address a
   * PROXY header reported). A refused connection is closed at once: on the node backend no
   * TLS object is created for it; the deno backend (`Deno.listenTls`) creates one at accept
   * but performs no handshake. Default: every connection is admitted.
   */
  gate?: ConnectionGate;
  /** Called for each connection the gate refuses, with the address and the reason. */
  onRefused?: (ip: string, reason: string) => void;
  /**
   * Time for a client's ClientHello, ms (node backend). Default 10000. The node backend
   * reads the ClientHello itself before it makes any TLS object: a client that sends none
   * in time, sends something else, or offers nothing newer than TLS 1.1 (told so with a
   * `protocol_version` alert) is closed without one.
   */
  helloTimeoutMs?: number;
  /** Called for each connection closed before TLS started, with the address and why. */
  onDropped?: (ip: string, reason: string) => void;
}

/**
 * Admission of connections on the raw TCP socket, before any TLS work: `open` says why a
 * connection from `ip` is refused (or `undefined` to admit it), and every admitted
 * connection is given back to `close` exactly once when its socket closes.
 * `Limits` (lib/server) is one.
 */
export interface ConnectionGate {
  /** Admits a connection from `ip`, or returns why not. */
  open(ip: string): string | undefined;
  /** Forgets a connection admitted by `open`. */
  close(ip: string): void;
}

/** An accepted connection; the TLS handshake completes on {@linkcode ServerConnection.handshake}. */
export interface ServerConnection extends Connection {
  /** Which backend accepted it. */
  readonly backend: ListenerBackend;
  /** When the TCP connection was accepted (`Date.now()` milliseconds). */
  readonly acceptedAt: number;
  /** The SNI name the client sent (node backend; `undefined` with deno or when none was sent). */
  readonly servername: string | undefined;
  /** The client's certificate, if it sent one (parsed on first access). */
  readonly peerCertificate: CertificateInfo | undefined;
  /** Completes the TLS handshake (and the pre-TLS hook). Rejects when either fails. */
  handshake(): Promise<void>;
  /**
   * Ends the connection without TLS close_notify once what was written has been sent (at
   * most `graceMs`, default 2000, then at once), so the client can tell that a response
   * was cut short. The `deno` backend cannot leave close_notify out (Deno 2.9.6 sends it on
   * every close) and closes gracefully instead.
   */
  cut(graceMs?: number): Promise<void>;
}

/** A listening socket that yields connections. */
export interface Listener extends AsyncIterable<ServerConnection> {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: Address;
  /** The backend in use. */
  readonly backend: ListenerBackend;
  /** The next connection, or `null` once the listener is closed. */
  accept(): Promise<ServerConnection | null>;
  /** Replaces the certificates for new connections (node backend; deno throws). */
  setCertificates(certificates: ServerCertificate[]): void;
  /**
   * Whether new connections are asked for a client certificate (node backend; deno throws
   * when asked to turn it on). Connections already open keep what they negotiated.
   */
  setRequestClientCertificate?(request: boolean): void;
  /** Stops accepting. Open connections are not touched. */
  close(): void;
}

/** Whether SNI `name` matches a certificate name (`*.example.org` matches one label). */
export function matchesServerName(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p === n) return true;
  if (p.startsWith("*.")) {
    const dot = n.indexOf(".");
    return dot > 0 && n.slice(dot + 1) === p.slice(2);
  }
  return false;
}

/**
 * Starts listening for TLS connections.
 *
 * @example
 * ```ts
 * import { listen } from "./listen.ts";
 * import { generateCertificate } from "./certificate.ts";
 * const { cert, key } = await generateCertificate("localhost");
 * const listener = await listen({ port: 0, hostname: "127.0.0.1", certificates: [{ cert, key }] });
 * console.assert(listener.addr.port > 0 && listener.backend === "deno");
 * listener.close();
 * ```
 */
export function listen(options: ListenOptions): Promise<Listener> {
  if (options.certificates.length === 0) {
    throw new TypeError("listen() needs at least one certificate");
  }
  const backend = options.backend === undefined || options.backend === "auto"
    ? (options.certificates.length === 1 && !options.requestClientCertificate &&
        !options.beforeTls
      ? "deno"
      : "node")
    : options.backend;
  if (backend === "deno") {
    if (options.certificates.length > 1 || options.requestClientCertificate || options.beforeTls) {
      throw new TypeError(
        "The deno listener backend serves one certificate without client certificates or pre-TLS hooks",
      );
    }
    return Promise.resolve(new DenoListener(options));
  }
  return NodeListener.start(options);
}

// ---------------------------------------------------------------------------------------
// node backend

interface NamedContext {
  names: string[];
  context: tls.SecureContext;
}

function secureContexts(certificates: ServerCertificate[]): NamedContext[] {
  return certificates.map((c) => {
    let names = c.names;
    if (!names) {
      const info = certificateInfo(c.cert);
      names = [...new Set([info.commonName ?? "", ...info.altNames].filter(Boolean))];
    }
    return {
      names,
      context: tls.createSecureContext({ cert: c.cert, key: c.key, minVersion: "TLSv1.2" }),
    };
  });
}

class NodeServerConnection extends NodeTlsConnection implements ServerConnection {
  readonly backend = "node" as const;
  readonly acceptedAt: number;
  #handshake: Promise<void>;
  #raw: net.Socket;

  constructor(
    socket: tls.TLSSocket,
    handshake: Promise<void>,
    flow: RawFlow,
    acceptedAt: number,
    remote?: Address,
  ) {
    super(
      socket,
      () => {
        const peer = socket.getPeerCertificate(true);
        return peer?.raw && peer.raw.length > 0
          ? certificateInfo(new Uint8Array(peer.raw))
          : undefined;
      },
      remote,
      flow,
    );
    this.#handshake = handshake;
    this.#raw = flow.raw;
    this.acceptedAt = acceptedAt;
  }

  get servername(): string | undefined {
    return (this.socket as unknown as { servername?: string | false }).servername || undefined;
  }

  handshake(): Promise<void> {
    return this.#handshake;
  }

  cut(graceMs = 2000): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(finish, graceMs);
      // The callback runs once the TLS layer has handed the bytes before it to the TCP
      // socket; ending that socket then sends them and a FIN, but no close_notify.
      socket.write(new Uint8Array(0), () => {
        this.#raw.once("close", finish);
        this.#raw.end();
      });
    });
  }
}

/**
 * Pauses and resumes a TCP socket for the connection above it. While the connection has
 * it paused, a stream between the two (see `prefixedStream`) must not resume it.
 */
class RawFlow implements FlowControl {
  paused = false;
  /** The TCP socket. */
  readonly raw: net.Socket;

  constructor(raw: net.Socket) {
    this.raw = raw;
  }

  pause(): void {
    this.paused = true;
    this.raw.pause();
  }

  resume(): void {
    this.paused = false;
    this.raw.resume();
  }
}

class NodeListener implements Listener {
  readonly backend = "node" as const;
  #server: net.Server;
  #contexts: NamedContext[];
  #options: ListenOptions;
  #queue: ServerConnection[] = [];
  #waiters: ((conn: ServerConnection | null) => void)[] = [];
  #closed = false;
  /** Connections accepted but neither delivered nor dropped yet. */
  #pending = 0;

  private constructor(server: net.Server, options: ListenOptions) {
    this.#server = server;
    this.#options = options;
    this.#contexts = secureContexts(options.certificates);
    server.on("connection", (socket) => this.#onConnection(socket));
  }

  static async start(options: ListenOptions): Promise<NodeListener> {
    const server = net.createServer({ noDelay: true });
    const listener = new NodeListener(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(
        { port: options.port, host: options.hostname ?? "0.0.0.0", reusePort: options.reusePort },
        () => {
          server.off("error", reject);
          resolve();
        },
      );
    });
    return listener;
  }

  get addr(): Address {
    const a = this.#server.address() as net.AddressInfo;
    return { hostname: a.address, port: a.port };
  }

  setCertificates(certificates: ServerCertificate[]): void {
    this.#contexts = secureContexts(certificates);
  }

  setRequestClientCertificate(request: boolean): void {
    this.#options = { ...this.#options, requestClientCertificate: request };
  }

  #contextFor(name: string | undefined): tls.SecureContext {
    if (name) {
      for (const c of this.#contexts) {
        if (c.names.some((pattern) => matchesServerName(pattern, name))) return c.context;
      }
    }
    return this.#contexts[0].context;
  }

  #onConnection(raw: net.Socket): void {
    const acceptedAt = Date.now();
    raw.on("error", () => {});
    const hook = this.#options.beforeTls;
    if (!hook) {
      const ip = stripV4Mapped(raw.remoteAddress ?? "");
      if (this.#admit(raw, ip)) this.#greet(raw, ip, acceptedAt);
      return;
    }
    // The hook reads its preface from the raw socket first, and hands back what it read
    // past it, which belongs to the TLS stream.
    raw.pause();
    this.#pending++;
    hook(raw).then((result) => {
      if (raw.destroyed || this.#closed) return raw.destroy();
      const remote = result?.remoteAddress;
      const ip = remote?.hostname ?? stripV4Mapped(raw.remoteAddress ?? "");
      if (!this.#admit(raw, ip)) return;
      if (result?.unread && result.unread.length > 0) raw.unshift(result.unread);
      this.#greet(raw, ip, acceptedAt, remote);
    }, () => raw.destroy()).finally(() => this.#settled());
  }

  /**
   * Asks the gate about a raw socket: a refused one is destroyed before any TLS object
   * exists; an admitted one is given back to the gate when it closes.
   */
  #admit(raw: net.Socket, ip: string): boolean {
    const gate = this.#options.gate;
    if (!gate) return true;
    const refusal = gate.open(ip);
    if (refusal !== undefined) {
      raw.destroy();
      this.#options.onRefused?.(ip, refusal);
      return false;
    }
    raw.once("close", () => gate.close(ip));
    return true;
  }

  /**
   * Reads the ClientHello from the raw socket, under its deadline and size limit, then
   * puts it back and wraps the socket in TLS with the certificate its SNI name asks for.
   * No TLS object exists before, so a client that leaves, stalls, sends something else or
   * offers only TLS 1.0/1.1 costs a socket and nothing more. (Deno 2.9.6 keeps a
   * `node:tls` server socket with an `SNICallback` forever when it closes before a
   * ClientHello was accepted; choosing the certificate here needs no such callback.)
   */
  #greet(raw: net.Socket, ip: string, acceptedAt: number, remote?: Address): void {
    this.#pending++;
    let buffered: Uint8Array = new Uint8Array(0);
    const done = (): void => {
      clearTimeout(timer);
      raw.off("data", onData);
      raw.off("end", onEnd);
      raw.off("close", onEnd);
      this.#settled();
    };
    const drop = (reason: string, alert?: Uint8Array): void => {
      done();
      if (alert) {
        // The alert, then our FIN; a peer that does not close its side is cut after 1 s.
        raw.end(alert);
        const linger = setTimeout(() => raw.destroy(), 1000);
        raw.once("close", () => clearTimeout(linger));
      } else {
        raw.destroy();
      }
      this.#options.onDropped?.(ip, reason);
    };
    const onData = (chunk: Uint8Array): void => {
      buffered = _concat(buffered, chunk);
      const hello = _scanClientHello(buffered);
      if (hello.status === "incomplete") return;
      if (hello.status === "invalid") return drop(`not a TLS ClientHello: ${hello.reason}`);
      if (hello.maxVersion < 0x0303) return drop("TLS older than 1.2", PROTOCOL_VERSION_ALERT);
      raw.pause();
      raw.unshift(buffered);
      // Delivered before it stops counting as pending, so that a closed listener's accept()
      // cannot report the end while this connection is on its way.
      if (!raw.destroyed) this.#deliver(this.#wrap(raw, hello.serverName, acceptedAt, remote));
      done();
    };
    const onEnd = (): void => drop("closed before its ClientHello");
    const timer = setTimeout(
      () => drop("no ClientHello in time"),
      this.#options.helloTimeoutMs ?? 10_000,
    );
    raw.on("data", onData);
    raw.once("end", onEnd);
    raw.once("close", onEnd);
    raw.resume();
  }

  #wrap(
    raw: net.Socket,
    servername: string | undefined,
    acceptedAt: number,
    remote?: Address,
  ): NodeServerConnection {
    const flow = new RawFlow(raw);
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: this.#contextFor(servername),
      requestCert: this.#options.requestClientCertificate ?? false,
      rejectUnauthorized: false,
    });
    // node:tls learns the name only through an SNICallback, which this listener avoids.
    (socket as unknown as { servername?: string }).servername = servername;
    const handshake = new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      socket.once("error", onError);
      socket.once("secure", () => {
        socket.off("error", onError);
        // From here on a client's TCP half-close (FIN after its request) no longer ends
        // our side, so the response is still sent; before the handshake a FIN closes at once.
        socket.allowHalfOpen = true;
        resolve();
      });
      socket.once("close", () => reject(new Error("Connection closed during the TLS handshake")));
    });
    handshake.catch(() => socket.destroy());
    return new NodeServerConnection(socket, handshake, flow, acceptedAt, remote);
  }

  /** One connection fewer between accept and delivery. */
  #settled(): void {
    this.#pending--;
    if (this.#closed && this.#pending === 0 && this.#queue.length === 0) {
      while (this.#waiters.length > 0) this.#waiters.shift()!(null);
    }
  }

  #deliver(conn: ServerConnection | null): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(conn);
    else if (conn) this.#queue.push(conn);
  }

  /**
   * The next connection; `null` once the listener is closed and every connection accepted
   * before has been delivered (or dropped before TLS).
   */
  accept(): Promise<ServerConnection | null> {
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    if (this.#closed && this.#pending === 0) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Stops accepting. Connections accepted already still have their ClientHello read and
   * are delivered by {@linkcode accept}.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    if (this.#pending === 0) {
      while (this.#waiters.length > 0) this.#waiters.shift()!(null);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ServerConnection> {
    for (let conn = await this.accept(); conn; conn = await this.accept()) yield conn;
  }
}

// ---------------------------------------------------------------------------------------
// deno backend

const encoder = new TextEncoder();
const READ_SIZE = 16_384;

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
    const buffer = new Uint8Array(READ_SIZE);
    let n: number | null;
    try {
      n = await this.#conn.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.UnexpectedEof) return null;
      throw error;
    }
    return n === null ? null : buffer.subarray(0, n);
  }

  async write(data: Uint8Array | string): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.length > 0) {
      const n = await this.#conn.write(bytes.subarray(0, MAX_WRITE_CHUNK));
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

class DenoListener implements Listener {
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

/** Used by tests and by the server to check a connection implements the interface. */
export type { Connection };

function _concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
