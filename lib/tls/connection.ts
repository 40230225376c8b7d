/**
 * One interface for TLS connections, whichever backend made them: pull-based reads,
 * writes that respect backpressure in chunks of at most 64 KiB, a graceful close that
 * sends TLS close_notify, and an abrupt destroy.
 *
 * @module
 */

import type { TLSSocket } from "node:tls";
import type { CertificateInfo } from "./certificate.ts";
import { withDeadline } from "./deadline.ts";

/** The largest piece handed to the TLS socket in one write (64 KiB). */
export const MAX_WRITE_CHUNK = 65_536;

/** Negotiated TLS parameters. */
export interface TlsDetails {
  /** Protocol version, e.g. `TLSv1.3`. */
  version: string;
  /** Cipher suite name, e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
}

/** A network address. */
export interface Address {
  /** IP address (IPv6 without brackets). */
  hostname: string;
  /** Port. */
  port: number;
}

/** A TLS connection: the common part of client and server connections. */
export interface Connection {
  /** The peer's address. */
  readonly remoteAddress: Address;
  /** Our address. */
  readonly localAddress: Address;
  /** Negotiated version and cipher (available once the handshake is done). */
  readonly tls: TlsDetails;
  /** The next chunk of bytes, or `null` when the peer has finished sending. */
  read(): Promise<Uint8Array | null>;
  /** Writes all of `data`, in chunks of at most 64 KiB, waiting for the socket to drain. */
  write(data: Uint8Array | string): Promise<void>;
  /**
   * Ends the connection gracefully: TLS close_notify, then the TCP close. Resolves when the
   * socket is closed or after a short grace period.
   */
  close(): Promise<void>;
  /** Ends the connection at once without close_notify. */
  destroy(): void;
  /**
   * Reads nothing more from the peer: the transport is paused and bytes already received
   * but not read are dropped (a server calls this once it has the request it will answer).
   * {@linkcode close} still notices the peer's end of the connection.
   */
  stopReading(): void;
}

/**
 * Pauses and resumes the byte stream under a TLS socket. Backpressure is applied below the
 * TLS layer because pausing a `node:tls` socket itself in Deno 2.9.6 can lose its end of
 * stream (a paused-then-resumed socket never emits `end` after close_notify).
 */
export interface FlowControl {
  /** Stop reading from the network. */
  pause(): void;
  /** Start reading again. */
  resume(): void;
}

/** The state a socket adapter shares between its event handlers and its reader. */
interface ReadState {
  chunks: Uint8Array[];
  /** Bytes in `chunks`. */
  queued: number;
  ended: boolean;
  /** Set by `stopReading()`: what arrives is dropped. */
  stopped: boolean;
  /** Bytes dropped since reading stopped. */
  dropped: number;
  error?: Error;
  waiter?: () => void;
}

/** Unread bytes at which the transport is paused, and below which it resumes. */
const PAUSE_AT = 65_536;
const RESUME_BELOW = 16_384;
/**
 * Bytes a closing connection reads (and drops) while it waits for the peer's end; a peer
 * that sends more is cut off at once.
 */
const DISCARD_LIMIT = 65_536;

const encoder = new TextEncoder();

/**
 * Adapts a `node:tls` socket to {@linkcode Connection}. Used by both `dial` and the `node`
 * listener backend.
 */
export class NodeTlsConnection implements Connection {
  /** The wrapped socket. */
  readonly socket: TLSSocket;
  #state: ReadState = { chunks: [], queued: 0, ended: false, stopped: false, dropped: 0 };
  #paused = false;
  #closed: Promise<void>;
  #peerCertificate: CertificateInfo | null | undefined;
  #computePeer: () => CertificateInfo | undefined;
  #remote: Address | undefined;
  #flow: FlowControl | undefined;

