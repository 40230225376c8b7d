/**
 * The `node` backend of `listen` (`node:tls`): the ClientHello is read on the raw TCP
 * socket before any TLS object exists, the certificate is chosen by its SNI name, client
 * certificates may be requested, and a hook may read a preface (the PROXY protocol) first.
 * Internal to lib/tls.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import { certificateInfo } from "./certificate.ts";
import { certificateNames, matchesServerName } from "./certificate_names.ts";
import { type Address, type FlowControl, NodeTlsConnection, stripV4Mapped } from "./connection.ts";
import { _scanClientHello, PROTOCOL_VERSION_ALERT } from "./_client_hello.ts";
import type { Listener, ListenOptions, ServerCertificate, ServerConnection } from "./listen.ts";

interface NamedContext {
  names: string[];
  context: tls.SecureContext;
}

function secureContexts(certificates: ServerCertificate[]): NamedContext[] {
  return certificates.map((c) => {
    return {
      names: c.names ?? certificateNames(certificateInfo(c.cert)),
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

/** Accepts TCP connections and wraps them in TLS once their ClientHello has arrived. */
export class _NodeListener implements Listener {
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

  static async start(options: ListenOptions): Promise<_NodeListener> {
    const server = net.createServer({ noDelay: true });
    const listener = new _NodeListener(server, options);
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

function _concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
