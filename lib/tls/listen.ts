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

import type net from "node:net";
import type { CertificateInfo } from "./certificate.ts";
import type { Address, Connection } from "./connection.ts";
import { _DenoListener } from "./_listen_deno.ts";

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

/**
 * Starts listening for TLS connections.
 *
 * @example
 * ```ts
 * import { listen } from "./listen.ts";
 * import { generateCertificate } from "./certificate.ts";
 * import assert from "node:assert/strict";
 * const { cert, key } = await generateCertificate("localhost");
 * const listener = await listen({ port: 0, hostname: "127.0.0.1", certificates: [{ cert, key }] });
 * assert.ok(listener.addr.port > 0 && listener.backend === "deno");
 * listener.close();
 * ```
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  if (options.certificates.length === 0) {
    throw new TypeError("listen() needs at least one certificate");
  }
  const backend = resolveBackend(options);
  if (backend === "deno") {
    if (options.certificates.length > 1 || options.requestClientCertificate || options.beforeTls) {
      throw new TypeError(
        "The deno listener backend serves one certificate without client certificates or pre-TLS hooks",
      );
    }
    return new _DenoListener(options);
  }
  // node:tls and node:net are loaded only when a listener needs them (a few MiB per isolate).
  const { _NodeListener } = await import("./_listen_node.ts");
  return _NodeListener.start(options);
}

/**
 * The backend {@linkcode listen} uses for `options`: the one asked for, or for `auto` (the
 * default) `deno` when there is one certificate, no client certificates are requested and
 * no `beforeTls` hook is set, `node` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { resolveBackend } from "./listen.ts";
 * const one = [{ cert: "", key: "" }];
 * assert.equal(resolveBackend({ port: 0, certificates: one }), "deno");
 * assert.equal(resolveBackend({ port: 0, certificates: one, requestClientCertificate: true }), "node");
 * ```
 */
export function resolveBackend(options: ListenOptions): ListenerBackend {
  if (options.backend !== undefined && options.backend !== "auto") return options.backend;
  return options.certificates.length === 1 && !options.requestClientCertificate &&
      !options.beforeTls
    ? "deno"
    : "node";
}

/** Used by tests and by the server to check a connection implements the interface. */
export type { Connection };
