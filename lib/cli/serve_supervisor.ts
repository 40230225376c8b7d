/**
 * The supervisor of `gemini serve`: runs the server in N Web Workers that share the ports
 * (SO_REUSEPORT) and one limit table in shared memory, writes the lines they post, fans a
 * reload out to all of them, and **recycles** them: a worker past a threshold (handshakes
 * that never finished, heap in use, age) is replaced by a fresh one on the same ports, then
 * stops accepting, finishes what it accepted, and is terminated, which frees what the
 * runtime kept for it. With `permissions`, each worker runs with the Deno permissions its
 * configuration needs (README, "Permission sandbox"); a reload that changes them replaces
 * every worker, and the supervisor ends CGI runs for workers that may not signal processes.
 *
 * @module
 */

import type { RecycleConfig, ServerConfig } from "../server/config/mod.ts";
import { DeadlineError, withDeadline } from "../tls/deadline.ts";
import type { Logger } from "../server/logger.ts";
import type { ServerCertificate } from "../tls/listen.ts";
import type { SiteFiles } from "../server/site.ts";
import type { SharedLimitOptions } from "../server/shared_limits.ts";
import type { LineWriter } from "../server/logger.ts";
import type { CgiRunKill } from "../server/cgi.ts";
import {
  QUIET_CONNECTIONS,
  SERVE_WORKER_NAME,
  type SupervisorMessage,
  type WorkerMessage,
  type WorkerReady,
  type WorkerStats,
} from "./serve_messages.ts";

/** Options for {@linkcode Supervisor}. */
export interface SupervisorOptions {
  /** The module the workers run. */
  module: URL;
  /** Workers at once. */
  workers: number;
  /** The data directory (certificates). */
  dataDir: string;
  /** The hosts' certificates, checked and read (or generated). */
  certificates: ServerCertificate[];
  /** The configuration's other files, checked and read (`checkSiteFiles()` of site.ts). */
  files: SiteFiles;
  /** The shared limit table and its options. */
  limits: { buffer: SharedArrayBuffer; options: SharedLimitOptions };
  /** Whether the workers may share their ports (false: one worker, no overlap). */
  reusePort: boolean;
  /** TLS backend to use instead of the configured one. */
  backend?: "node" | "deno";
  /** Where the workers' access-log lines go. */
  access: LineWriter;
  /** Where the workers' error-log lines go. */
  errors: LineWriter;
  /** The supervisor's own events (recycling). */
  logger: Logger;
  /** How often workers report, ms. Default 1000. */
  statsIntervalMs?: number;
  /**
   * The Deno permissions of a worker for a configuration (needs Deno's
   * `--unstable-worker-options`); without it workers get the process's permissions.
   */
  permissions?: (config: ServerConfig) => Promise<Deno.PermissionOptionsObject>;
}

/** One running worker. */
interface Slot {
  /** A number for logs (1, 2, ... in start order, recycled workers get new ones). */
  id: number;
  worker: Worker;
  ready: WorkerReady;
  stats?: WorkerStats;
  /** Consecutive reports with at most {@linkcode QUIET_CONNECTIONS} new connections. */
  quietReports: number;
  /** Set once it is being replaced or stopped. */
  leaving: boolean;
  stopped: Promise<void>;
  onMessage: (message: WorkerMessage) => void;
}

/**
 * Why a worker with `stats` should be recycled under `policy` at `now`, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { recycleReason } from "./serve_supervisor.ts";
 * const policy = { handshakeFailures: 1000, heap: 0, age: 0, minInterval: 10 };
 * const stats = { startedAt: 0, heapUsed: 0, handshakeFailures: 1200 };
 * assert.equal(recycleReason(stats, policy, 60_000), "handshake_failures");
 * assert.equal(recycleReason(stats, policy, 5_000), undefined); // younger than min_interval
 * ```
 */
