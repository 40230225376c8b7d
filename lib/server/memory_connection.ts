/**
 * An in-memory {@linkcode ServerConnection}: what a client "sends" is given up front, what
 * the server writes is collected, and how the connection ended (close_notify or cut) is
 * recorded. It lets the whole request pipeline ({@linkcode serveConnection}) run in a test
 * without sockets or TLS.
 *
 * @module
 */

import type { CertificateInfo } from "../tls/certificate.ts";
import type { Address, TlsDetails } from "../tls/connection.ts";
import type { ServerConnection } from "../tls/listen.ts";

/** How a {@linkcode MemoryConnection} ended. */
export type MemoryEnding = "open" | "close" | "destroy";

/** A connection held in memory, with what the server did to it. */
export interface MemoryConnection extends ServerConnection {
  /** Everything the server wrote. */
  readonly output: Uint8Array;
  /** {@linkcode output} decoded as UTF-8. */
  text(): string;
  /**
   * `close` after a graceful close (close_notify), `destroy` after `destroy()` or `cut()`
   * (no close_notify), else `open`.
   */
  readonly ending: MemoryEnding;
  /** Whether the server called `stopReading()`. */
  readonly readingStopped: boolean;
  /** Bytes the server has read. */
  readonly bytesRead: number;
}

/** Options for {@linkcode memoryConnection}. */
export interface MemoryConnectionOptions {
  /** The client's address. Default `127.0.0.1:40000`. */
  remoteAddress?: Address;
  /** The server's address. Default `127.0.0.1:1965`. */
  localAddress?: Address;
  /** The client's certificate. Default none. */
  peerCertificate?: CertificateInfo;
  /** The SNI name. Default none. */
  servername?: string;
  /** How the handshake goes: `ok` (default), `fail` (rejects) or `hang` (never settles). */
  handshake?: "ok" | "fail" | "hang";
  /**
   * After the input, keep the connection open (a client that waits) instead of ending it.
   * Default `false`.
   */
  keepOpen?: boolean;
}

const encoder = new TextEncoder();

/**
 * A connection whose client sends `input` (each array element arrives as one read).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { memoryConnection } from "./memory_connection.ts";
 * const conn = memoryConnection(["gemini://a", "/\r\n"]);
 * assert.equal(new TextDecoder().decode((await conn.read())!), "gemini://a");
 * await conn.write("20 text/plain\r\n");
 * await conn.close();
 * assert.equal(conn.text(), "20 text/plain\r\n");
 * assert.equal(conn.ending, "close");
 * ```
 */
export function memoryConnection(
  input: string | Uint8Array | (string | Uint8Array)[],
  options: MemoryConnectionOptions = {},
): MemoryConnection {
  const chunks = (Array.isArray(input) ? input : [input]).map((c) =>
    typeof c === "string" ? encoder.encode(c) : c
  );
  return new InMemoryConnection(chunks, options);
}

class InMemoryConnection implements MemoryConnection {
  readonly backend = "node" as const;
  readonly acceptedAt: number = Date.now();
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly servername: string | undefined;
  readonly peerCertificate: CertificateInfo | undefined;
  readonly tls: TlsDetails = { version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" };
  ending: MemoryEnding = "open";
  readingStopped = false;
  bytesRead = 0;
  #input: Uint8Array[];
  #output: Uint8Array[] = [];
  #options: MemoryConnectionOptions;
  #ended: Promise<void>;
  #end!: () => void;

  constructor(input: Uint8Array[], options: MemoryConnectionOptions) {
    this.#input = input;
    this.#options = options;
    this.remoteAddress = options.remoteAddress ?? { hostname: "127.0.0.1", port: 40000 };
    this.localAddress = options.localAddress ?? { hostname: "127.0.0.1", port: 1965 };
    this.servername = options.servername;
    this.peerCertificate = options.peerCertificate;
    this.#ended = new Promise((resolve) => (this.#end = resolve));
  }

  get output(): Uint8Array {
    const out = new Uint8Array(this.#output.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.#output) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  text(): string {
    return new TextDecoder().decode(this.output);
  }

  handshake(): Promise<void> {
    const how = this.#options.handshake ?? "ok";
    if (how === "fail") return Promise.reject(new Error("TLS handshake failed"));
    if (how === "hang") return new Promise(() => {});
    return Promise.resolve();
  }

  async read(): Promise<Uint8Array | null> {
    if (this.ending !== "open" || this.readingStopped) return null;
    const next = this.#input.shift();
    if (next) {
      this.bytesRead += next.length;
      return next;
    }
    if (this.#options.keepOpen) await this.#ended;
    return null;
  }

  write(data: Uint8Array | string): Promise<void> {
    if (this.ending !== "open") {
      return Promise.reject(new Error("Cannot write: the connection is closed"));
    }
    this.#output.push(typeof data === "string" ? encoder.encode(data) : data.slice());
    return Promise.resolve();
  }

  stopReading(): void {
    this.readingStopped = true;
    this.#input = [];
  }

  close(): Promise<void> {
    if (this.ending === "open") this.ending = "close";
    this.#end();
    return Promise.resolve();
  }

  destroy(): void {
    if (this.ending === "open") this.ending = "destroy";
    this.#end();
  }

  cut(): Promise<void> {
    this.destroy();
    return Promise.resolve();
  }
}
