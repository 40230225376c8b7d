/**
 * The Gemini client: one `fetch` that dials, checks trust before writing the request,
 * presents the identity whose scope covers the URL, answers input prompts, follows
 * redirects, waits and retries after `44 SLOW DOWN`, sends foreign schemes to proxies,
 * fetches gopher over plain TCP when allowed, and returns the final response with a
 * streaming body.
 *
 * @module
 */

import { parseMediaType } from "../protocol/mime.ts";
import {
  type ResponseHeader,
  ResponseHeaderError,
  scanResponseHeader,
} from "../protocol/response.ts";
import { normalizeStatus } from "../protocol/status.ts";
import { hostAndPort, normalizeUrl, resolveUrl, UrlError, withInput } from "../protocol/url.ts";
import { type ClientConnection, dial, DialError } from "../tls/dial.ts";
import { _checkCharset, _Response, type _ResponseInit } from "./_response.ts";
import { _defaultIdentities, _defaultKnownHosts } from "./_defaults.ts";
import { decryptKey, PassphraseError } from "./identities.ts";
import { checkUrlText } from "./url_text.ts";
import { checkServerCertificate } from "./server_certificate.ts";
import { assessTrust } from "./trust.ts";
import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_RETRIES, planRetry } from "./retry.ts";
import {
  ClientError,
  type ClientOptions,
  type FailureContext,
  type GeminiResponse,
  type Identity,
  type IdentityStore,
  type KnownHostsStore,
  type RequestOptions,
  type ResponseTiming,
  type RetryReport,
  type TrustReport,
} from "./types.ts";

/** Default connect timeout, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default header timeout, ms. */
export const DEFAULT_HEADER_TIMEOUT_MS = 30_000;
/** Default idle timeout between body chunks, ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** How many input prompts one fetch answers at most. */
const MAX_INPUTS = 5;
/** How many permanent redirects a client remembers (the oldest are forgotten first). */
export const MAX_REMEMBERED_REDIRECTS = 1000;

/** One request/response exchange, before the caller decides what to do with it. */
interface Exchange {
  url: URL;
  status: number;
  meta: string;
  init: Omit<_ResponseInit, "redirects" | "startedAt" | "retries">;
  /** Releases the connection of a response that is not returned. */
  discard(): Promise<void>;
}

/**
 * The longest delay a timer can hold (2^31 - 1 ms, about 24.8 days). Longer delays overflow
 * to 1 ms in setTimeout, which would turn a huge timeout into an instant one and a huge
 * 44 wait into no wait at all; they are held to this instead.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerMs(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  ms = timerMs(ms);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ClientError("aborted", "Fetch aborted"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ClientError("aborted", "Fetch aborted while waiting to retry"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Whether a failed dial was the server refusing the TLS version we asked for. */
function isVersionRefusal(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? "";
  const message = error instanceof Error ? error.message : String(error);
  return /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/i.test(code) ||
    /protocol ?version|unsupported protocol|wrong version number|no protocols available/i
      .test(message);
}

function dialFailure(error: unknown, host: string, port: number): ClientError {
  if (error instanceof ClientError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DialError) {
    if (error.code === "ETIMEDOUT") return new ClientError("timeout", message, { cause: error });
    if (error.code === "EABORTED") return new ClientError("aborted", message, { cause: error });
    if (
      message.startsWith("TLS handshake") || error.code === "ENOCERT" ||
      error.code === "EBADCERT" || error.code?.startsWith("ERR_SSL")
    ) {
      return new ClientError("tls", message, { cause: error });
    }
    return new ClientError("network", message, { cause: error });
  }
  return new ClientError("network", `Cannot connect to ${host}:${port}: ${message}`, {
    cause: error,
  });
}

/** Closes gracefully (close_notify), giving the peer at most 200 ms to close its side. */
function closeSoon(conn: ClientConnection): Promise<void> {
  return (conn as unknown as { close(graceMs?: number): Promise<void> }).close(200);
}

function sameOrigin(a: URL, b: URL): boolean {
  const x = hostAndPort(a);
  const y = hostAndPort(b);
  return a.protocol === b.protocol && x.host === y.host && x.port === y.port;
}

/**
 * A Gemini client. Every policy has a default that just works; see {@linkcode ClientOptions}.
 *
 * @example
 * ```ts ignore
 * import { Client } from "./client.ts";
 * const client = new Client({ maxRedirects: 3 });
 * const response = await client.fetch("gemini://geminiprotocol.net/");
 * if (response.status === 20) console.log(await response.text());
 * ```
 */