export function recycleReason(
  stats: Pick<WorkerStats, "startedAt" | "handshakeFailures" | "heapUsed">,
  policy: Pick<RecycleConfig, "heap" | "age" | "minInterval"> & { handshakeFailures: number },
  now: number,
): string | undefined {
  const age = (now - stats.startedAt) / 1000;
  if (age < policy.minInterval) return undefined;
  if (policy.handshakeFailures > 0 && stats.handshakeFailures >= policy.handshakeFailures) {
    return "handshake_failures";
  }
  if (policy.heap > 0 && stats.heapUsed >= policy.heap) return "heap";
  if (policy.age > 0 && age >= policy.age) return "age";
  return undefined;
}

/**
 * `handshake_failures = "auto"` on the deno backend: Deno.listenTls cannot close a client
 * that never starts its handshake, which then keeps a file descriptor until its worker ends.
 */
const DENO_HANDSHAKE_FAILURES = 1000;

/**
 * Quiet reports in a row before a worker may be recycled for memory (after the first one a
 * worker collects its own garbage, when it can: see serve_worker.ts).
 */
const QUIET_REPORTS = 2;

/** How long after its first connection a server is still warming up, by default, ms. */
const WARM_UP_MS = 60_000;

/**
 * The process's resident memory against its size at rest: when a quiet server holds
 * `threshold` bytes more than the least it held at rest (what a flood, a crawl or a load
 * peak left behind), one worker is recycled to give it back. If that does not bring the
 * memory down (the first reading after it, if the server is still quiet), the new level is
 * taken as the size at rest, so it happens once, not in a loop; memory taken while the
 * server was busy again after a recycle is growth and may recycle again at the next rest.
 *
 * A fresh server grows while it serves its first requests (modules loaded on first use,
 * caches filled): that is not growth to give back. So the size at rest is measured again
 * through the warm-up, from the first connection until the first quiet reading
 * `warmUpMs` after it; a busy reading ends the warm-up early (a flood's growth counts).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { MemoryWatch } from "./serve_supervisor.ts";
 * const watch = new MemoryWatch(32, { warmUpMs: 0 });
 * assert.equal(watch.update(100, true, true, 0), false); // warm at the first rest: 100
 * assert.equal(watch.update(140, false, true, 1), false); // busy: never
 * assert.equal(watch.update(140, true, true, 2), true); // quiet, 40 over: recycle
 * watch.recycled();
 * assert.equal(watch.update(139, true, true, 3), false); // it did not help: 139 is the new rest
 * assert.equal(watch.update(175, true, true, 4), true); // quiet again, 36 over the new rest
 * watch.recycled();
 * assert.equal(watch.update(180, false, true, 5), false); // a flood goes on after the recycle
 * assert.equal(watch.update(180, true, true, 6), true); // at rest, 41 over: growth, recycle again
 * ```
 */
export class MemoryWatch {
  #threshold: number;
  #warmUpMs: number;
  #baseline: number | undefined;
  #pending = false;
  /** When the first connection was seen (a reading with `served`). */
  #firstServedAt: number | undefined;
  #warm = false;

  /**
   * A watch that fires `threshold` bytes over the size at rest (0: never), after a warm-up
   * of `options.warmUpMs` (default 60 s) from the first connection.
   */
  constructor(threshold: number, options: { warmUpMs?: number } = {}) {
    this.#threshold = threshold;
    this.#warmUpMs = options.warmUpMs ?? WARM_UP_MS;
  }

