/**
 * The Gemini client: one `fetch` that dials, checks trust before writing the request,
 * presents the identity whose scope covers the URL, answers input prompts, follows
 * redirects, waits and retries after `44 SLOW DOWN`, sends foreign schemes to proxies,
 * fetches gopher over plain TCP when allowed, and returns the final response with a
 * streaming body. The steps of one fetch are in `_fetch_run.ts`; one request and its
 * header in `_exchange.ts`.
 *
 * @module
 */

import { hostAndPort, normalizeUrl, UrlError } from "../protocol/url.ts";
import type { ClientConnection } from "../tls/dial.ts";
import { _timerMs } from "./_deadline.ts";
import { _defaultIdentities, _defaultKnownHosts } from "./_defaults.ts";
import { _connect, type _Exchange, _gopherExchange, _sendRequest } from "./_exchange.ts";
import { _FetchRun, type _RunHost } from "./_fetch_run.ts";
import { _RedirectMemory } from "./_redirect_memory.ts";
import { decryptKey, PassphraseError } from "./identities.ts";
import { checkServerCertificate } from "./server_certificate.ts";
import { tofuTrust } from "./trust.ts";
import { checkUrlText } from "./url_text.ts";
import {
  ClientError,
  type ClientOptions,
  type GeminiResponse,
  type Identity,
  type IdentityStore,
  type KnownHostsStore,
  type RequestOptions,
  type TrustDecider,
  type TrustReport,
} from "./types.ts";

/** Default connect timeout, ms. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default header timeout, ms. */
const DEFAULT_HEADER_TIMEOUT_MS = 30_000;
/** Default idle timeout between body chunks, ms. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** How many permanent redirects a client remembers (the oldest are forgotten first). */
const MAX_REMEMBERED_REDIRECTS = 1000;

/**
 * A Gemini client. Every policy has a default that just works; see {@linkcode ClientOptions}.
 *
 * @example
 * ```ts
 * import { Client } from "./client.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import { listen } from "../tls/listen.ts";
 * import assert from "node:assert/strict";
 *
 * // A one-request server on loopback, so the example needs no network.
 * const { cert, key, info } = await generateCertificate("localhost", { altNames: ["127.0.0.1"] });
 * const listener = await listen({ hostname: "127.0.0.1", port: 0, certificates: [{ cert, key }] });
 * const requests: string[] = [];
 * const served = (async () => {
 *   const conn = (await listener.accept())!;
 *   await conn.handshake();
 *   requests.push(new TextDecoder().decode(await conn.read() ?? undefined));
 *   await conn.write("20 text/gemini\r\n# Hello\n");
 *   await conn.close();
 * })();
 *
 * const client = new Client({
 *   maxRedirects: 3,
 *   // Trust is a callback (the default is trust on first use over the known-hosts file).
 *   trustCertificate: ({ certificate }) => {
 *     assert.equal(certificate.spkiSha256, info.spkiSha256);
 *     return { verdict: "unchecked" };
 *   },
 * });
 * const response = await client.fetch(`gemini://127.0.0.1:${listener.addr.port}/`);
 * assert.equal(response.status, 20);
 * assert.equal(await response.text(), "# Hello\n");
 * assert.equal(requests[0], `gemini://127.0.0.1:${listener.addr.port}/\r\n`);
 * await served;
 * listener.close();
 * ```
 */
export class Client {
  #options: ClientOptions;
  #knownHosts: KnownHostsStore | undefined;
  #identities: IdentityStore | undefined;
  #trust: TrustDecider | undefined;
  /** Decrypted keys of encrypted identities, so a passphrase is asked for once. */
  #unlocked = new Map<string, string>();
  /** Servers (host:port) found to refuse TLS 1.3, already warned about. */
  #tls12Only = new Set<string>();
  /** Permanent redirects (31) followed. */
  #moved = new _RedirectMemory(MAX_REMEMBERED_REDIRECTS);
  /** Certificate warnings already given (each is given once for the life of the client). */
  #certificateWarnings = new Set<string>();

