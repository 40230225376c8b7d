/**
 * Connection caps, per-IP rate limits and bans kept in one `SharedArrayBuffer`, so that
 * several accept loops (Web Workers of one `gemini serve --workers N`) enforce one limit
 * together instead of N limits side by side. Every operation is synchronous: a short
 * critical section under a spin lock (Atomics) over a fixed-size hash table of client IPs.
 *
 * The semantics follow `Limits` in limits.ts: a token bucket per IP (`burst`, refilled at
 * `perSecond`), caps on open connections per IP and in total, and bans that double for
 * IPs that keep hitting the rate limit (counted in a fixed window rather than a sliding one).
 * When every slot an IP may use is taken by active clients, that IP is admitted without
 * per-IP accounting (fail open) rather than refused.
 *
 * @module
 */

import { defaultConnectionRate, Limits, type LimitsOptions } from "./limits.ts";

/** Options for {@linkcode SharedLimitTable}; plain data so it can be posted to workers. */
export interface SharedLimitOptions {
  /** Per-IP request rate. Default `{ burst: 20, perSecond: 2 }`; `false` turns it off. */
  rate?: { burst?: number; perSecond?: number } | false;
  /**
   * Per-IP connection rate. Default: twice the request rate, off when `rate` is `false`;
   * `false` turns it off.
   */
  connectionRate?: { burst?: number; perSecond?: number } | false;
  /** Open connections per IP. Default 32. */
  maxConnectionsPerIp?: number;
  /** Open connections in total. Default 1024. */
  maxConnections?: number;
  /** Bans for repeat offenders (same defaults as limits.ts); `false` turns them off. */
  ban?: { after?: number; windowSeconds?: number; seconds?: number; maxSeconds?: number } | false;
  /** Hash table slots (client IPs tracked at once). Default 16384. */
  slots?: number;
}

/** Why {@linkcode SharedLimitTable.open} refused a connection. */
export type SharedRefusal = "banned" | "per-ip" | "global" | "rate";

const PROBE = 16;
// Int32 fields per slot.
const I_USED = 0;
const I_KEY_A = 1;
const I_KEY_B = 2;
const I_OPEN = 3;
const I_STRIKES = 4;
const I_BANS = 5;
const INTS = 6;
// Float64 fields per slot.
const F_TOKENS = 0;
const F_AT = 1;
const F_WINDOW = 2;
const F_UNTIL = 3;
const F_CONN_TOKENS = 4;
const F_CONN_AT = 5;
const FLOATS = 6;
// Control words.
const C_LOCK = 0;
const C_TOTAL = 1;
const CONTROL = 2;

function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 5381;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = (Math.imul(b, 33) + c) | 0;
  }
  return [a | 0, b | 0];
}

/**
 * The shared table. Create it once with {@linkcode SharedLimitTable.create}, post
 * {@linkcode buffer} and the options to each worker, and attach there with
 * {@linkcode SharedLimitTable.attach}.
 *
 * @example
 * ```ts
 * import { SharedLimitTable } from "./shared_limits.ts";
 * import assert from "node:assert/strict";
 * const table = SharedLimitTable.create({ maxConnectionsPerIp: 1 });
 * const other = SharedLimitTable.attach(table.buffer, { maxConnectionsPerIp: 1 });
 * assert.equal(table.open("10.0.0.1"), undefined);
 * assert.equal(other.open("10.0.0.1"), "per-ip"); // one limit, seen from both sides
 * table.close("10.0.0.1");
 * ```
 */
export class SharedLimitTable {
  /** The shared memory: post it to workers. */
  readonly buffer: SharedArrayBuffer;
  /** Open connections allowed per IP. */
  readonly maxConnectionsPerIp: number;
  /** Open connections allowed in total. */
  readonly maxConnections: number;
  #control: Int32Array;
  #ints: Int32Array;
  #floats: Float64Array;
  #slots: number;
  #burst: number;
  #perSecond: number;
  #rate: boolean;
  #connBurst: number;
  #connPerSecond: number;
  #connRate: boolean;
  #ban: boolean;
  #banAfter: number;
  #windowMs: number;
  #firstBanMs: number;
  #maxBanMs: number;
  #now: () => number;