  /**
   * Takes a reading at `now` (ms): resident bytes, whether the server is quiet and whether
   * it has served any connection yet. True when a worker should be recycled now.
   */
  update(rss: number, quiet: boolean, served: boolean, now: number): boolean {
    if (this.#threshold <= 0) return false;
    if (served && this.#firstServedAt === undefined) this.#firstServedAt = now;
    if (!quiet) {
      // A flood ends the warm-up: what it leaves is growth over the rest measured so far.
      if (this.#firstServedAt !== undefined) this.#warm = true;
      // Busy before the first quiet reading after a recycle: what it holds at the next rest
      // was taken since, so it is growth, not the recycle's failure to give memory back.
      this.#pending = false;
      return false;
    }
    if (!this.#warm && this.#firstServedAt !== undefined) {
      // Warming up: the first requests' code and caches are part of the size at rest.
      this.#baseline = rss;
      this.#warm = now - this.#firstServedAt >= this.#warmUpMs;
      return false;
    }
    if (this.#pending) {
      // The first quiet reading after a recycle: if it stayed high, that is the new rest.
      this.#pending = false;
      if (rss - this.#baseline! >= this.#threshold / 2) this.#baseline = rss;
    }
    this.#baseline = Math.min(this.#baseline ?? rss, rss);
    return rss - this.#baseline >= this.#threshold;
  }

  /** Says that a recycle for memory has finished. */
  recycled(): void {
    this.#pending = true;
  }
}

/** The workers of one `gemini serve`. */
export class Supervisor {
  #options: SupervisorOptions;
  #config: ServerConfig;
  #certificates: ServerCertificate[];
  #files: SiteFiles;
  #slots: Slot[] = [];
  #nextId = 1;
  #ports: number[] | undefined;
  #stopping = false;
  #recycles = 0;
  #recycling = new Set<Promise<void>>();
  /** Recycles whose replacement does not accept yet (their old worker is still in #slots). */
  #switching = new Set<Promise<void>>();
  /** Reloads, one after the other (SIGHUP and certificate renewals may come together). */
  #reloads: Promise<unknown> = Promise.resolve();
  /** A reload is running: no recycle starts meanwhile (it would miss the new configuration). */
  #reloading = false;
  #memory: MemoryWatch;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #permissions: Deno.PermissionOptionsObject | undefined;

  /** A supervisor for `config` (nothing starts until {@linkcode start}). */
  constructor(config: ServerConfig, options: SupervisorOptions) {
    this.#config = config;
    this.#certificates = options.certificates;
    this.#files = options.files;
    this.#options = options;
    this.#memory = new MemoryWatch(config.recycle.memory);
  }

  /** Workers running now. */
  get workers(): number {
    return this.#slots.length;
  }

  /** Workers recycled so far. */
  get recycles(): number {
    return this.#recycles;
  }

  /** Starts the workers; resolves with what the first one reports. */
  async start(): Promise<WorkerReady> {
    this.#permissions = await this.#options.permissions?.(this.#config);
    // The first worker binds (choosing ports where 0 was asked); the others join its ports.
    const first = await this.#spawn();
    this.#slots.push(first);
    this.#ports = first.ready.addrs.map((a) => a.port);
    const rest = await Promise.all(
      Array.from({ length: this.#options.workers - 1 }, () => this.#spawn()),
    );
    this.#slots.push(...rest);
    this.#ticker = setInterval(() => this.#watchMemory(), this.#options.statsIntervalMs ?? 1000);
    return first.ready;
  }

  /**
   * Sends a validated configuration, with the certificates and files read for it, to every
   * worker; throws when one refuses it. The one way anything new is put into service: a
   * SIGHUP reload, and certificates renewed on disk (the same configuration, new
   * `certificates`). When the configuration needs other permissions (a new root, CGI
   * program or upstream), every worker is replaced by one started with them instead. A
   * worker that cannot apply it in place (its TLS backend cannot change certificates or
   * start asking for client certificates, or a listener should now use another backend) is
   * replaced by one started on the new configuration, like a recycle (reason
   * `options.reason`, default `reload`). `options.permissions` are the workers' permissions
   * for `config` when the caller has them (default: the running ones for the running
   * configuration, else computed). Its listen addresses must be the running ones (changing
   * them needs a restart; the reload keeps them). Resolves with `"recycled"` when a worker
   * was replaced, else `"reloaded"`.
   */
  reload(
    config: ServerConfig,
    site: { certificates: ServerCertificate[]; files: SiteFiles },
    options: { permissions?: Deno.PermissionOptionsObject; reason?: string } = {},
  ): Promise<"reloaded" | "recycled"> {
    return this.#queue(() => this.#reload(config, site, options));
  }

  /**
   * Puts into service the certificates that `read` gives for the configuration running when
   * its turn comes (after any reload before it), with the files read for that configuration:
   * how renewed certificates on disk go into service without mixing in another
   * configuration's hosts.
   */
  reloadCertificates(
    read: (config: ServerConfig, files: SiteFiles) => Promise<ServerCertificate[]>,
    reason: string,
  ): Promise<"reloaded" | "recycled"> {
    return this.#queue(async () => {
      const config = this.#config;
      const files = this.#files;
      return await this.#reload(config, { certificates: await read(config, files), files }, {
        reason,
      });
    });
  }

  /** The configuration running now and the files read for it. */
  get running(): { config: ServerConfig; files: SiteFiles } {
    return { config: this.#config, files: this.#files };
  }

  /** Runs `task` after every reload queued before it. */
  #queue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#reloads.then(async () => {
      this.#reloading = true;
      try {
        // A recycle that began before: its replacement was started on the old configuration
        // and is asked too, once it accepts.
        await Promise.all([...this.#switching]);
        return await task();
      } finally {
        this.#reloading = false;
      }
    });
    this.#reloads = run.catch(() => {});
    return run;
  }

  async #reload(
    config: ServerConfig,
    site: { certificates: ServerCertificate[]; files: SiteFiles },
    options: { permissions?: Deno.PermissionOptionsObject; reason?: string },
  ): Promise<"reloaded" | "recycled"> {
    const permissions = options.permissions ??
      (config === this.#config ? this.#permissions : await this.#options.permissions?.(config));
    if (JSON.stringify(permissions) !== JSON.stringify(this.#permissions)) {
      const previous = { certificates: this.#certificates, files: this.#files };
      this.#certificates = site.certificates;
      this.#files = site.files;
      try {
        await this.#replaceAll(config, permissions);
      } catch (error) {
        this.#certificates = previous.certificates;
        this.#files = previous.files;
        throw error;
      }
      return "recycled";
    }
    const previous = { config: this.#config, certificates: this.#certificates, files: this.#files };
    this.#config = config;
    this.#certificates = site.certificates;
    this.#files = site.files;
    const slots = [...this.#slots];
    const answers = await Promise.all(slots.map((slot) => this.#ask(slot, config)));
    const failed = answers.find((m) => m.type === "reload-failed");
    if (failed?.type === "reload-failed") {
      // Workers started later (recycles) get the configuration that still runs.
      this.#config = previous.config;
      this.#certificates = previous.certificates;
      this.#files = previous.files;
      throw new Error(failed.message);
    }
    const replaced = slots.filter((slot, i) => answers[i].type === "replace" && !slot.leaving);
    // Resolves once every replacement accepts and the worker it replaces no longer does.
    await Promise.all(replaced.map((slot) => this.#startRecycle(slot, options.reason ?? "reload")));
    return replaced.length > 0 ? "recycled" : "reloaded";
  }

  /** Shuts every worker down (41 to waiting clients, requests in flight finish). */
  async shutdown(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#ticker);
    await Promise.all([...this.#recycling]);
    const slots = this.#slots.splice(0);
    for (const slot of slots) this.#post(slot, { type: "shutdown", deadlineMs });
    await settle(Promise.all(slots.map((s) => s.stopped)), deadlineMs + 3000);
    for (const slot of slots) slot.worker.terminate();
  }

  /**
   * Starts a worker for `config` with `permissions` in place of each running one, then
   * retires the old ones; when one cannot start, the new ones are ended and the old ones
   * keep running with the old configuration (and this throws).
   */
  async #replaceAll(
    config: ServerConfig,
    permissions: Deno.PermissionOptionsObject | undefined,
  ): Promise<void> {
    if (!this.#options.reusePort) {
      throw new Error("the configuration needs other permissions: restart to apply it");
    }
    await Promise.all([...this.#recycling]);
    const previous = { config: this.#config, permissions: this.#permissions };
    this.#config = config;
    this.#permissions = permissions;
    const started = await Promise.allSettled(this.#slots.map(() => this.#spawn()));
    const failed = started.find((r) => r.status === "rejected");
    if (failed) {
      for (const r of started) if (r.status === "fulfilled") r.value.worker.terminate();
      this.#config = previous.config;
      this.#permissions = previous.permissions;
      throw (failed as PromiseRejectedResult).reason;
    }
    const fresh = started.map((r) => (r as PromiseFulfilledResult<Slot>).value);
    const old = this.#slots.splice(0, this.#slots.length, ...fresh);
    const deadlineMs = (config.requestTimeout + config.responseTimeout) * 1000;
    const retired = Promise.all(old.map((slot) => this.#retire(slot, deadlineMs).ended));
    this.#options.logger.info("workers replaced for new permissions", { workers: old.length });
    const task: Promise<void> = retired.then(() => {}).finally(() => this.#recycling.delete(task));
    this.#recycling.add(task);
  }

  #spawn(): Promise<Slot> {
    const options = this.#options;
    const permissions = this.#permissions;
    return new Promise<Slot>((resolve, reject) => {
      const worker = new Worker(options.module, {
        type: "module",
        name: SERVE_WORKER_NAME,
        ...(permissions ? { deno: { permissions } } : {}),
      });
      let onStopped!: () => void;
      const stopped = new Promise<void>((r) => (onStopped = r));
      const slot = { id: this.#nextId++, worker, leaving: false, stopped, quietReports: 0 } as Slot;
      slot.onMessage = () => {};
      worker.onmessage = (event: MessageEvent<WorkerMessage>): void => {
        const m = event.data;
        if (m.type === "line") {
          (m.stream === "stdout" ? options.access : options.errors).write(m.line);
        } else if (m.type === "ready") {
          slot.ready = m.ready;
          resolve(slot);
        } else if (m.type === "error") reject(new Error(m.message));
        else if (m.type === "stopped") onStopped();
        else if (m.type === "stats") this.#onStats(slot, m.stats);
        else if (m.type === "kill-cgi") void killCgiRun(m.run);
        else slot.onMessage(m);
      };
      worker.onerror = (event: ErrorEvent): void => {
        event.preventDefault();
        onStopped();
        reject(new Error(event.message));
      };
      this.#post(slot, {
        type: "start",
        config: this.#config,
        dataDir: options.dataDir,
        certificates: this.#certificates,
        files: this.#files,
        buffer: options.limits.buffer,
        limits: options.limits.options,
        ports: this.#ports,
        reusePort: options.reusePort,
        backend: options.backend,
        statsIntervalMs: options.statsIntervalMs ?? 1000,
      });
    });
  }

  #post(slot: { worker: Worker }, message: SupervisorMessage): void {
    slot.worker.postMessage(message);
  }

  #ask(slot: Slot, config: ServerConfig): Promise<WorkerMessage> {
    return new Promise<WorkerMessage>((resolve) => {
      slot.onMessage = (m) => {
        if (m.type !== "reloaded" && m.type !== "reload-failed" && m.type !== "replace") return;
        slot.onMessage = () => {};
        resolve(m);
      };
      this.#post(slot, {
        type: "reload",
        config,
        certificates: this.#certificates,
        files: this.#files,
      });
    });
  }

  #onStats(slot: Slot, stats: WorkerStats): void {
    if (!this.#slots.includes(slot) || slot.leaving || this.#stopping) return;
    const fresh = connectionsOf(stats) - (slot.stats ? connectionsOf(slot.stats) : 0);
    slot.quietReports = fresh <= QUIET_CONNECTIONS ? slot.quietReports + 1 : 0;
    slot.stats = stats;
    const reason = recycleReason(stats, this.#policy(slot), Date.now());
    // During a reload a recycle waits for a later report.
    if (reason !== undefined && !this.#reloading) this.#startRecycle(slot, reason);
  }

  /** The thresholds for `slot`, with `"auto"` resolved for its backend. */
  #policy(slot: Slot): Parameters<typeof recycleReason>[1] {
    const { recycle } = this.#config;
    const auto = slot.ready.backends.includes("deno") ? DENO_HANDSHAKE_FAILURES : 0;
    return {
      ...recycle,
      handshakeFailures: recycle.handshakeFailures === "auto" ? auto : recycle.handshakeFailures,
    };
  }

  /** Recycles a worker for memory when the server is quiet and holds too much. */
  #watchMemory(): void {
    if (this.#stopping || this.#reloading || this.#recycling.size > 0) return;
    const quiet = this.#slots.every((s) => s.quietReports >= QUIET_REPORTS);
    const served = this.#slots.some((s) => s.stats && connectionsOf(s.stats) > 0);
    if (!this.#memory.update(Deno.memoryUsage().rss, quiet, served, Date.now())) return;
    // No min_interval here: this fires only at rest, and once per growth (MemoryWatch).
    const candidates = this.#slots.filter((s) => s.stats);
    if (candidates.length === 0) return;
    const biggest = candidates.reduce((a, b) => (b.stats!.heapUsed > a.stats!.heapUsed ? b : a));
    this.#startRecycle(biggest, "memory", () => this.#memory.recycled());
  }

  /**
   * Starts replacing `slot`; resolves once the replacement accepts and `slot` no longer
   * does (or the replacement failed to start), while `slot` may still finish its requests.
   */
  #startRecycle(slot: Slot, reason: string, then?: () => void): Promise<void> {
    if (!this.#options.reusePort) return Promise.resolve();
    slot.leaving = true;
    let switched!: () => void;
    const done = new Promise<void>((resolve) => (switched = resolve));
    const task = this.#recycle(slot, reason, switched).finally(() => {
      switched();
      this.#recycling.delete(task);
      then?.();
    });
    this.#recycling.add(task);
    const switching = done.finally(() => this.#switching.delete(switching));
    this.#switching.add(switching);
    return done;
  }

  /**
   * Tells `slot` to stop accepting and finish its requests within `deadlineMs`: `unlistened`
   * once it no longer accepts (at most 2 s), `ended` once it finished (or the deadline and a
   * grace passed) and was terminated.
   */
  #retire(slot: Slot, deadlineMs: number): { unlistened: Promise<void>; ended: Promise<void> } {
    slot.leaving = true;
    const unlistened = new Promise<void>((resolve) => {
      slot.onMessage = (m) => {
        if (m.type === "unlistened") resolve();
      };
    });
    this.#post(slot, { type: "retire", deadlineMs });
    return {
      unlistened: settle(unlistened, 2000),
      ended: settle(slot.stopped, deadlineMs + 3000).then(() => slot.worker.terminate()),
    };
  }

  /**
   * Replaces `old`: the new worker accepts first, then `old` stops accepting (`switched`
   * is called), finishes and is terminated.
   */
  async #recycle(old: Slot, reason: string, switched: () => void): Promise<void> {
    const { logger } = this.#options;
    const stats = old.stats;
    const started = Date.now();
    logger.info("recycling worker", {
      worker: old.id,
      reason,
      handshake_failures: stats?.handshakeFailures,
      heap_mib: stats && Math.round(stats.heapUsed / 1048576),
      age_s: stats && Math.round((started - stats.startedAt) / 1000),
      accepted: stats?.accepted,
    });
    let next: Slot;
    try {
      next = await this.#spawn();
    } catch (error) {
      old.leaving = false;
      logger.error("cannot start a replacement worker; keeping the old one", {
        worker: old.id,
        reason: (error as Error).message,
      });
      return;
    }
    this.#slots[this.#slots.indexOf(old)] = next;
    const deadlineMs = (this.#config.requestTimeout + this.#config.responseTimeout) * 1000;
    const { unlistened, ended } = this.#retire(old, deadlineMs);
    await unlistened;
    switched();
    await ended;
    this.#recycles++;
    logger.info("worker recycled", {
      worker: old.id,
      replacement: next.id,
      reason,
      took_ms: Date.now() - started,
    });
  }
}

/** Ends a CGI run for a worker (cgi.ts is loaded only when a worker asks). */
async function killCgiRun(run: CgiRunKill): Promise<void> {
  (await import("../server/cgi.ts")).killCgiRun(run);
}

/** Connections a worker has seen, admitted or not. */
function connectionsOf(stats: WorkerStats): number {
  return stats.accepted + stats.refused;
}

/** Waits for `promise` for at most `ms`. */
async function settle(promise: Promise<unknown>, ms: number): Promise<void> {
  try {
    await withDeadline(promise, { at: Date.now() + ms });
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
  }
}
