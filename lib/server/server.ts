/**
 * Serving a listener: accept TLS connections on one or more addresses, admit them under the
 * connection limits, serve each with {@linkcode serveConnection}, and shut down gracefully.
 *
 * @module
 */

import { servedCertificateInfo } from "../tls/served_certificate.ts";
import { certificateNames } from "../tls/certificate_names.ts";
import type { Address } from "../tls/connection.ts";
import { DeadlineError, withDeadline } from "../tls/deadline.ts";
import {
  listen,
  type Listener,
  type ListenerBackend,
  type ListenOptions,
  resolveBackend,
  type ServerCertificate,
  type ServerConnection,
} from "../tls/listen.ts";
import type { AccessLog } from "./access_log.ts";
import { serveConnection } from "./connection.ts";
import { Limits, type LimitsOptions } from "./limits.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { Handler } from "./types.ts";
import type { ProxyHookOptions } from "./proxy_listener.ts";

/** An address to listen on. */
export interface ListenAddress {
  /** IP address to bind (`0.0.0.0`, `::`, `127.0.0.1`, ...). Default `0.0.0.0`. */
  hostname?: string;
  /** Port; 0 picks a free one. Default 1965. */
  port?: number;
  /**
   * Expect a PROXY protocol header (v1 or v2) from a load balancer before TLS, and take
   * the client address from it. `true` uses the defaults of {@linkcode ProxyHookOptions}
   * (header required, only 127.0.0.1 and ::1 may send one). Default off.
   */
  proxyProtocol?: boolean | ProxyHookOptions;
  /** TLS backend of this listener, instead of {@linkcode ServeOptions.backend}. */
  backend?: ListenerBackend | "auto";
}

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** Answers requests. */
  handler: Handler;
  /** Certificates; the first is the default when SNI names none of them. */
  certificates: ServerCertificate[];
  /**
   * Host names served; requests for others get 53. Default: the names of the
   * certificates. `*` serves any host.
   */
  hosts?: string[];
  /** Addresses to listen on. Default `[{ hostname: "0.0.0.0", port: 1965 }]`. */
  listen?: ListenAddress[];
  /**
   * The port that request URLs must name. Default: the port of the listener that accepted
   * the connection (set it when a proxy or port forward changes the port).
   */
  publicPort?: number;
  /** Ask clients for certificates (forces the `node` backend). Default `false`. */
  requestClientCertificate?: boolean;
  /**
   * TLS backend. Default `node`. `deno` (`Deno.listenTls`) costs less CPU per handshake but
   * serves one certificate without client certificates, and in Deno 2.9.6 cannot close a
   * TCP connection whose TLS handshake never started (an idle client keeps its socket open
   * past the request deadline), so it is opt-in. `auto` picks `deno` when it can serve.
   */
  backend?: ListenerBackend | "auto";
  /** Time for the TLS handshake and the request line, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Time for the handler and the whole response, ms. Default 300000. */
  responseTimeoutMs?: number;
  /** Set SO_REUSEPORT so several processes can accept on one port. Default `false`. */
  reusePort?: boolean;
  /**
   * Runs on the raw TCP socket before TLS (node backend), e.g. to read a PROXY protocol
   * header and report the real client address, which limits and logs then use.
   */
  beforeTls?: ListenOptions["beforeTls"];
  /** Limits, or an existing {@linkcode Limits} to share. Default: the defaults of `Limits`. */
  limits?: LimitsOptions | Limits;
  /** Errors and events. Default silent. */
  logger?: Logger;
  /** Access log. Default none. */
  accessLog?: AccessLog;
  /** Schemes answered: `["gemini"]` by default; add `"titan"` to accept uploads. */
  schemes?: string[];
}

/** Fingerprints of a certificate the server presents. */
export interface ServedCertificate {
  /** The names it is for. */
  names: string[];
  /** SHA-256 of the SubjectPublicKeyInfo, hex. */
  spkiSha256: string;
  /** SHA-256 of the certificate, hex. */
  certSha256: string;
  /** End of validity. */
  notAfter: Date;
}