export class Client {
  #options: ClientOptions;
  #knownHosts: KnownHostsStore | undefined;
  #identities: IdentityStore | undefined;
  /** Decrypted keys of encrypted identities, so a passphrase is asked for once. */
  #unlocked = new Map<string, string>();
  /** Servers (host:port) found to refuse TLS 1.3, already warned about. */
  #tls12Only = new Set<string>();
  /** Permanent redirects (31) followed: source URL -> target URL, oldest first. */
  #moved = new Map<string, string>();
  /** Certificate warnings already given (each is given once for the life of the client). */
  #certificateWarnings = new Set<string>();

  /** Makes a client with `options` (all optional). */
  constructor(options: ClientOptions = {}) {
    this.#options = { ...options };
    for (const key of ["connectTimeoutMs", "headerTimeoutMs", "idleTimeoutMs"] as const) {
      const value = options[key];
      if (value !== undefined) this.#options[key] = timerMs(value);
    }
    this.#knownHosts = options.knownHosts;
    this.#identities = options.identities;
  }

  /** The options this client was made with. */
  get options(): Readonly<ClientOptions> {
    return this.#options;
  }

  /**
   * Where a permanent redirect (31) followed by this client sends `url`, if one did: the
   * next fetch of `url` goes there without asking the old address again. Redirects are
   * remembered for the life of the client (at most {@linkcode MAX_REMEMBERED_REDIRECTS});
   * temporary ones (30) are not.
   */
  movedPermanently(url: string | URL): URL | undefined {
    const href = typeof url === "string" ? url : url.href;
    const to = this.#moved.get(href);
    return to === undefined ? undefined : new URL(to);
  }

