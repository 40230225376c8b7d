/**
 * Abuse protection: a per-IP token bucket (answered with `44 N`, N the real wait in
 * seconds), caps on open connections per IP and in total, and growing bans for clients that
 * keep hitting the rate limit. Every number is configurable; the defaults suit a small
 * public capsule.
 *
 * @module
 */

import type { GeminiRequest, Handler } from "./types.ts";
import { slowDown } from "./reply.ts";

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface RateOptions {
  /** Bucket size: requests allowed in a burst. Default 20. */
  burst?: number;
  /** Tokens added per second. Default 2. */
  perSecond?: number;
}

/** Growing bans for repeat offenders. */
export interface BanOptions {
  /** Rate-limit refusals within `windowSeconds` that trigger a ban. Default 20. */
  after?: number;
  /** Window for counting refusals, seconds. Default 60. */
  windowSeconds?: number;
  /** First ban, seconds; each further ban doubles. Default 60. */
  seconds?: number;
  /** Longest ban, seconds. Default 86400. */
  maxSeconds?: number;
}

/** All limits of a server. `false` turns a limit off. */
export interface LimitsOptions {
  /** Per-IP request rate. Default `{ burst: 20, perSecond: 2 }`. */
  rate?: RateOptions | false;
  /**
   * Per-IP rate of new connections, decided before TLS; a refused connection is closed
   * without a word and counts toward a ban. Default: twice the request rate (`{ burst: 40,
   * perSecond: 4 }` with the default `rate`), so that a client over the request rate is
   * still told `44` first; off when `rate` is `false`.
   */
  connectionRate?: RateOptions | false;
  /** Open connections per IP. Default 32. */
  maxConnectionsPerIp?: number;
  /** Open connections in total. Default 1024. */
  maxConnections?: number;
  /** Bans for repeat offenders. Default on, see {@linkcode BanOptions}. */
  ban?: BanOptions | false;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const SWEEP_EVERY = 4096;

/**
 * A per-key token bucket.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./limits.ts";
 * import assert from "node:assert/strict";
 * let t = 0;
 * const limiter = new RateLimiter({ burst: 2, perSecond: 1 }, () => t);
 * assert.equal(limiter.take("a"), 0);
 * assert.equal(limiter.take("a"), 0);
 * assert.equal(limiter.take("a"), 1); // wait one second
 * t = 1000;
 * assert.equal(limiter.take("a"), 0);
 * ```
 */
export class RateLimiter {
  /** Bucket size. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly perSecond: number;
  #buckets = new Map<string, Bucket>();
  #now: () => number;
  #ops = 0;

  /** A limiter with `options`; `now` is the clock in ms. */
  constructor(options: RateOptions = {}, now: () => number = Date.now) {
    this.burst = options.burst ?? 20;
    this.perSecond = options.perSecond ?? 2;
    if (!(this.burst >= 1) || !(this.perSecond > 0)) {
      throw new RangeError("Rate limit needs burst >= 1 and perSecond > 0");
    }
    this.#now = now;
  }

  /**
   * Takes one token for `key`. Returns 0 when allowed, else the whole seconds to wait until
   * a token is available (at least 1).
   */
  take(key: string): number {
    const now = this.#now();
    if (++this.#ops % SWEEP_EVERY === 0) this.#sweep(now);
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  #sweep(now: number): void {
    const full = (this.burst / this.perSecond) * 1000;
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.at >= full) this.#buckets.delete(key);
    }
  }
}

interface Offender {
  refusals: number[];
  bans: number;
  until: number;
}

/**
 * Counts rate-limit refusals per key and bans keys that collect too many, for a period
 * that doubles with each ban.
 *
 * @example
 * ```ts
 * import { BanList } from "./limits.ts";
 * import assert from "node:assert/strict";
 * const bans = new BanList({ after: 2, seconds: 10 }, () => 0);
 * bans.strike("a");
 * bans.strike("a");
 * assert.equal(bans.bannedFor("a"), 10);
 * ```
 */
export class BanList {
  /** Refusals within the window that trigger a ban. */
  readonly after: number;
  /** Window for counting refusals, ms. */
  readonly windowMs: number;
  /** First ban, ms. */
  readonly firstMs: number;
  /** Longest ban, ms. */
  readonly maxMs: number;
  #offenders = new Map<string, Offender>();
  #now: () => number;

  /** A ban list with `options`; `now` is the clock in ms. */
  constructor(options: BanOptions = {}, now: () => number = Date.now) {
    this.after = options.after ?? 20;
    this.windowMs = (options.windowSeconds ?? 60) * 1000;
    this.firstMs = (options.seconds ?? 60) * 1000;
    this.maxMs = (options.maxSeconds ?? 86_400) * 1000;
    this.#now = now;
  }

  /** Records one refusal for `key`; returns the ban length in seconds if it triggered one. */
  strike(key: string): number {
    const now = this.#now();
    const o = this.#offenders.get(key) ?? { refusals: [], bans: 0, until: 0 };
    this.#offenders.set(key, o);
    o.refusals = o.refusals.filter((t) => now - t < this.windowMs);
    o.refusals.push(now);
    if (o.refusals.length < this.after) return 0;
    o.refusals = [];
    const length = Math.min(this.maxMs, this.firstMs * 2 ** o.bans);
    o.bans++;
    o.until = now + length;
    return Math.ceil(length / 1000);
  }

