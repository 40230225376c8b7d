/**
 * Serving a listener: accept TLS connections on one or more addresses, admit them under the
 * connection limits, serve each with {@linkcode serveConnection}, and shut down gracefully.
 *
 * @module
 */

import { certificateInfo } from "../tls/certificate.ts";
import type { Address } from "../tls/connection.ts";
import {
  listen,
  type Listener,
  type ListenerBackend,
  type ListenOptions,
  type ServerCertificate,
  type ServerConnection,
} from "../tls/listen.ts";
import type { AccessLog } from "./access_log.ts";
import { serveConnection } from "./connection.ts";
import { Limits, type LimitsOptions } from "./limits.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { Handler } from "./types.ts";
import { type ProxyHookOptions, proxyProtocolHook } from "./proxy_listener.ts";

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

/** A server that is accepting connections. */
export interface RunningServer {
  /** The bound addresses (with real ports when 0 was asked for). */
  readonly addrs: Address[];
  /** The certificates served, with fingerprints. */
  readonly certificates: ServedCertificate[];
  /** The TLS backend in use. */
  readonly backend: ListenerBackend;
  /** Connections open now. */
  readonly openConnections: number;
  /**
   * Stops accepting, answers connections still waiting for a request line with 41, lets
   * requests in flight finish for up to `deadlineMs` (default 10000), then cuts the rest.
   */
  shutdown(deadlineMs?: number): Promise<void>;
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

function describeCertificate(c: ServerCertificate): ServedCertificate {
  const info = certificateInfo(c.cert);
  return {
    names: c.names ?? [...new Set([info.commonName ?? "", ...info.altNames].filter(Boolean))],
    spkiSha256: info.spkiSha256,
    certSha256: info.certSha256,
    notAfter: info.notAfter,
  };
}

/**
 * Starts a Gemini server.
 *
 * @example
 * ```ts
 * import { serve } from "./server.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * const { cert, key } = await generateCertificate("localhost");
 * const server = await serve({
 *   handler: () => ({ status: 20, meta: "text/gemini", body: "# Hello\n" }),
 *   certificates: [{ cert, key }],
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 * });
 * console.assert(server.addrs[0].port > 0);
 * await server.shutdown();
 * ```
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger;
  const limits = options.limits instanceof Limits
    ? options.limits
    : new Limits(options.limits ?? {});
  const served: ServedCertificate[] = options.certificates.map(describeCertificate);
  const current = {
    handler: options.handler,
    hosts: options.hosts ?? served.flatMap((c) => c.names),
    schemes: options.schemes,
    certificates: served,
  };
  const addresses = options.listen ?? [{}];
  const listeners: Listener[] = [];
  try {
    for (const a of addresses) {
      listeners.push(
        await listen({
          hostname: a.hostname ?? "0.0.0.0",
          port: a.port ?? 1965,
          certificates: options.certificates,
          requestClientCertificate: options.requestClientCertificate,
          backend: options.backend ?? "node",
          reusePort: options.reusePort,
          // A listener's own PROXY protocol setting wins over a server-wide hook.
          beforeTls: a.proxyProtocol
            ? proxyProtocolHook({
              ...(typeof a.proxyProtocol === "object" ? a.proxyProtocol : {}),
              onRefused: (ip, reason) => logger.warn("PROXY header refused", { ip, reason }),
            })
            : options.beforeTls,
        }),
      );
    }
  } catch (error) {
    for (const l of listeners) l.close();
    throw error;
  }

  const drain = new AbortController();
  const hard = new AbortController();
  const inflight = new Set<Promise<unknown>>();
  const handle = (conn: ServerConnection, port: number): void => {
    const ip = conn.remoteAddress.hostname;
    const refusal = limits.open(ip);
    if (refusal) {
      logger.debug("connection refused", { ip, reason: refusal });
      conn.destroy();
      return;
    }
    const task = serveConnection(conn, {
      handler: current.handler,
      hosts: current.hosts,
      port: options.publicPort ?? port,
      defaultHost: current.hosts.find((h) => !h.includes("*")),
      requestTimeoutMs: options.requestTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      limits,
      logger,
      accessLog: options.accessLog,
      signal: hard.signal,
      drainSignal: drain.signal,
      schemes: current.schemes,
    }).catch((error) => {
      logger.error("connection failed", { ip, error });
      conn.destroy();
    }).finally(() => {
      limits.close(ip);
      inflight.delete(task);
    });
    inflight.add(task);
  };
  const loops = listeners.map(async (listener) => {
    const port = listener.addr.port;
    for await (const conn of listener) handle(conn, port);
  });

  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let stopping: Promise<void> | undefined;
  const shutdown = (deadlineMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      for (const l of listeners) l.close();
      drain.abort();
      await Promise.all(loops);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), deadlineMs);
      });
      const result = await Promise.race([Promise.all([...inflight]), timeout]);
      clearTimeout(timer);
      if (result === "timeout") {
        logger.warn("shutdown deadline passed; cutting connections", { open: inflight.size });
        hard.abort(new Error("Server shut down"));
        await Promise.race([
          Promise.all([...inflight]),
          new Promise((resolve) => setTimeout(resolve, 1000)),
        ]);
      }
      finish();
    })();
    return stopping;
  };

  const reload = (update: ServerUpdate): void => {
    const askCertificates = update.requestClientCertificate;
    if (
      askCertificates &&
      listeners.some((l) => l.backend !== "node" || !l.setRequestClientCertificate)
    ) {
      throw new TypeError("The deno listener backend cannot ask for client certificates; restart");
    }
    let newServed = current.certificates;
    if (update.certificates) {
      if (update.certificates.length === 0) throw new TypeError("reload() needs a certificate");
      newServed = update.certificates.map(describeCertificate);
      // Check every listener can take them before changing any.
      if (listeners.some((l) => l.backend !== "node")) {
        throw new TypeError("The deno listener backend cannot change certificates; restart");
      }
      for (const l of listeners) l.setCertificates(update.certificates);
    }
    if (askCertificates !== undefined) {
      for (const l of listeners) l.setRequestClientCertificate?.(askCertificates);
    }
    if (update.handler) current.handler = update.handler;
    if (update.schemes) current.schemes = update.schemes;
    current.hosts = update.hosts ??
      (update.certificates && !options.hosts ? newServed.flatMap((c) => c.names) : current.hosts);
    current.certificates = newServed;
  };

  return {
    addrs: listeners.map((l) => l.addr),
    get certificates(): ServedCertificate[] {
      return current.certificates;
    },
    reload,
    backend: listeners[0].backend,
    get openConnections(): number {
      return limits.openConnections;
    },
    shutdown,
    finished,
  };
}
