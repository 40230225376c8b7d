/**
 * Loopback sockets for the soak benchmark: source addresses drawn from 127.0.0.0/8 (so one
 * machine can look like many clients to the server's per-address limits), TCP connections
 * bound to such an address, TLS over them, and reading an answer under a deadline.
 *
 * Deno's own `Deno.connect` cannot choose a local address; `node:net` can
 * (`localAddress`), and Linux routes all of 127.0.0.0/8 to the loopback interface.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";

/**
 * A block of loopback source addresses `127.<second>.x.y`, handed out in turn. The last
 * octet stays in 1..254, so a pool holds at most 254 × 256 addresses.
 */
export class AddressPool {
  /** Second octet of every address. */
  readonly second: number;
  /** Addresses in the pool. */
  readonly size: number;
  #next = 0;

  /** A pool of `size` addresses under `127.<second>.0.0/16`. */
  constructor(second: number, size: number) {
    if (!Number.isInteger(second) || second < 0 || second > 255) {
      throw new RangeError(`Second octet must be 0..255, got ${second}`);
    }
    if (!Number.isInteger(size) || size < 1 || size > 254 * 256) {
      throw new RangeError(`Pool size must be 1..${254 * 256}, got ${size}`);
    }
    this.second = second;
    this.size = size;
  }

  /** The address at `index` (modulo the pool size). */
  at(index: number): string {
    const i = ((index % this.size) + this.size) % this.size;
    return `127.${this.second}.${Math.floor(i / 254)}.${1 + (i % 254)}`;
  }

  /** The next address in turn. */
  next(): string {
    return this.at(this.#next++);
  }
}

/** Where the server under test listens. */
export interface Target {
  /** Address to connect to, e.g. 127.0.0.1. */
  host: string;
  /** Port. */
  port: number;
  /** Host name for SNI and request URLs, e.g. localhost. */
  servername: string;
}

/** A TCP connection from `localAddress`; rejects on error or after `timeoutMs`. */
export function connectFrom(
  target: Target,
  localAddress: string,
  timeoutMs = 5_000,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, localAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect from ${localAddress} timed out`));
    }, timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      // Errors after connecting (a reset by the server) end the socket; callers watch close.
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

/**
 * TLS (1.2 or newer, any certificate) over a connection from `localAddress`; resolves when
 * the handshake is done.
 */
export async function tlsFrom(
  target: Target,
  localAddress: string,
  timeoutMs = 5_000,
): Promise<tls.TLSSocket> {
  const started = Date.now();
  const raw = await connectFrom(target, localAddress, timeoutMs);
  return await new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = tls.connect({
      socket: raw,
      servername: target.servername,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
    });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      raw.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`TLS handshake from ${localAddress} timed out`)),
      Math.max(1, timeoutMs - (Date.now() - started)),
    );
    socket.once("error", fail);
    raw.once("close", () => fail(new Error(`Connection from ${localAddress} closed in handshake`)));
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      raw.removeAllListeners("close");
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

/** What {@linkcode readAnswer} collected. */
export interface Answer {
  /** The bytes received, up to the limit. */
  bytes: Uint8Array;
  /** Whether the peer ended the stream (rather than the deadline). */
  ended: boolean;
}

/**
 * Reads from `socket` until the peer ends or closes the stream, `limit` bytes arrived, or
 * `timeoutMs` passed; then destroys the socket.
 */
export function readAnswer(
  socket: net.Socket | tls.TLSSocket,
  timeoutMs: number,
  limit = 65_536,
): Promise<Answer> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (ended: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      resolve({ bytes, ended });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (chunk: Uint8Array) => {
      const room = limit - size;
      const take = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(take);
      size += take.length;
      if (size >= limit) finish(true);
    });
    socket.once("end", () => finish(true));
    socket.once("close", () => finish(true));
  });
}

/** Waits for `ms` unless `signal` aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
