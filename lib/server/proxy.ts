/**
 * Reverse proxy: a location relays its requests to an upstream Gemini server over TLS (SNI
 * = the upstream's name), trusting the upstream by pinned fingerprint or, without pins, by
 * trust on first use kept in memory, optionally presenting a client certificate of its
 * own. The upstream's header is checked and its body streamed; an upstream that cannot be
 * reached, is not trusted, times out or answers garbage gives `43`.
 *
 * @module
 */

import { encodeRequestPath } from "../protocol/request_path.ts";
import { scanResponseHeader } from "../protocol/response.ts";
import { type CertificateInfo } from "../tls/certificate.ts";
import { normalizeFingerprint } from "../tls/fingerprint.ts";
import { type ClientIdentity, dial } from "../tls/dial.ts";
import type { ClientConnection } from "../tls/dial.ts";
import { DeadlineError } from "../tls/deadline.ts";
import { type BodyHooks, IncompleteHeaderError, readHeaderThenBody } from "../tls/header_body.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";
import { isSuccess, Status } from "../protocol/status.ts";
import { temporaryFailure } from "./reply.ts";

/** Options for {@linkcode proxyHandler}. */
export interface ProxyOptions {
  /** The upstream as `host`, `host:port` or `[ipv6]:port`. Port default 1965. */
  upstream: string;
  /** SNI name sent upstream. Default: the upstream host (none for an IP literal). */
  servername?: string;
  /**
   * Pinned SHA-256 fingerprints (SPKI or whole certificate, any spelling) of the upstream's
   * certificate. Default: trust on first use, remembered for the life of the handler.
   */
  fingerprints?: string[];
  /** Client certificate presented to the upstream. Default none. */
  identity?: ClientIdentity;
  /** Time for the connection and the upstream's header, in ms. Default 10000. */
  timeoutMs?: number;
  /**
   * Send the request URL with the upstream's name (`servername`, else its host) and port
   * instead of the original, for an upstream that only answers to its own name. Default
   * `false`: the URL is relayed as the client sent it.
   */
  rewriteUrl?: boolean;
  /** Where failures are logged. */
  logger?: Logger;
}

/**
 * Trust decisions for upstream certificates: pinned fingerprints when given, else the first
 * SPKI seen per upstream (kept in memory).
 *
 * @example
 * ```ts
 * import { UpstreamTrust } from "./proxy.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const a = await generateCertificate("a");
 * const b = await generateCertificate("b");
 * const trust = new UpstreamTrust();
 * assert.ok(trust.check("up", 1965, a.info));
 * assert.ok(trust.check("up", 1965, a.info));
 * assert.ok(!trust.check("up", 1965, b.info));
 * ```
 */
export class UpstreamTrust {
  #pins: Set<string> | undefined;
  #seen = new Map<string, string>();

  /** Trusts only `fingerprints` when given; otherwise trusts on first use. */
  constructor(fingerprints?: string[]) {
    if (fingerprints && fingerprints.length > 0) {
      this.#pins = new Set(
        fingerprints.map((f) => {
          const hex = normalizeFingerprint(f);
          if (!/^[0-9a-f]{64}$/.test(hex)) {
            throw new SyntaxError(`Fingerprint ${JSON.stringify(f)} is not a SHA-256 hex digest`);
          }
          return hex;
        }),
      );
    }
  }

  /** Whether `certificate` is trusted for upstream `host`:`port` (pins it on first use). */
  check(host: string, port: number, certificate: CertificateInfo): boolean {
    if (this.#pins) {
      return this.#pins.has(certificate.spkiSha256) || this.#pins.has(certificate.certSha256);
    }
    const key = `${host.toLowerCase()}:${port}`;
    const known = this.#seen.get(key);
    if (known === undefined) {
      this.#seen.set(key, certificate.spkiSha256);
      return true;
    }
    return known === certificate.spkiSha256;
  }
}

/** Splits `host`, `host:port` or `[v6]:port`. */
export function parseUpstream(upstream: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]+))(?::(\d{1,5}))?$/.exec(upstream.trim());
  if (!m) throw new SyntaxError(`Upstream ${JSON.stringify(upstream)} is not host[:port]`);
  const port = m[3] === undefined ? 1965 : Number(m[3]);
  if (port < 1 || port > 65535) throw new RangeError(`Upstream port ${port} is out of range`);
  return { host: m[1] ?? m[2], port };
}

