/**
 * One worker of `gemini serve`, run as a Web Worker: builds the site of the configuration
 * the supervisor sends, serves on the shared ports (SO_REUSEPORT) with the shared limit
 * table, reports its counters every few seconds, and posts its log lines back. It stops in
 * one of two ways: `shutdown` (answer waiting clients 41, finish requests in flight) or
 * `retire` (finish everything accepted, while a replacement accepts the new connections).
 *
 * @module
 */

import { AccessLog } from "../server/access_log.ts";
import { DEFAULT_CAPSULE } from "../server/default_capsule.ts";
import { createLogger, type LineWriter } from "../server/logger.ts";
import { type RunningServer, serve } from "../server/server.ts";
import { SharedLimits, SharedLimitTable } from "../server/shared_limits.ts";
import { buildSite, certificateDirFor, serveOptions, type SiteFiles } from "../server/site.ts";
import type { ServerConfig } from "../server/config/types.ts";
import type { ServerCertificate } from "../tls/listen.ts";
import {
  collectGarbage,
  gcFunction,
  QUIET_CONNECTIONS,
  type SupervisorMessage,
  type WorkerMessage,
  type WorkerStart,
} from "./serve_messages.ts";

const scope = self as unknown as {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
};

/** Posts lines to the main thread in batches (one message per batch, not per line). */
function writer(stream: "stdout" | "stderr", delayMs: number): LineWriter & { flush(): void } {
  let pending: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    scope.postMessage({ type: "line", stream, line: pending.join("") });
    pending = [];
  };
  return {
    write(line: string): void {
      pending.push(line);
      if (pending.length >= 256) flush();
      else timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}

const errors = writer("stderr", 0);
const access = writer("stdout", 20);

let server: RunningServer | undefined;
let started: WorkerStart | undefined;
let runningCertificates = "";
let statsTimer: ReturnType<typeof setInterval> | undefined;
/** The worker's side of the shared limits: what it still holds is given back before it ends. */
let sharedLimits: SharedLimits | undefined;

async function site(
  config: ServerConfig,
  dataDir: string,
  certificates: ServerCertificate[],
  files: SiteFiles,
): ReturnType<typeof buildSite> {
  if (config.hosts.some((h) => h.locations.some((l) => l.cgi))) {
    // Deno.kill needs an unrestricted `run` permission, which a sandboxed worker lacks.
    (await import("../server/cgi.ts")).setCgiKiller((run) =>
      scope.postMessage({ type: "kill-cgi", run })
    );
  }
  return await buildSite(config, {
    certificates,
    files,
    certificateDir: certificateDirFor(dataDir),
    defaultContent: DEFAULT_CAPSULE,
    logger: createLogger(errors, { format: config.logFormat }),
  });
}

async function start(message: WorkerStart): Promise<void> {
  const config = message.config;
  if (message.ports) {
    config.listen = config.listen.map((a, i) => ({ ...a, port: message.ports![i] ?? a.port }));
  }
  if (message.backend) config.backend = message.backend;
  const logger = createLogger(errors, { format: config.logFormat });
  const accessLog = new AccessLog(access, { format: config.logFormat, omitIp: !config.logIp });
  // The site's own log lines (CGI, proxy, Titan, access control) go to the error log too.
  const built = await site(config, message.dataDir, message.certificates, message.files);
  started = message;
  runningCertificates = JSON.stringify(built.certificates);
  const running = await serve({
    ...serveOptions(config, built),
    logger,
    accessLog,
    limits: sharedLimits = new SharedLimits(
      SharedLimitTable.attach(message.buffer, message.limits),
    ),
    reusePort: message.reusePort,
  });
  server = running;
  scope.postMessage({
    type: "ready",
    ready: {
      addrs: running.addrs,
      certificates: running.certificates,
      hosts: built.hosts,
      backends: running.backends,
    },
  });
  // What building the site left behind goes back to the system now, not at the first flood.
  collectGarbage();
  const settle = settler();
  statsTimer = setInterval(() => {
    const stats = running.stats();
    settle(stats.accepted + stats.refused);
    scope.postMessage({
      type: "stats",
      stats: { ...stats, heapUsed: Deno.memoryUsage().heapUsed },
    });
  }, message.statsIntervalMs);
}

/** Connections in a burst after which a worker that has gone quiet collects its garbage. */
const SETTLE_AFTER = 200;

/**
 * Gives memory back once a burst of connections (a flood, a crawl, a load peak) has
 * passed: on the first quiet second after it, one full garbage collection that also
 * releases the freed memory to the system. Left alone, V8 keeps what a flood of
 * connections left behind for minutes (measured: a connect flood of 64,000 connections
 * left 90 MiB 10 s later; with this, 19 MiB). Needs `--v8-flags=--expose-gc`, which
 * ./gemini, `make serve` and the compiled binaries pass; without it nothing happens here
 * and the supervisor's memory recycling does the job, more slowly. Fed the running count of
 * connections once per stats interval.
 */
function settler(): (connections: number) => void {
  const gc = gcFunction();
  let last = 0;
  let burst = 0;
  return (connections: number): void => {
    const fresh = connections - last;
    last = connections;
    if (!gc) return;
    if (fresh > QUIET_CONNECTIONS) {
      burst += fresh;
    } else if (burst >= SETTLE_AFTER) {
      burst = 0;
      collectGarbage();
    }
  };
}

/**
 * Applies a new configuration to new connections (SIGHUP). Returns `"replace"` instead when
 * a listener's TLS backend cannot take it (the deno backend changes neither certificates
 * nor whether it asks for client certificates) or the configuration wants another backend
 * on a listener: the supervisor then replaces this worker by one started on it.
 */
async function reload(
  config: ServerConfig,
  given: ServerCertificate[],
  files: SiteFiles,
): Promise<"done" | "replace"> {
  if (!server || !started) throw new Error("the worker has not started");
  if (started.backend) config.backend = started.backend;
  const built = await site(config, started.dataDir, given, files);
  const certificates = JSON.stringify(built.certificates);
  const wanted = serveOptions(config, built).listen!.map((a) => a.backend);
  const running = server.backends;
  if (
    wanted.some((b, i) => b !== running[i]) ||
    (running.includes("deno") && certificates !== runningCertificates)
  ) return "replace";
  server.reload({
    handler: built.handler,
    hosts: built.hosts,
    schemes: built.schemes,
    certificates: certificates === runningCertificates ? undefined : built.certificates,
    requestClientCertificate: built.requestClientCertificate,
  });
  runningCertificates = certificates;
  return "done";
}

function stop(how: Promise<void>): void {
  clearInterval(statsTimer);
  how.finally(() => {
    // The supervisor terminates this worker next: connections it still holds (idle clients
    // the deno backend cannot close) must not keep their places in the shared caps.
    sharedLimits?.releaseAll();
    access.flush();
    errors.flush();
    scope.postMessage({ type: "stopped" });
  });
}

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as SupervisorMessage;
  if (message.type === "start") {
    start(message).catch((error) =>
      scope.postMessage({ type: "error", message: (error as Error).message })
    );
  } else if (message.type === "reload") {
    reload(message.config, message.certificates, message.files).then(
      (how) => scope.postMessage({ type: how === "done" ? "reloaded" : "replace" }),
      (error) => scope.postMessage({ type: "reload-failed", message: (error as Error).message }),
    );
  } else if (message.type === "shutdown") {
    stop(server ? server.shutdown(message.deadlineMs) : Promise.resolve());
  } else if (message.type === "retire") {
    // retire() closes the listeners before it first waits.
    stop(server ? server.retire(message.deadlineMs) : Promise.resolve());
    scope.postMessage({ type: "unlistened" });
  }
});
