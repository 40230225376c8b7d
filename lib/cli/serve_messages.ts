/**
 * What the `gemini serve` supervisor and its workers say to each other. Kept apart from
 * both so that each loads only what it needs.
 *
 * @module
 */

import type { ServerConfig } from "../server/config/mod.ts";
import type { ServedCertificate, ServerStats } from "../server/server.ts";
import type { SharedLimitOptions } from "../server/shared_limits.ts";
import type { Address } from "../tls/connection.ts";
import type { ServerCertificate } from "../tls/listen.ts";
import type { SiteFiles } from "../server/site.ts";
import type { CgiRunKill } from "../server/cgi.ts";

/** The Web Worker name of a serve worker. */
export const SERVE_WORKER_NAME = "gemini-serve-worker";

/** The first message to a serve worker. */
export interface WorkerStart {
  type: "start";
  /** The validated configuration (the worker reads no file of it). */
  config: ServerConfig;
  /** The data directory (certificates). */
  dataDir: string;
  /** The hosts' certificates, checked and read (or generated) by the supervisor. */
  certificates: ServerCertificate[];
  /** The configuration's other files, checked and read by the supervisor. */
  files: SiteFiles;
  /** The shared limit table. */
  buffer: SharedArrayBuffer;
  /** Its options. */
  limits: SharedLimitOptions;
  /** Ports to bind instead of the configured ones (the first worker's real ports). */
  ports?: number[];
  /** Whether to share the ports (SO_REUSEPORT) with other workers. */
  reusePort: boolean;
  /** TLS backend to use instead of the configured one. */
  backend?: "node" | "deno";
  /** How often to report {@linkcode WorkerStats}, ms. */
  statsIntervalMs: number;
}

/** The other messages to a serve worker. */
export type SupervisorMessage =
  | WorkerStart
  | { type: "reload"; config: ServerConfig; certificates: ServerCertificate[]; files: SiteFiles }
  | { type: "shutdown"; deadlineMs: number }
  | { type: "retire"; deadlineMs: number };

/** Start-up information a worker reports. */
export interface WorkerReady {
  /** The bound addresses. */
  addrs: Address[];
  /** The certificates served. */
  certificates: ServedCertificate[];
  /** Every name served. */
  hosts: string[];
  /** The TLS backend of each listener, in the order of `addrs`. */
  backends: ("node" | "deno")[];
}

/** What a worker reports every few seconds. */
export interface WorkerStats extends ServerStats {
  /** JavaScript heap in use by the worker's isolate, bytes. */
  heapUsed: number;
}

/** What a serve worker posts back. */
export type WorkerMessage =
  | { type: "line"; stream: "stdout" | "stderr"; line: string }
  | { type: "ready"; ready: WorkerReady }
  | { type: "stats"; stats: WorkerStats }
  | { type: "error"; message: string }
  | { type: "stopped" }
  | { type: "reloaded" }
  | { type: "reload-failed"; message: string }
  /** The worker cannot apply the reload in place; it asks to be replaced. */
  | { type: "replace" }
  /** A retiring worker has closed its listeners (it accepts nothing more). */
  | { type: "unlistened" }
  /** End a CGI run (a sandboxed worker may not signal processes). */
  | { type: "kill-cgi"; run: CgiRunKill };

/**
 * New connections per stats report (one second) that still count as a quiet worker: the
 * supervisor recycles for memory, and a worker collects its garbage, only when it is quiet.
 */
export const QUIET_CONNECTIONS = 8;

/**
 * One full garbage collection that also returns the freed memory to the system, when Deno
 * runs with `--v8-flags=--expose-gc` (./gemini, `make serve` and the compiled binaries pass
 * it); else nothing. Used by the supervisor and its workers after start-up and floods.
 */
export function collectGarbage(): void {
  gcFunction()?.({ type: "major", execution: "sync", flavor: "last-resort" });
}

/** V8's `gc()` when `--expose-gc` exposes it. */
export function gcFunction(): ((options?: unknown) => void) | undefined {
  return (globalThis as { gc?: (options?: unknown) => void }).gc;
}