  /** Makes a client with `options` (all optional). */
  constructor(options: ClientOptions = {}) {
    this.#options = { ...options };
    for (const key of ["connectTimeoutMs", "headerTimeoutMs", "idleTimeoutMs"] as const) {
      const value = options[key];
      if (value !== undefined) this.#options[key] = _timerMs(value);
    }
    this.#knownHosts = options.knownHosts;
    this.#identities = options.identities;
    this.#trust = options.trustCertificate;
  }

  /** The options this client was made with. */
  get options(): Readonly<ClientOptions> {
    return this.#options;
  }

  /**
   * Where a permanent redirect (31) followed by this client sends `url`, if one did: the
   * next fetch of `url` goes there without asking the old address again. Redirects are
   * remembered for the life of the client (at most 1000);
   * temporary ones (30) are not.
   */
  movedPermanently(url: string | URL): URL | undefined {
    const to = this.#moved.get(typeof url === "string" ? url : url.href);
    return to === undefined ? undefined : new URL(to);
  }

  /**
   * Fetches `url` and returns the final response (after input, redirects and retries). The
   * status is whatever the server finally said (1x-6x); failures to get any answer throw a
   * {@linkcode ClientError} whose `context` says where the fetch was (URL, redirects, and
   * the certificate and trust check of the last connection). Consume the body (or cancel
   * it) to release the connection.
   */
  async fetch(url: string | URL, options: RequestOptions = {}): Promise<GeminiResponse> {
    const host: _RunHost = {
      options: this.#options,
      moved: this.#moved,
      exchange: (url, identity, signal) => this.#exchange(url, identity, signal),
    };
    const run = new _FetchRun(host, this.#parse(url), options);
    try {
      return await run.run();
    } catch (error) {
      if (error instanceof ClientError) error.context = run.failureContext(error);
      throw error;
    }
  }

  #parse(url: string | URL): URL {
    if (typeof url === "string") checkUrlText(url);
    try {
      return normalizeUrl(url);
    } catch (cause) {
      throw new ClientError(
        "bad-url",
        cause instanceof UrlError ? cause.message : `Invalid URL ${String(url)}`,
        { cause },
      );
    }
  }

