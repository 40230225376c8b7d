/**
 * Reverse proxy: a location relays its requests to an upstream Gemini server over TLS (SNI
 * = the upstream's name), trusting the upstream by pinned fingerprint or, without pins, by
 * trust on first use kept in memory, optionally presenting a client certificate of its
 * own. The upstream's header is checked and its body streamed; an upstream that cannot be
 * reached, is not trusted, times out or answers garbage gives `43`.
 *
 * @module
 */

import { _appendBytes } from "./_bytes.ts";
import { encodeRequestPath } from "../protocol/request_path.ts";
import { scanResponseHeader } from "../protocol/response.ts";
import { type CertificateInfo, normalizeFingerprint } from "../tls/certificate.ts";
import { type ClientIdentity, dial } from "../tls/dial.ts";
import type { ClientConnection } from "../tls/dial.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";

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
 * const a = await generateCertificate("a");
 * const b = await generateCertificate("b");
 * const trust = new UpstreamTrust();
 * console.assert(trust.check("up", 1965, a.info) && trust.check("up", 1965, a.info));
 * console.assert(!trust.check("up", 1965, b.info));
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

class UpstreamTimeout extends Error {}

/**
 * A handler that relays every request to `options.upstream` and streams its answer back.
 *
 * @example
 * ```ts
 * import { proxyHandler } from "./proxy.ts";
 * const handler = proxyHandler({ upstream: "127.0.0.1:1966", servername: "app.internal", rewriteUrl: true });
 * console.assert(typeof handler === "function");
 * ```
 */
export function proxyHandler(options: ProxyOptions): Handler {
  const { host, port } = parseUpstream(options.upstream);
  const trust = new UpstreamTrust(options.fingerprints);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logger = options.logger ?? silentLogger;
  const failed = (request: GeminiRequest, why: string): GeminiReply => {
    logger.warn(`proxy to ${host}:${port} failed: ${why}`, { id: request.requestId });
    return { status: 43, meta: "Upstream server error" };
  };

  return async (request: GeminiRequest): Promise<GeminiReply> => {
    const started = Date.now();
    let conn: ClientConnection;
    try {
      conn = await dial(host, {
        port,
        servername: options.servername,
        identity: options.identity,
        timeout: timeoutMs,
        signal: request.signal,
      });
    } catch (error) {
      return failed(request, error instanceof Error ? error.message : String(error));
    }
    let handedOver = false;
    try {
      if (!trust.check(host, port, conn.peerCertificate)) {
        return failed(
          request,
          `untrusted certificate (SPKI ${conn.peerCertificate.spkiSha256})`,
        );
      }
      // The upstream is asked for the canonical path, the one every rule here matched.
      const target = new URL(request.url.href);
      target.pathname = encodeRequestPath(request.path);
      if (options.rewriteUrl) {
        const name = options.servername ?? host;
        target.hostname = name.includes(":") ? `[${name}]` : name;
        target.port = port === 1965 ? "" : String(port);
      }
      await conn.write(`${target.href}\r\n`);

      let buffer: Uint8Array = new Uint8Array(0);
      let scanned: ReturnType<typeof scanResponseHeader> = null;
      const left = (): number => started + timeoutMs - Date.now();
      while (scanned === null) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const chunk = await Promise.race([
          conn.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new UpstreamTimeout()), Math.max(0, left()));
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk === null) return failed(request, "closed before a response header");
        buffer = _appendBytes(buffer, chunk);
        scanned = scanResponseHeader(buffer);
      }
      const { header, bodyStart } = scanned;
      if (header.status < 20 || header.status > 29) {
        return { status: header.status, meta: header.meta };
      }
      let first: Uint8Array | undefined = buffer.subarray(bodyStart);
      const upstream = conn;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller): Promise<void> {
          if (first !== undefined) {
            const chunk = first;
            first = undefined;
            if (chunk.length > 0) return controller.enqueue(chunk);
          }
          try {
            const chunk = await upstream.read();
            if (chunk === null) {
              if (upstream.closeNotify === false) {
                logger.warn(`proxy: ${host}:${port} ended without close_notify`, {
                  id: request.requestId,
                });
              }
              upstream.destroy();
              controller.close();
            } else {
              controller.enqueue(chunk);
            }
          } catch (error) {
            upstream.destroy();
            controller.error(error);
          }
        },
        cancel(): void {
          upstream.destroy();
        },
      });
      handedOver = true;
      return { status: header.status, meta: header.meta, body };
    } catch (error) {
      if (error instanceof UpstreamTimeout) {
        return failed(request, `no response header within ${timeoutMs} ms`);
      }
      return failed(request, error instanceof Error ? error.message : String(error));
    } finally {
      if (!handedOver) conn.destroy();
    }
  };
}