/** Counters of a running server, for health checks and worker recycling. */
export interface ServerStats {
  /** When the server started (`Date.now()` milliseconds). */
  startedAt: number;
  /** Connections admitted (past the gate). */
  accepted: number;
  /** Connections refused by the gate before TLS. */
  refused: number;
  /**
   * Admitted connections closed before TLS started (node backend): no ClientHello in time,
   * something else than one, or one offering only TLS 1.0/1.1.
   */
  dropped: number;
  /**
   * Admitted connections whose TLS handshake never finished: it failed, timed out, or the
   * peer left first. The runtime may keep memory for each (see README, "Listener backends").
   */
  handshakeFailures: number;
  /** Connections open now (served by this server). */
  open: number;
}

/** A server that is accepting connections. */
export interface RunningServer {
  /** The bound addresses (with real ports when 0 was asked for). */
  readonly addrs: Address[];
  /** The certificates served, with fingerprints. */
  readonly certificates: ServedCertificate[];
  /** The TLS backend of the first listener. */
  readonly backend: ListenerBackend;
  /** The TLS backend of each listener, in the order of {@linkcode RunningServer.addrs}. */
  readonly backends: ListenerBackend[];
  /** Connections open now, over every server sharing its limits. */
  readonly openConnections: number;
  /** This server's counters. */
  stats(): ServerStats;
  /**
   * Stops accepting, answers connections still waiting for a request line with 41, lets
   * requests in flight finish for up to `deadlineMs` (default 10000), then cuts the rest.
   */
  shutdown(deadlineMs?: number): Promise<void>;
  /**
   * Stops accepting and lets every connection already accepted run its normal course
   * (request line, response) for up to `deadlineMs`, then cuts the rest. Used to replace
   * a worker without failing a request in flight.
   */
  retire(deadlineMs: number): Promise<void>;
  /** Resolves when the server has shut down. */
  readonly finished: Promise<void>;
  /**
   * Applies a new handler, host list, schemes and certificates to connections accepted from
   * now on; requests in flight finish with what they started with. Throws (changing
   * nothing) when certificates cannot be loaded or the backend cannot change them.
   */
  reload(update: ServerUpdate): void;
}

/** What {@linkcode RunningServer.reload} can change. */
export interface ServerUpdate {
  /** The new handler. */
  handler?: Handler;
  /** The new host names (default: unchanged, or the new certificates' names). */
  hosts?: string[];
  /** The new schemes. */
  schemes?: string[];
  /** The new certificates (node backend only). */
  certificates?: ServerCertificate[];
  /**
   * Ask new connections for a client certificate, or stop asking (turning it on needs the
   * node backend).
   */
  requestClientCertificate?: boolean;
}

/**
 * Names, fingerprints and end of validity of a served certificate, read without
 * `node:crypto` (which a server on the deno backend then never loads).
 */
async function describeCertificate(c: ServerCertificate): Promise<ServedCertificate> {
  const info = await servedCertificateInfo(c.cert);
  return {
    names: c.names ?? info.names,
    spkiSha256: info.spkiSha256,
    certSha256: info.certSha256,
    notAfter: info.notAfter,
  };
}

/**
 * The same, synchronously, for {@linkcode RunningServer.reload}: only node listeners take
 * new certificates, and `certificateInfo` (node:crypto) is loaded with the first of them.
 */
let describeNow: ((c: ServerCertificate) => ServedCertificate) | undefined;

async function loadDescribeNow(): Promise<void> {
  if (describeNow) return;
  const { certificateInfo } = await import("../tls/certificate.ts");
  describeNow = (c) => {
    const info = certificateInfo(c.cert);
    return {
      names: c.names ?? certificateNames(info),
      spkiSha256: info.spkiSha256,
      certSha256: info.certSha256,
      notAfter: info.notAfter,
    };
  };
}

/** `certificates` with the names of their descriptions (`served`, in the same order). */
function named(
  certificates: ServerCertificate[],
  served: ServedCertificate[],
): ServerCertificate[] {
  return certificates.map((c, i) => (c.names ? c : { ...c, names: served[i].names }));
}