  #remember(from: URL, to: URL): void {
    this.#moved.delete(from.href);
    this.#moved.set(from.href, to.href);
    while (this.#moved.size > MAX_REMEMBERED_REDIRECTS) {
      this.#moved.delete(this.#moved.keys().next().value!);
    }
  }

  #knownHostsStore(): KnownHostsStore {
    this.#knownHosts ??= _defaultKnownHosts();
    return this.#knownHosts;
  }

  #identityStore(): IdentityStore {
    this.#identities ??= _defaultIdentities();
    return this.#identities;
  }

  /**
   * Fetches `url` and returns the final response (after input, redirects and retries). The
   * status is whatever the server finally said (1x-6x); failures to get any answer throw a
   * {@linkcode ClientError} whose `context` says where the fetch was (URL, redirects, and
   * the certificate and trust check of the last connection). Consume the body (or cancel
   * it) to release the connection.
   */
  async fetch(url: string | URL, options: RequestOptions = {}): Promise<GeminiResponse> {
    let current = this.#parse(url);
    const redirects: URL[] = [];
    let last: Exchange | undefined;
    try {
      return await this.#fetch(current, options, redirects, (url, exchange) => {
        current = url;
        last = exchange;
      });
    } catch (error) {
      if (error instanceof ClientError) {
        // What the connection that failed said (set by #gemini), else the last answer of
        // this URL (a redirect that could not be followed).
        const inner = error.context;
        const known = last?.url.href === current.href ? last.init : undefined;
        const context: FailureContext = {
          url: current,
          redirects: [...redirects],
          tls: inner?.tls ?? known?.tls,
          certificate: inner?.certificate ?? known?.certificate ?? error.change?.presented ??
            error.invalid?.presented,
          trust: inner?.trust ?? known?.trustReport,
        };
        error.context = context;
      }
      throw error;
    }
  }

  /** The steps of {@linkcode fetch}; `track` hears of each URL requested and its answer. */
  async #fetch(
    start: URL,
    options: RequestOptions,
    redirects: URL[],
    track: (url: URL, exchange?: Exchange) => void,
  ): Promise<GeminiResponse> {
    const o = this.#options;
    const hooks = o.hooks ?? {};
    const startedAt = performance.now();
    let current = start;
    const seen = new Set([current.href]);
    const maxRedirects = o.maxRedirects ?? 5;
    const follows = (o.followRedirects ?? true) && maxRedirects > 0;
    const policy = {
      retries: o.retries ?? DEFAULT_RETRIES,
      maxWaitSeconds: o.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS,
      retryInput: o.retryInput ?? false,
    };
    const first = current;
    const retried: RetryReport = { count: 0, waitedSeconds: 0 };
    let inputUsed = false;
    let inputs = 0;
    /** Whether the query of `current` is the user's answer to an input prompt. */
    let carriesInput = false;
    let identityAsked = false;
    let granted: { identity: Identity; origin: URL } | undefined;
    const limit = maxRedirects + policy.retries + MAX_INPUTS + 3;
    const moveTo = (url: URL): void => {
      current = url;
      track(url);
    };

    /**
     * Follows the redirect from `current` to `target` (checks, then moves on); `false` when
     * the onRedirect hook declined it.
     */
    const follow = async (target: URL): Promise<boolean> => {
      if (seen.has(target.href)) {
        // A remembered redirect may be what closes the loop: forget the chain, so that the
        // next fetch asks the servers again.
        for (const url of [...redirects, current]) this.#moved.delete(url.href);
        throw new ClientError(
          "redirect-loop",
          `Redirect loop: ${[...redirects, current, target].map((u) => u.href).join(" -> ")}`,
        );
      }
      if (redirects.length >= maxRedirects) {
        throw new ClientError(
          "too-many-redirects",
          `More than ${maxRedirects} redirects (--max-redirects): ${
            [...redirects, current, target].map((u) => u.href).join(" -> ")
          }`,
        );
      }
      if (target.protocol !== current.protocol) {
        const allowed = o.allowSchemeChange ||
          (await hooks.onRedirect?.({ from: current, to: target }) ?? false);
        if (!allowed) {
          throw new ClientError(
            "scheme-change",
            `${current.href} redirects to ${target.href}, another scheme; not followed ` +
              "without --allow-scheme-change",
          );
        }
      } else if (!sameOrigin(current, target) && hooks.onRedirect) {
        if (!(await hooks.onRedirect({ from: current, to: target }))) return false;
      }
      redirects.push(current);
      seen.add(target.href);
      moveTo(target);
      carriesInput = false;
      return true;
    };

    for (let step = 0; step <= limit; step++) {
      // A permanent redirect followed before: go straight to its target. The checks are the
      // same as when the server said 31; only the old address is not asked again.
      const moved = follows ? this.#moved.get(current.href) : undefined;
      if (moved !== undefined) {
        const from = current;
        if (await follow(new URL(moved))) continue;
        return new _Response({
          url: from,
          status: 31,
          meta: moved,
          redirects,
          startedAt,
          timing: { connectMs: 0, tlsMs: 0, firstByteMs: 0, totalMs: 0 },
          signal: options.signal,
          retries: { ...retried },
        });
      }
      let identity: Identity | undefined;
      if (options.identity && sameOrigin(current, first)) identity = options.identity;
      else if (granted && sameOrigin(current, granted.origin)) identity = granted.identity;
      const exchange = await this.#exchange(current, identity, options.signal);
      track(current, exchange);
      const { status, meta } = exchange;
      const cls = normalizeStatus(status);
      const finish = (stopped?: RetryReport["stopped"]): GeminiResponse =>
        new _Response({
          ...exchange.init,
          redirects,
          startedAt,
          signal: options.signal,
          retries: stopped ? { ...retried, stopped } : { ...retried },
        });

      if (cls === 10 || cls === 11) {
        if (inputs < MAX_INPUTS) {
          let answer: string | null = null;
          if (options.input !== undefined && !inputUsed) {
            inputUsed = true;
            answer = options.input;
          } else if (hooks.onInput) {
            answer = await hooks.onInput({ url: current, prompt: meta, sensitive: cls === 11 });
          }
          if (answer !== null) {
            inputs++;
            await exchange.discard();
            let next: URL;
            try {
              next = withInput(current, answer);
            } catch (cause) {
              throw new ClientError(
                "bad-url",
                `The answer makes the URL longer than 1024 bytes: ${
                  cause instanceof Error ? cause.message : cause
                }`,
                { cause },
              );
            }
            moveTo(next);
            carriesInput = true;
            continue;
          }
        }
        return finish();
      }

      if (cls === 30 || cls === 31) {
        await exchange.discard();
        let target: URL;
        try {
          target = normalizeUrl(resolveUrl(current, meta.trim()));
        } catch (cause) {
          throw new ClientError(
            "bad-header",
            `${current.href} redirects to ${JSON.stringify(meta)}, which is not a valid URL${
              cause instanceof Error ? ` (${cause.message})` : ""
            }`,
            { cause },
          );
        }
        if (!follows) return finish();
        const from = current;
        if (!(await follow(target))) return finish();
        if (cls === 31) {
          // Permanent: remembered for the life of this client, and told (bookmarks move).
          this.#remember(from, target);
          await hooks.onPermanentRedirect?.({ from, to: target });
        }
        continue;
      }

      const retry = planRetry(status, meta, retried, carriesInput, policy);
      if (retry?.retry) {
        await exchange.discard();
        hooks.onRetryWait?.({
          url: current,
          status,
          seconds: retry.seconds,
          attempt: retried.count + 1,
        });
        await sleep(retry.seconds * 1000, options.signal);
        retried.count++;
        retried.waitedSeconds += retry.seconds;
        continue;
      }
      if (retry) return finish(retry.stopped);

      if (
        (cls === 60 || cls === 61 || cls === 62) && !identityAsked && hooks.onIdentityRequired
      ) {
        identityAsked = true;
        const chosen = await hooks.onIdentityRequired({ url: current, status, meta });
        if (chosen) {
          await exchange.discard();
          granted = { identity: chosen, origin: current };
          continue;
        }
      }
      return finish();
    }
    throw new ClientError(
      "too-many-redirects",
      `Gave up on ${first.href} after ${limit} requests`,
    );
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

  async #exchange(
    url: URL,
    forced: Identity | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Exchange> {
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
        throw new ClientError(
          "insecure-refused",
          `${url.href} is gopher, which is not encrypted; allow it with --allow-gopher`,
        );
      }
      // Loaded on demand: most fetches never need gopher (or its media type table).
      const { fetchGopher } = await import("./gopher.ts");
      const got = await fetchGopher(url, {
        connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        headerTimeoutMs: o.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
        maxBodyBytes: o.maxBodyBytes,
        signal,
      });
      return {
        url,
        status: got.status,
        meta: got.meta,
        init: {
          url,
          status: got.status,
          meta: got.meta,
          mediaType: got.mediaType,
          timing: { ...got.timing, totalMs: 0 },
          head: got.head,
          source: got.source,
          idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
          maxBodyBytes: o.maxBodyBytes,
          onWarning: o.hooks?.onWarning,
        },
        discard: () => {
          got.source?.release(true);
          return Promise.resolve();
        },
      };
    }
    if (scheme === "http" || scheme === "https") {
      throw new ClientError(
        "unsupported-scheme",
        `${url.href} is ${scheme}, which gemini does not fetch itself; name a Gemini proxy ` +
          `for it with --proxy ${scheme}=gemini://HOST:PORT (or [proxies] in config.toml)`,
      );
    }
    throw new ClientError(
      "unsupported-scheme",
      `Cannot fetch ${url.href}: the ${scheme} scheme is not supported ` +
        `(a Gemini proxy for it can be named with --proxy ${scheme}=gemini://HOST:PORT)`,
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
  ): Promise<Exchange> {
    const o = this.#options;
    const hooks = o.hooks ?? {};
    const { host, port } = hostAndPort(server);
    const key = identity ? await this.#unlock(identity) : undefined;
    if (signal?.aborted) throw new ClientError("aborted", `Fetch of ${url.href} aborted`);
    let conn: ClientConnection;
    const dialOptions = {
      port,
      timeout: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      signal,
      identity: identity && key ? { cert: identity.cert, key } : undefined,
    };
    try {
      const origin = `${host}:${port}`;
      if (!identity || this.#tls12Only.has(origin)) {
        conn = await dial(host, dialOptions);
      } else {
        // Under TLS 1.2 a client certificate travels in clear, and the spec asks clients to
        // warn BEFORE sending one: try TLS 1.3 only first; a server that cannot do it is
        // named in a warning, then the certificate goes over TLS 1.2.
        try {
          conn = await dial(host, { ...dialOptions, minVersion: "TLSv1.3" });
        } catch (error) {
          if (!isVersionRefusal(error)) throw error;
          // Said once per server for the life of this client; later requests go straight on.
          this.#tls12Only.add(origin);
          hooks.onWarning?.(
            `${host}:${port} speaks only TLS 1.2, where a client certificate travels ` +
              `unencrypted: anyone on the network path can see the certificate of identity ` +
              `"${identity.name}" (not its key); sending it anyway`,
          );
          conn = await dial(host, dialOptions);
        }
      }
    } catch (error) {
      throw dialFailure(error, host, port);
    }
    // Read while the connection is open (a destroyed socket no longer knows).
    const tls = conn.tls;
    let trust: TrustReport;
    try {
      // Dates and names first: an invalid certificate refused here is never pinned.
      await checkServerCertificate(host, port, conn.peerCertificate, {
        mode: o.tofu,
        hooks: {
          onInvalidCertificate: hooks.onInvalidCertificate,
          onWarning: (message) => {
            if (this.#certificateWarnings.has(message)) return;
            this.#certificateWarnings.add(message);
            hooks.onWarning?.(message);
          },
        },
      });
      trust = await assessTrust(this.#knownHostsStore(), host, port, conn.peerCertificate, {
        mode: o.tofu,
        trustNew: o.trustNew,
        hooks,
      });
    } catch (error) {
      conn.destroy();
      if (error instanceof ClientError) {
        error.context ??= { url, redirects: [], tls, certificate: conn.peerCertificate };
      }
      throw error;
    }
    const sentAt = performance.now();
    const timing: ResponseTiming = {
      connectMs: conn.timing.connectMs,
      tlsMs: conn.timing.tlsMs,
      firstByteMs: 0,
      totalMs: 0,
    };
    let header;
    try {
      await conn.write(`${url.href}\r\n`);
      header = await this.#readHeader(conn, url, signal, () => {
        timing.firstByteMs = performance.now() - sentAt;
      });
    } catch (error) {
      conn.destroy();
      const failure = error instanceof ClientError ? error : new ClientError(
        "network",
        `Connection to ${host}:${port} failed: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
      failure.context ??= {
        url,
        redirects: [],
        tls,
        certificate: conn.peerCertificate,
        trust,
      };
      throw failure;
    }
    const { status, meta } = header.header;
    const success = normalizeStatus(status) === 20;
    let mediaType = header.header.mediaType;
    if (success && !mediaType) mediaType = parseMediaType("text/gemini; charset=utf-8");
    if (success && mediaType?.type === "text") {
      try {
        _checkCharset(mediaType.charset, url);
      } catch {
        // reported by text(); raw bytes stay available
      }
    }
    const init: Exchange["init"] = {
      url,
      status,
      meta,
      mediaType: success ? mediaType : undefined,
      tls,
      certificate: conn.peerCertificate,
      trust: trust.verdict,
      trustReport: trust,
      identity: identity?.name,
      timing,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxBodyBytes: o.maxBodyBytes,
      onWarning: hooks.onWarning,
    };
    if (success) {
      init.head = header.rest;
      init.source = {
        read: () => conn.read(),
        closeNotify: () => conn.closeNotify,
        release: (error) => {
          if (error) conn.destroy();
          else void closeSoon(conn);
        },
      };
    } else {
      // No body after a non-2x header: whatever follows is ignored.
      await closeSoon(conn);
    }
    return {
      url,
      status,
      meta,
      init,
      discard: async (): Promise<void> => {
        if (success) conn.destroy();
        else await closeSoon(conn);
      },
    };
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

  async #readHeader(
    conn: ClientConnection,
    url: URL,
    signal: AbortSignal | undefined,
    onFirstByte: () => void,
  ): Promise<{ header: ResponseHeader; rest: Uint8Array }> {
    const timeoutMs = this.#options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ClientError(
              "timeout",
              `No response header from ${url.host} within ${timeoutMs} ms of the request`,
            ),
          ),
        timeoutMs,
      );
      onAbort = (): void => reject(new ClientError("aborted", `Fetch of ${url.href} aborted`));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      let buffer = new Uint8Array(0);
      for (;;) {
        const chunk = await Promise.race([conn.read(), guard]);
        if (chunk === null) {
          throw new ClientError(
            "bad-header",
            buffer.length === 0
              ? `${url.host} closed the connection without sending a response header`
              : `${url.host} closed the connection in the middle of the response header`,
          );
        }
        if (buffer.length === 0) onFirstByte();
        const joined = new Uint8Array(buffer.length + chunk.length);
        joined.set(buffer);
        joined.set(chunk, buffer.length);
        buffer = joined;
        let found;
        try {
          found = scanResponseHeader(buffer);
        } catch (cause) {
          throw new ClientError(
            "bad-header",
            `Invalid response header from ${url.host}: ${
              cause instanceof ResponseHeaderError ? cause.message : String(cause)
            }`,
            { cause },
          );
        }
        if (found) {
          return {
            header: found.header,
            rest: buffer.slice(found.bodyStart),
          };
        }
      }
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }
}