/**
 * A handler that relays every request to `options.upstream` and streams its answer back.
 *
 * @example
 * ```ts
 * import { proxyHandler } from "./proxy.ts";
 * import { success } from "./reply.ts";
 * import { serve } from "./server.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { cert, key } = await generateCertificate("app.internal");
 * const upstream = await serve({
 *   handler: (r) => success(`upstream saw ${r.url.href}`, "text/plain"),
 *   certificates: [{ cert, key }],
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 * });
 * const port = upstream.addrs[0].port;
 * const handler = proxyHandler({
 *   upstream: `127.0.0.1:${port}`,
 *   servername: "app.internal",
 *   rewriteUrl: true,
 * });
 * const request = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname, host: new URL(url).hostname,
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * const reply = await handler(request("gemini://h/page"));
 * assert.deepEqual([reply.status, reply.meta], [20, "text/plain"]);
 * const body = await new Response(reply.body as ReadableStream<Uint8Array>).text();
 * assert.equal(body, `upstream saw gemini://app.internal:${port}/page`);
 * await upstream.shutdown();
 * ```
 */
export function proxyHandler(options: ProxyOptions): Handler {
  const upstream = new Upstream(options);
  return (request: GeminiRequest): Promise<GeminiReply> => upstream.relay(request);
}

/** One upstream: how to reach it, whom to trust, and the stages of relaying a request. */
class Upstream {
  readonly host: string;
  readonly port: number;
  readonly #options: ProxyOptions;
  readonly #trust: UpstreamTrust;
  readonly #timeoutMs: number;
  readonly #logger: Logger;

  constructor(options: ProxyOptions) {
    ({ host: this.host, port: this.port } = parseUpstream(options.upstream));
    this.#options = options;
    this.#trust = new UpstreamTrust(options.fingerprints);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Connect, check trust, send the request, read the header, hand over the body. */
  async relay(request: GeminiRequest): Promise<GeminiReply> {
    const started = Date.now();
    let conn: ClientConnection;
    try {
      conn = await dial(this.host, {
        port: this.port,
        servername: this.#options.servername,
        identity: this.#options.identity,
        timeout: this.#timeoutMs,
        signal: request.signal,
      });
    } catch (error) {
      return this.#failed(request, error instanceof Error ? error.message : String(error));
    }
    let handedOver = false;
    try {
      if (!this.#trust.check(this.host, this.port, conn.peerCertificate)) {
        return this.#failed(
          request,
          `untrusted certificate (SPKI ${conn.peerCertificate.spkiSha256})`,
        );
      }
      await conn.write(`${this.#target(request).href}\r\n`);
      const { header, body } = await readHeaderThenBody(conn, scanResponseHeader, {
        deadline: { at: started + this.#timeoutMs },
        ...this.#bodyHooks(conn, request),
      });
      if (!isSuccess(header.status)) {
        return { status: header.status, meta: header.meta };
      }
      handedOver = true;
      return { status: header.status, meta: header.meta, body };
    } catch (error) {
      if (error instanceof DeadlineError) {
        return this.#failed(request, `no response header within ${this.#timeoutMs} ms`);
      }
      if (error instanceof IncompleteHeaderError) {
        return this.#failed(request, "closed before a response header");
      }
      return this.#failed(request, error instanceof Error ? error.message : String(error));
    } finally {
      if (!handedOver) conn.destroy();
    }
  }

  /**
   * The URL asked upstream: the canonical path (the one every rule here matched), with the
   * upstream's name and port when `rewriteUrl` is set.
   */
  #target(request: GeminiRequest): URL {
    const target = new URL(request.url.href);
    target.pathname = encodeRequestPath(request.path);
    if (this.#options.rewriteUrl) {
      const name = this.#options.servername ?? this.host;
      target.hostname = name.includes(":") ? `[${name}]` : name;
      target.port = this.port === 1965 ? "" : String(this.port);
    }
    return target;
  }

  /** The body releases the upstream at its end, on an error and when cancelled. */
  #bodyHooks(upstream: ClientConnection, request: GeminiRequest): BodyHooks {
    return {
      onEnd: (): void => {
        if (upstream.closeNotify === false) {
          this.#logger.warn(`proxy: ${this.host}:${this.port} ended without close_notify`, {
            id: request.requestId,
          });
        }
        upstream.destroy();
      },
      onError: (): void => upstream.destroy(),
      onCancel: (): void => upstream.destroy(),
    };
  }

  #failed(request: GeminiRequest, why: string): GeminiReply {
    this.#logger.warn(`proxy to ${this.host}:${this.port} failed: ${why}`, {
      id: request.requestId,
    });
    return temporaryFailure("Upstream server error", Status.ProxyError);
  }
}