  /**
   * Wraps `socket`; `computePeer` parses the peer certificate on first use; `remote`
   * overrides the peer address (e.g. the client behind a PROXY-protocol load balancer);
   * `flow` pauses the transport under the TLS socket when unread data piles up.
   */
  constructor(
    socket: TLSSocket,
    computePeer: () => CertificateInfo | undefined = () => undefined,
    remote?: Address,
    flow?: FlowControl,
  ) {
    this.socket = socket;
    this.#flow = flow;
    this.#computePeer = computePeer;
    this.#remote = remote;
    const state = this.#state;
    const wake = (): void => {
      const waiter = state.waiter;
      state.waiter = undefined;
      waiter?.();
    };
    socket.on("data", (chunk: Uint8Array) => {
      if (state.stopped) {
        state.dropped += chunk.length;
        if (state.dropped > DISCARD_LIMIT) socket.destroy();
        return;
      }
      state.chunks.push(chunk);
      state.queued += chunk.length;
      if (this.#flow && state.queued > PAUSE_AT && !this.#paused) {
        this.#paused = true;
        this.#flow.pause();
      }
      wake();
    });
    socket.on("end", () => {
      state.ended = true;
      wake();
    });
    socket.on("error", (error: Error) => {
      state.error ??= error;
      wake();
    });
    this.#closed = new Promise((resolve) => {
      socket.once("close", () => {
        state.ended = true;
        wake();
        resolve();
      });
    });
  }

  /** The peer's address. */
  get remoteAddress(): Address {
    if (this.#remote) return this.#remote;
    return {
      hostname: stripV4Mapped(this.socket.remoteAddress ?? ""),
      port: this.socket.remotePort ?? 0,
    };
  }

  /** Our address. */
  get localAddress(): Address {
    return {
      hostname: stripV4Mapped(this.socket.localAddress ?? ""),
      port: this.socket.localPort ?? 0,
    };
  }

  /** Negotiated version and cipher. */
  get tls(): TlsDetails {
    return {
      version: this.socket.getProtocol() ?? "unknown",
      cipher: this.socket.getCipher()?.standardName ?? this.socket.getCipher()?.name ?? "unknown",
    };
  }

  /** The peer's certificate, parsed on first access; `undefined` when none was sent. */
  get peerCertificate(): CertificateInfo | undefined {
    if (this.#peerCertificate === undefined) this.#peerCertificate = this.#computePeer() ?? null;
    return this.#peerCertificate ?? undefined;
  }

  /** Resolves when the socket has closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** The next chunk, or `null` at the end. Rejects with the socket's error, if any. */
  async read(): Promise<Uint8Array | null> {
    const state = this.#state;
    while (state.chunks.length === 0) {
      if (state.error) throw state.error;
      if (state.ended) return null;
      await new Promise<void>((resolve) => (state.waiter = resolve));
    }
    const chunk = state.chunks.shift()!;
    state.queued -= chunk.length;
    if (this.#paused && !state.stopped && state.queued < RESUME_BELOW) {
      this.#paused = false;
      this.#flow?.resume();
    }
    return chunk;
  }

  /**
   * Reads nothing more: drops what is queued and pauses the transport (when this
   * connection was given a {@linkcode FlowControl}); later bytes are dropped.
   */
  stopReading(): void {
    const state = this.#state;
    if (state.stopped) return;
    state.stopped = true;
    state.chunks = [];
    state.queued = 0;
    if (this.#flow && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** Writes `data` in chunks of at most 64 KiB, waiting for `drain` when the buffer is full. */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let at = 0; at < bytes.length; at += MAX_WRITE_CHUNK) {
      if (this.socket.destroyed || this.socket.writableEnded) {
        throw new Error("Cannot write: the connection is closed");
      }
      const piece = bytes.subarray(at, at + MAX_WRITE_CHUNK);
      if (!this.socket.write(piece)) await waitForDrain(this.socket);
    }
  }

  /**
   * Sends close_notify and closes; waits up to `graceMs` (default 2000) for the close. A
   * connection that stopped reading reads again, dropping what arrives (at most 64 KiB),
   * so that it sees the peer's end.
   */
  async close(graceMs = 2000): Promise<void> {
    if (!this.socket.destroyed) this.socket.end();
    if (this.#state.stopped && this.#paused) {
      this.#paused = false;
      this.#flow?.resume();
    }
    // Past the grace period the socket is destroyed below, whether it closed or not.
    await withDeadline(this.#closed, { at: Date.now() + Math.max(graceMs, 1) }).catch(() => {});
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /** Destroys the socket without close_notify. */
  destroy(): void {
    this.socket.destroy();
  }
}

function waitForDrain(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      socket.off("error", onError);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error("Cannot write: the connection closed"));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    socket.on("drain", onDrain);
    socket.on("close", onClose);
    socket.on("error", onError);
  });
}

/** Turns `::ffff:127.0.0.1` into `127.0.0.1`. */
export function stripV4Mapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