  private constructor(
    buffer: SharedArrayBuffer,
    options: SharedLimitOptions,
    now: () => number,
  ) {
    this.#slots = slotsOf(options);
    const floatBytes = this.#slots * FLOATS * 8;
    const intBytes = (CONTROL + this.#slots * INTS) * 4;
    if (buffer.byteLength !== floatBytes + intBytes) {
      throw new RangeError("Shared limit buffer does not match the options' slot count");
    }
    this.buffer = buffer;
    this.#floats = new Float64Array(buffer, 0, this.#slots * FLOATS);
    this.#control = new Int32Array(buffer, floatBytes, CONTROL);
    this.#ints = new Int32Array(buffer, floatBytes + CONTROL * 4, this.#slots * INTS);
    this.maxConnectionsPerIp = options.maxConnectionsPerIp ?? 32;
    this.maxConnections = options.maxConnections ?? 1024;
    this.#rate = options.rate !== false;
    const rate = options.rate === false ? {} : options.rate ?? {};
    this.#burst = rate.burst ?? 20;
    this.#perSecond = rate.perSecond ?? 2;
    if (this.#rate && (!(this.#burst >= 1) || !(this.#perSecond > 0))) {
      throw new RangeError("Rate limit needs burst >= 1 and perSecond > 0");
    }
    const connRate = options.connectionRate ?? defaultConnectionRate(options.rate);
    this.#connRate = connRate !== false;
    const derived = defaultConnectionRate(rate);
    this.#connBurst = (connRate === false ? undefined : connRate.burst) ??
      (derived === false ? 1 : derived.burst);
    this.#connPerSecond = (connRate === false ? undefined : connRate.perSecond) ??
      (derived === false ? 1 : derived.perSecond);
    if (this.#connRate && (!(this.#connBurst >= 1) || !(this.#connPerSecond > 0))) {
      throw new RangeError("Connection rate limit needs burst >= 1 and perSecond > 0");
    }
    this.#ban = options.ban !== false;
    const ban = options.ban === false ? {} : options.ban ?? {};
    this.#banAfter = ban.after ?? 20;
    this.#windowMs = (ban.windowSeconds ?? 60) * 1000;
    this.#firstBanMs = (ban.seconds ?? 60) * 1000;
    this.#maxBanMs = (ban.maxSeconds ?? 86_400) * 1000;
    this.#now = now;
  }

  /** Allocates a new table. `now` is the clock in ms (tests). */
  static create(options: SharedLimitOptions = {}, now: () => number = Date.now): SharedLimitTable {
    const slots = slotsOf(options);
    const buffer = new SharedArrayBuffer(slots * FLOATS * 8 + (CONTROL + slots * INTS) * 4);
    return new SharedLimitTable(buffer, options, now);
  }

  /** Uses a table created elsewhere (same options). */
  static attach(
    buffer: SharedArrayBuffer,
    options: SharedLimitOptions = {},
    now: () => number = Date.now,
  ): SharedLimitTable {
    return new SharedLimitTable(buffer, options, now);
  }

  /** Open connections now, over every worker. */
  get openConnections(): number {
    return Atomics.load(this.#control, C_TOTAL);
  }

  /** Admits a connection from `ip`, or says why not. Call {@linkcode close} when it ends. */
  open(ip: string): SharedRefusal | undefined {
    return this.#locked(() => {
      const now = this.#now();
      const slot = this.#slot(ip, now, true);
      if (slot >= 0 && this.#ban && this.#floats[slot * FLOATS + F_UNTIL] > now) return "banned";
      if (this.#control[C_TOTAL] >= this.maxConnections) return "global";
      if (slot >= 0) {
        const i = slot * INTS + I_OPEN;
        if (this.#ints[i] >= this.maxConnectionsPerIp) return "per-ip";
        if (this.#connRate && !this.#takeConnection(slot, now)) {
          if (this.#ban) this.#strike(slot, now);
          return "rate";
        }
        this.#ints[i]++;
      }
      this.#control[C_TOTAL]++;
      return undefined;
    });
  }

  /** Forgets a connection admitted by {@linkcode open}. */
  close(ip: string): void {
    this.#locked(() => {
      const slot = this.#slot(ip, this.#now(), false);
      if (slot >= 0 && this.#ints[slot * INTS + I_OPEN] > 0) this.#ints[slot * INTS + I_OPEN]--;
      if (this.#control[C_TOTAL] > 0) this.#control[C_TOTAL]--;
    });
  }

  /** Takes a request token for `ip`: 0 when allowed, else the whole seconds to wait (≥ 1). */
  takeRequest(ip: string): number {
    if (!this.#rate) return 0;
    return this.#locked(() => {
      const now = this.#now();
      const slot = this.#slot(ip, now, true);
      if (slot < 0) return 0;
      const f = slot * FLOATS;
      const tokens = Math.min(
        this.#burst,
        this.#floats[f + F_TOKENS] + ((now - this.#floats[f + F_AT]) / 1000) * this.#perSecond,
      );
      this.#floats[f + F_AT] = now;
      if (tokens >= 1) {
        this.#floats[f + F_TOKENS] = tokens - 1;
        return 0;
      }
      this.#floats[f + F_TOKENS] = tokens;
      if (this.#ban) this.#strike(slot, now);
      return Math.max(1, Math.ceil((1 - tokens) / this.#perSecond));
    });
  }

  /** Seconds left of `ip`'s ban, 0 when not banned. */
  bannedFor(ip: string): number {
    return this.#locked(() => {
      const now = this.#now();
      const slot = this.#slot(ip, now, false);
      if (slot < 0) return 0;
      const until = this.#floats[slot * FLOATS + F_UNTIL];
      return until > now ? Math.ceil((until - now) / 1000) : 0;
    });
  }

  /** Takes a connection token from `slot`'s bucket; false when it is empty. */
  #takeConnection(slot: number, now: number): boolean {
    const f = slot * FLOATS;
    const tokens = Math.min(
      this.#connBurst,
      this.#floats[f + F_CONN_TOKENS] +
        ((now - this.#floats[f + F_CONN_AT]) / 1000) * this.#connPerSecond,
    );
    this.#floats[f + F_CONN_AT] = now;
    const ok = tokens >= 1;
    this.#floats[f + F_CONN_TOKENS] = ok ? tokens - 1 : tokens;
    return ok;
  }

  #strike(slot: number, now: number): void {
    const i = slot * INTS;
    const f = slot * FLOATS;
    if (now - this.#floats[f + F_WINDOW] >= this.#windowMs) {
      this.#floats[f + F_WINDOW] = now;
      this.#ints[i + I_STRIKES] = 0;
    }
    if (++this.#ints[i + I_STRIKES] < this.#banAfter) return;
    this.#ints[i + I_STRIKES] = 0;
    const length = Math.min(this.#maxBanMs, this.#firstBanMs * 2 ** this.#ints[i + I_BANS]);
    this.#ints[i + I_BANS]++;
    this.#floats[f + F_UNTIL] = now + length;
  }

  /** Whether a slot holds nothing worth keeping at `now`. */
  #idle(slot: number, now: number): boolean {
    const i = slot * INTS;
    const f = slot * FLOATS;
    if (this.#ints[i + I_USED] === 0) return true;
    if (this.#ints[i + I_OPEN] > 0) return false;
    const refilled = this.#floats[f + F_TOKENS] +
      ((now - this.#floats[f + F_AT]) / 1000) * this.#perSecond;
    if (this.#rate && refilled < this.#burst) return false;
    const connRefilled = this.#floats[f + F_CONN_TOKENS] +
      ((now - this.#floats[f + F_CONN_AT]) / 1000) * this.#connPerSecond;
    if (this.#connRate && connRefilled < this.#connBurst) return false;
    const until = this.#floats[f + F_UNTIL];
    if (until > now) return false;
    // Ban history is kept for a quiet period so that bans still grow.
    if (this.#ints[i + I_BANS] > 0 && now - until <= this.#maxBanMs) return false;
    if (this.#ints[i + I_STRIKES] > 0 && now - this.#floats[f + F_WINDOW] < this.#windowMs) {
      return false;
    }
    return true;
  }

  /** The slot of `ip`, inserting it when `insert`; -1 when absent (or no slot is free). */
  #slot(ip: string, now: number, insert: boolean): number {
    const [a, b] = hashes(ip);
    const start = (a >>> 0) % this.#slots;
    let free = -1;
    for (let k = 0; k < PROBE; k++) {
      const slot = (start + k) % this.#slots;
      const i = slot * INTS;
      if (
        this.#ints[i + I_USED] === 1 && this.#ints[i + I_KEY_A] === a &&
        this.#ints[i + I_KEY_B] === b
      ) {
        return slot;
      }
      if (free < 0 && insert && this.#idle(slot, now)) free = slot;
    }
    if (free < 0) return -1;
    const i = free * INTS;
    const f = free * FLOATS;
    this.#ints.fill(0, i, i + INTS);
    this.#ints[i + I_USED] = 1;
    this.#ints[i + I_KEY_A] = a;
    this.#ints[i + I_KEY_B] = b;
    this.#floats[f + F_TOKENS] = this.#burst;
    this.#floats[f + F_AT] = now;
    this.#floats[f + F_WINDOW] = now;
    this.#floats[f + F_UNTIL] = 0;
    this.#floats[f + F_CONN_TOKENS] = this.#connBurst;
    this.#floats[f + F_CONN_AT] = now;
    return free;
  }

  #locked<T>(fn: () => T): T {
    // The critical sections are a few array accesses: spin, yielding the CPU now and then.
    for (let spins = 0; Atomics.compareExchange(this.#control, C_LOCK, 0, 1) !== 0; spins++) {
      if (spins > 1000) Atomics.wait(this.#control, C_LOCK, 1, 1);
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.#control, C_LOCK, 0);
      Atomics.notify(this.#control, C_LOCK, 1);
    }
  }
}

function slotsOf(options: SharedLimitOptions): number {
  const slots = options.slots ?? 16_384;
  if (!Number.isInteger(slots) || slots < PROBE || slots > 1 << 22) {
    throw new RangeError(`Shared limit table needs between ${PROBE} and ${1 << 22} slots`);
  }
  return slots;
}

/**
 * {@linkcode Limits} backed by a {@linkcode SharedLimitTable}: pass it as `limits` to
 * `serve()` in every worker and the caps, rate limit and bans hold across all of them.
 *
 * @example
 * ```ts
 * import { SharedLimits, SharedLimitTable } from "./shared_limits.ts";
 * import assert from "node:assert/strict";
 * const table = SharedLimitTable.create({ maxConnectionsPerIp: 1 });
 * const a = new SharedLimits(table);
 * const b = new SharedLimits(SharedLimitTable.attach(table.buffer, { maxConnectionsPerIp: 1 }));
 * assert.equal(a.open("10.0.0.1"), undefined);
 * assert.equal(b.open("10.0.0.1"), "per-ip");
 * ```
 */
export class SharedLimits extends Limits {
  /** The shared table. */
  readonly table: SharedLimitTable;
  /** Connections this side admitted and has not closed yet, per address. */
  #held = new Map<string, number>();

  /** Limits that read and write `table`. */
  constructor(table: SharedLimitTable) {
    super({
      rate: false,
      connectionRate: false,
      ban: false,
      maxConnections: table.maxConnections,
      maxConnectionsPerIp: table.maxConnectionsPerIp,
    });
    this.table = table;
  }

  /** Open connections now, over every worker. */
  override get openConnections(): number {
    return this.table.openConnections;
  }

  /** Admits a new connection from `ip`, or says why not. */
  override open(ip: string): SharedRefusal | undefined {
    const refused = this.table.open(ip);
    if (refused === undefined) this.#held.set(ip, (this.#held.get(ip) ?? 0) + 1);
    return refused;
  }

  /** Forgets a connection admitted by {@linkcode open}. */
  override close(ip: string): void {
    const held = this.#held.get(ip);
    if (held === undefined) return; // released already (or never admitted here)
    if (held <= 1) this.#held.delete(ip);
    else this.#held.set(ip, held - 1);
    this.table.close(ip);
  }

  /**
   * Gives back to the table every connection this side admitted and has not closed: a worker
   * that is about to be terminated (recycled, or stopped) may still hold connections its
   * runtime cannot close (an idle `Deno.listenTls` client), and counts left in the shared
   * table would shrink `maxConnections` for every other worker for good. Later closes of
   * those connections are ignored. Returns how many were given back.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SharedLimits, SharedLimitTable } from "./shared_limits.ts";
   * const table = SharedLimitTable.create({ maxConnections: 2 });
   * const leaving = new SharedLimits(table);
   * leaving.open("10.0.0.1");
   * leaving.open("10.0.0.2");
   * assert.equal(table.openConnections, 2);
   * assert.equal(leaving.releaseAll(), 2);
   * assert.equal(table.openConnections, 0);
   * leaving.close("10.0.0.1"); // the connection ends later: not counted twice
   * assert.equal(table.openConnections, 0);
   * ```
   */
  releaseAll(): number {
    let n = 0;
    for (const [ip, count] of this.#held) {
      for (let i = 0; i < count; i++) this.table.close(ip);
      n += count;
    }
    this.#held.clear();
    return n;
  }

  /** Takes a request token for `ip`: 0 when allowed, else the seconds to wait. */
  override takeRequest(ip: string): number {
    return this.table.takeRequest(ip);
  }
}

/** The shared-table form of {@linkcode LimitsOptions} (the clock is left out). */
export function sharedLimitOptions(options: LimitsOptions = {}): SharedLimitOptions {
  return {
    rate: options.rate,
    connectionRate: options.connectionRate,
    ban: options.ban,
    maxConnections: options.maxConnections,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
  };
}