/**
 * Starts a Gemini server.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { serve } from "./server.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * const { cert, key } = await generateCertificate("localhost");
 * const server = await serve({
 *   handler: () => ({ status: 20, meta: "text/gemini", body: "# Hello\n" }),
 *   certificates: [{ cert, key }],
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 * });
 * assert.ok(server.addrs[0].port > 0);
 * await server.shutdown();
 * ```
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger;
  const limits = options.limits instanceof Limits
    ? options.limits
    : new Limits(options.limits ?? {});
  const served = await Promise.all(options.certificates.map(describeCertificate));
  const server = new Server(options, limits, logger, served);
  const listeners: Listener[] = [];
  try {
    for (const a of options.listen ?? [{}]) {
      listeners.push(await listen(await server.listenOptions(a)));
    }
    if (listeners.some((l) => l.backend === "node")) await loadDescribeNow();
  } catch (error) {
    for (const l of listeners) l.close();
    throw error;
  }
  server.start(listeners);
  return server;
}

/** Whether `promise` settles within `ms`: `"timeout"` (rather than a rejection) when not. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<"done" | "timeout"> {
  try {
    // At least 1 ms, so that a promise that has settled already counts as done.
    await withDeadline(promise, { at: Date.now() + Math.max(ms, 1) });
    return "done";
  } catch (error) {
    if (error instanceof DeadlineError) return "timeout";
    throw error;
  }
}

/**
 * The accept loops of one server: admission by the limits before TLS, one
 * {@linkcode serveConnection} task per connection, reload, and the two ways to stop.
 */