  /** Seconds left of `key`'s ban, 0 when not banned. */
  bannedFor(key: string): number {
    const o = this.#offenders.get(key);
    if (!o) return 0;
    const now = this.#now();
    if (o.until <= now) {
      // Forget well-behaved clients after a quiet period (bans still grow within it).
      if (o.refusals.length === 0 && now - o.until > this.maxMs) this.#offenders.delete(key);
      return 0;
    }
    return Math.ceil((o.until - now) / 1000);
  }
}

/** Why a connection was refused by {@linkcode Limits.open}. */
export type ConnectionRefusal = "banned" | "per-ip" | "global" | "rate";

/**
 * The per-IP connection rate used when {@linkcode LimitsOptions.connectionRate} is not
 * given: twice the request rate, or none when the request rate is off.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { defaultConnectionRate } from "./limits.ts";
 * assert.deepEqual(defaultConnectionRate({}), { burst: 40, perSecond: 4 });
 * assert.equal(defaultConnectionRate(false), false);
 * ```
 */
export function defaultConnectionRate(
  rate: RateOptions | false | undefined,
): Required<RateOptions> | false {
  if (rate === false) return false;
  return { burst: 2 * (rate?.burst ?? 20), perSecond: 2 * (rate?.perSecond ?? 2) };
}

/**
 * Every limit of a server in one object: the connection caps are checked when a
 * connection is accepted, the rate limit when its request line has arrived.
 *
 * @example
 * ```ts
 * import { Limits } from "./limits.ts";
 * import assert from "node:assert/strict";
 * const limits = new Limits({ maxConnectionsPerIp: 1 });
 * assert.equal(limits.open("10.0.0.1"), undefined);
 * assert.equal(limits.open("10.0.0.1"), "per-ip");
 * limits.close("10.0.0.1");
 * ```
 */
export class Limits {
  /** Open connections allowed per IP. */
  readonly maxConnectionsPerIp: number;
  /** Open connections allowed in total. */
  readonly maxConnections: number;
  /** The request rate limiter, if on. */
  readonly rate: RateLimiter | undefined;
  /** The connection rate limiter, if on. */
  readonly connectionRate: RateLimiter | undefined;
  /** The ban list, if on. */
  readonly bans: BanList | undefined;
  #open = new Map<string, number>();
  #total = 0;

  /** Limits with `options` (see {@linkcode LimitsOptions} for the defaults). */
  constructor(options: LimitsOptions = {}) {
    const now = options.now ?? Date.now;
    this.maxConnectionsPerIp = options.maxConnectionsPerIp ?? 32;
    this.maxConnections = options.maxConnections ?? 1024;
    this.rate = options.rate === false ? undefined : new RateLimiter(options.rate ?? {}, now);
    const connectionRate = options.connectionRate ?? defaultConnectionRate(options.rate);
    this.connectionRate = connectionRate === false
      ? undefined
      : new RateLimiter(connectionRate, now);
    this.bans = options.ban === false ? undefined : new BanList(options.ban ?? {}, now);
  }

  /** Open connections now. */
  get openConnections(): number {
    return this.#total;
  }

  /**
   * Admits a new connection from `ip`, or says why not: banned, too many open in total or
   * from `ip`, or `ip` opening them too fast (which counts toward a ban). Call
   * {@linkcode close} when an admitted connection ends.
   */
  open(ip: string): ConnectionRefusal | undefined {
    if (this.bans && this.bans.bannedFor(ip) > 0) return "banned";
    if (this.#total >= this.maxConnections) return "global";
    const n = this.#open.get(ip) ?? 0;
    if (n >= this.maxConnectionsPerIp) return "per-ip";
    if (this.connectionRate && this.connectionRate.take(ip) > 0) {
      this.bans?.strike(ip);
      return "rate";
    }
    this.#open.set(ip, n + 1);
    this.#total++;
    return undefined;
  }

  /** Forgets a connection admitted by {@linkcode open}. */
  close(ip: string): void {
    const n = this.#open.get(ip) ?? 0;
    if (n <= 1) this.#open.delete(ip);
    else this.#open.set(ip, n - 1);
    if (n > 0) this.#total--;
  }

  /** Takes a request token for `ip`: 0 when allowed, else the seconds to wait. */
  takeRequest(ip: string): number {
    if (!this.rate) return 0;
    const wait = this.rate.take(ip);
    if (wait > 0) this.bans?.strike(ip);
    return wait;
  }
}

/**
 * Middleware: a separate token bucket (per client IP) in front of `next`, answering
 * `44 N` when it is empty. Used for per-location limits.
 *
 * @example
 * ```ts
 * import { rateLimit } from "./limits.ts";
 * import assert from "node:assert/strict";
 * const handler = rateLimit({ burst: 1, perSecond: 1 })(() => ({ status: 20, meta: "text/plain" }));
 * const request = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname, host: new URL(url).hostname,
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * assert.equal((await handler(request("gemini://h/"))).status, 20);
 * assert.equal((await handler(request("gemini://h/"))).status, 44); // the bucket is empty
 * ```
 */
export function rateLimit(options: RateOptions, now?: () => number): (next: Handler) => Handler {
  const limiter = new RateLimiter(options, now);
  return (next) => (request: GeminiRequest) => {
    const wait = limiter.take(request.remoteAddress.hostname);
    return wait > 0 ? slowDown(wait) : next(request);
  };
}
