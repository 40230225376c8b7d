/**
 * One accept loop of `gemini serve --workers N`, run as a Web Worker: loads the same
 * configuration as the main thread, serves on the shared ports with SO_REUSEPORT and the
 * shared limit table, and posts its log lines back to the main thread.
 *
 * @module
 */

import { AccessLog } from "../server/access_log.ts";
import { DEFAULT_CAPSULE } from "../server/default_capsule.ts";
import { createLogger, type LineWriter } from "../server/logger.ts";
import { type RunningServer, serve } from "../server/server.ts";
import { SharedLimits, SharedLimitTable } from "../server/shared_limits.ts";
import { buildSite, certificateDirFor, serveOptions } from "../server/site.ts";
import { parseCommand } from "./args.ts";
import { loadConfig, SERVE_SPEC, type WorkerMessage, type WorkerStart } from "./serve.ts";

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

async function start(message: WorkerStart): Promise<void> {
  const { values, positionals } = parseCommand(SERVE_SPEC, message.args);
  const config = await loadConfig(values, positionals);
  if (message.ports) {
    config.listen = config.listen.map((a, i) => ({ ...a, port: message.ports![i] ?? a.port }));
  }
  const logger = createLogger(errors, { format: config.logFormat });
  const accessLog = new AccessLog(access, {
    format: config.logFormat,
    omitIp: !config.logIp,
  });
  // The site's own log lines (CGI, proxy, Titan, access control) go to the error log too.
  const site = await buildSite(config, {
    certificateDir: certificateDirFor(message.dataDir),
    defaultContent: DEFAULT_CAPSULE,
    logger,
  });
  started = message;
  runningCertificates = JSON.stringify(site.certificates);
  server = await serve({
    ...serveOptions(config, site),
    logger,
    accessLog,
    limits: new SharedLimits(SharedLimitTable.attach(message.buffer, message.limits)),
    reusePort: true,
  });
  scope.postMessage({
    type: "ready",
    ready: {
      addrs: server.addrs,
      certificates: server.certificates,
      hosts: site.hosts,
      generated: site.generated,
    },
  });
}

/** Loads the configuration again and applies it to new connections (SIGHUP). */
async function reload(): Promise<void> {
  if (!server || !started) throw new Error("the worker has not started");
  const { values, positionals } = parseCommand(SERVE_SPEC, started.args);
  const config = await loadConfig(values, positionals);
  const site = await buildSite(config, {
    certificateDir: certificateDirFor(started.dataDir),
    defaultContent: DEFAULT_CAPSULE,
    logger: createLogger(errors, { format: config.logFormat }),
  });
  const certificates = JSON.stringify(site.certificates);
  server.reload({
    handler: site.handler,
    hosts: site.hosts,
    schemes: site.schemes,
    certificates: certificates === runningCertificates ? undefined : site.certificates,
    requestClientCertificate: site.requestClientCertificate,
  });
  runningCertificates = certificates;
}

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as
    | WorkerStart
    | { type: "shutdown"; deadlineMs: number }
    | { type: "reload" };
  if (message.type === "start") {
    start(message).catch((error) =>
      scope.postMessage({ type: "error", message: (error as Error).message })
    );
  } else if (message.type === "reload") {
    reload().then(
      () => scope.postMessage({ type: "reloaded" }),
      (error) => scope.postMessage({ type: "reload-failed", message: (error as Error).message }),
    );
  } else if (message.type === "shutdown") {
    (server ? server.shutdown(message.deadlineMs) : Promise.resolve()).finally(() => {
      access.flush();
      errors.flush();
      scope.postMessage({ type: "stopped" });
    });
  }
});