class Server implements RunningServer {
  readonly #options: ServeOptions;
  readonly #limits: Limits;
  readonly #logger: Logger;
  #listeners: Listener[] = [];
  #loops: Promise<void>[] = [];
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #drain = new AbortController();
  readonly #hard = new AbortController();
  #current: {
    handler: Handler;
    hosts: string[];
    schemes?: string[];
    certificates: ServedCertificate[];
  };
  #stats: Omit<ServerStats, "open"> = {
    startedAt: Date.now(),
    accepted: 0,
    refused: 0,
    dropped: 0,
    handshakeFailures: 0,
  };
  #stopping: Promise<void> | undefined;
  #finish!: () => void;
  readonly finished: Promise<void> = new Promise((resolve) => (this.#finish = resolve));

  constructor(options: ServeOptions, limits: Limits, logger: Logger, served: ServedCertificate[]) {
    this.#options = options;
    this.#limits = limits;
    this.#logger = logger;
    this.#current = {
      handler: options.handler,
      hosts: options.hosts ?? served.flatMap((c) => c.names),
      schemes: options.schemes,
      certificates: served,
    };
  }

  /** The options of `listen()` for one address. */
  async listenOptions(a: ListenAddress): Promise<ListenOptions> {
    const options = this.#options;
    // A listener's own PROXY protocol setting wins over a server-wide hook. Its code (and
    // node:net) is loaded only when a listener needs it.
    const beforeTls = a.proxyProtocol
      ? (await import("./proxy_listener.ts")).proxyProtocolHook({
        ...(typeof a.proxyProtocol === "object" ? a.proxyProtocol : {}),
        onRefused: (ip, reason) => this.#logger.warn("PROXY header refused", { ip, reason }),
      })
      : options.beforeTls;
    const listenOptions: ListenOptions = {
      hostname: a.hostname ?? "0.0.0.0",
      port: a.port ?? 1965,
      // With the names read once here: a listener then has no certificate to parse.
      certificates: named(options.certificates, this.#current.certificates),
      requestClientCertificate: options.requestClientCertificate,
      backend: a.backend ?? options.backend ?? "node",
      reusePort: options.reusePort,
      beforeTls,
      gate: this.#limits,
      helloTimeoutMs: options.requestTimeoutMs,
      onDropped: (ip, reason) => {
        this.#stats.dropped++;
        this.#logger.debug("connection dropped before TLS", { ip, reason });
      },
      onRefused: (ip, reason) => {
        this.#stats.refused++;
        // Deno.listenTls made TLS state for it and will finish a handshake before it closes
        // (or keep it until the worker ends): it counts toward recycling like a failed one.
        if (backend === "deno") this.#stats.handshakeFailures++;
        this.#logger.debug("connection refused", { ip, reason });
      },
    };
    const backend = resolveBackend(listenOptions);
    return listenOptions;
  }

  /** Runs an accept loop on each listener. */
  start(listeners: Listener[]): void {
    this.#listeners = listeners;
    this.#loops = listeners.map(async (listener) => {
      const port = listener.addr.port;
      for await (const conn of listener) this.#handle(conn, port);
    });
  }

  #handle(conn: ServerConnection, port: number): void {
    this.#stats.accepted++;
    const current = this.#current;
    const options = this.#options;
    const task = serveConnection(conn, {
      handler: current.handler,
      hosts: current.hosts,
      port: options.publicPort ?? port,
      defaultHost: current.hosts.find((h) => !h.includes("*")),
      requestTimeoutMs: options.requestTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      limits: this.#limits,
      logger: this.#logger,
      accessLog: options.accessLog,
      signal: this.#hard.signal,
      drainSignal: this.#drain.signal,
      schemes: current.schemes,
      onHandshakeFailure: () => this.#stats.handshakeFailures++,
    }).finally(() => this.#inflight.delete(task));
    this.#inflight.add(task);
  }

  get addrs(): Address[] {
    return this.#listeners.map((l) => l.addr);
  }

  get certificates(): ServedCertificate[] {
    return this.#current.certificates;
  }

  get backend(): ListenerBackend {
    return this.#listeners[0].backend;
  }

  get backends(): ListenerBackend[] {
    return this.#listeners.map((l) => l.backend);
  }

  get openConnections(): number {
    return this.#limits.openConnections;
  }

  stats(): ServerStats {
    return { ...this.#stats, open: this.#inflight.size };
  }

  shutdown(deadlineMs = 10_000): Promise<void> {
    return this.#stop(deadlineMs, true);
  }

  retire(deadlineMs: number): Promise<void> {
    return this.#stop(deadlineMs, false);
  }

  #stop(deadlineMs: number, drain: boolean): Promise<void> {
    this.#stopping ??= (async () => {
      for (const l of this.#listeners) l.close();
      if (drain) this.#drain.abort(new Error("Server is shutting down"));
      await Promise.all(this.#loops);
      if (await settleWithin(Promise.all([...this.#inflight]), deadlineMs) === "timeout") {
        this.#logger.warn("shutdown deadline passed; cutting connections", {
          open: this.#inflight.size,
        });
        this.#hard.abort(new Error("Server shut down"));
        await settleWithin(Promise.all([...this.#inflight]), 1000);
      }
      this.#finish();
    })();
    return this.#stopping;
  }

  reload(update: ServerUpdate): void {
    const listeners = this.#listeners;
    const askCertificates = update.requestClientCertificate;
    if (
      askCertificates &&
      listeners.some((l) => l.backend !== "node" || !l.setRequestClientCertificate)
    ) {
      throw new TypeError("The deno listener backend cannot ask for client certificates; restart");
    }
    const current = this.#current;
    let newServed = current.certificates;
    if (update.certificates) {
      if (update.certificates.length === 0) throw new TypeError("reload() needs a certificate");
      // Check every listener can take them before changing any.
      if (listeners.some((l) => l.backend !== "node")) {
        throw new TypeError("The deno listener backend cannot change certificates; restart");
      }
      // serve() loaded it: every listener is on node.
      newServed = update.certificates.map(describeNow!);
      const certificates = named(update.certificates, newServed);
      for (const l of listeners) l.setCertificates(certificates);
    }
    if (askCertificates !== undefined) {
      for (const l of listeners) l.setRequestClientCertificate?.(askCertificates);
    }
    this.#current = {
      handler: update.handler ?? current.handler,
      schemes: update.schemes ?? current.schemes,
      hosts: update.hosts ??
        (update.certificates && !this.#options.hosts
          ? newServed.flatMap((c) => c.names)
          : current.hosts),
      certificates: newServed,
    };
  }
}