  #identityStore(): IdentityStore {
    this.#identities ??= _defaultIdentities();
    return this.#identities;
  }

  /** The trust decision: the one given, else trust on first use (store opened on first use). */
  #trustDecider(): TrustDecider {
    if (!this.#trust) {
      const o = this.#options;
      this.#knownHosts ??= _defaultKnownHosts();
      this.#trust = tofuTrust(this.#knownHosts, {
        mode: o.tofu,
        trustNew: o.trustNew,
        hooks: o.hooks ?? {},
      });
    }
    return this.#trust;
  }

  /** One request for `url` by its scheme: through a proxy, Gemini, or gopher if allowed. */
  async #exchange(
    url: URL,
    forced: Identity | undefined,
    signal: AbortSignal | undefined,
  ): Promise<_Exchange> {
    const o = this.#options;
    const scheme = url.protocol.slice(0, -1);
    const proxy = o.proxies?.[scheme];
    if (proxy) return await this.#gemini(url, this.#parseProxy(scheme, proxy), undefined, signal);
    if (scheme === "gemini") {
      const identity = forced ?? await this.#identityStore().forUrl(url);
      return await this.#gemini(url, url, identity, signal);
    }
    if (scheme === "gopher") {
      const allowed = o.allowGopher || (await o.hooks?.onInsecure?.(url) ?? false);
      if (!allowed) {
        throw new ClientError("insecure-refused", `${url.href} is gopher, which is not encrypted`);
      }
      return await _gopherExchange(url, {
        connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        headerTimeoutMs: o.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
        idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        maxBodyBytes: o.maxBodyBytes,
        signal,
        onWarning: o.hooks?.onWarning,
      });
    }
    if (scheme === "http" || scheme === "https") {
      throw new ClientError(
        "unsupported-scheme",
        `${url.href} is ${scheme}, which gemini does not fetch itself; name a Gemini proxy ` +
          "for it",
      );
    }
    throw new ClientError(
      "unsupported-scheme",
      `Cannot fetch ${url.href}: the ${scheme} scheme is not supported`,
    );
  }

  #parseProxy(scheme: string, proxy: string): URL {
    try {
      const url = normalizeUrl(proxy);
      if (url.protocol !== "gemini:") throw new TypeError("not a gemini:// URL");
      return url;
    } catch (cause) {
      throw new ClientError(
        "bad-url",
        `The proxy for ${scheme} (${proxy}) is not a gemini://HOST:PORT URL`,
        { cause },
      );
    }
  }

  /** One Gemini request for `url`, sent to the server of `server` (itself or a proxy). */
  async #gemini(
    url: URL,
    server: URL,
    identity: Identity | undefined,
    signal: AbortSignal | undefined,
  ): Promise<_Exchange> {
    const o = this.#options;
    const { host, port } = hostAndPort(server);
    const key = identity ? await this.#unlock(identity) : undefined;
    if (signal?.aborted) throw new ClientError("aborted", `Fetch of ${url.href} aborted`);
    const conn = await _connect(host, port, {
      timeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      signal,
      identity: identity && key ? { identity, key } : undefined,
      tls12Only: this.#tls12Only,
      onWarning: (message, warning) => o.hooks?.onWarning?.(message, warning),
    });
    // Read while the connection is open (a destroyed socket no longer knows).
    const tls = conn.tls;
    const trust = await this.#checkServer(conn, url, { host, port });
    return await _sendRequest(conn, url, {
      server: { host, port },
      tls,
      trust,
      identity: identity?.name,
      headerTimeoutMs: o.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxBodyBytes: o.maxBodyBytes,
      signal,
      onWarning: o.hooks?.onWarning,
    });
  }

  /**
   * The checks of the server certificate, after the handshake and before the request: dates
   * and names first (an invalid certificate refused here is never pinned), then the trust
   * decision. A refusal destroys the connection and carries what was known of it.
   */
  async #checkServer(
    conn: ClientConnection,
    url: URL,
    server: { host: string; port: number },
  ): Promise<TrustReport> {
    const { host, port } = server;
    const hooks = this.#options.hooks ?? {};
    const tls = conn.tls;
    try {
      await checkServerCertificate(host, port, conn.peerCertificate, {
        mode: this.#options.tofu,
        hooks: {
          onInvalidCertificate: hooks.onInvalidCertificate,
          onWarning: (message, warning) => {
            if (this.#certificateWarnings.has(message)) return;
            this.#certificateWarnings.add(message);
            hooks.onWarning?.(message, warning);
          },
        },
      });
      const certificate = conn.peerCertificate;
      return await this.#trustDecider()({ url, host, port, certificate });
    } catch (error) {
      conn.destroy();
      if (error instanceof ClientError) {
        error.context ??= { url, redirects: [], tls, certificate: conn.peerCertificate };
      }
      throw error;
    }
  }

  /**
   * The usable (unencrypted) key of `identity`. An encrypted key is unlocked with the
   * passphrase from `onPassphrase`, asked once per identity for the life of this client; a
   * wrong passphrase is an `identity` error before anything is dialled (TLS would otherwise
   * go on silently without a certificate).
   */
  async #unlock(identity: Identity): Promise<string> {
    if (!identity.encrypted) return identity.key;
    const cacheKey = `${identity.name}\n${identity.key}`;
    const cached = this.#unlocked.get(cacheKey);
    if (cached) return cached;
    const answer = await this.#options.hooks?.onPassphrase?.(identity);
    if (answer === null || answer === undefined) {
      throw new ClientError(
        "identity",
        `The key of identity "${identity.name}" is encrypted and no passphrase was given`,
      );
    }
    let key: string;
    try {
      key = decryptKey(identity.key, answer);
    } catch (cause) {
      throw new ClientError(
        "identity",
        cause instanceof PassphraseError
          ? `Wrong passphrase for the key of identity "${identity.name}"`
          : `Cannot read the key of identity "${identity.name}": ${
            cause instanceof Error ? cause.message : cause
          }`,
        { cause },
      );
    }
    this.#unlocked.set(cacheKey, key);
    return key;
  }
}
