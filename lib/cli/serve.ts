/**
 * `gemini serve`: serve a directory, or the built-in welcome capsule, over Gemini. Flags
 * cover the common case; a TOML file (`--config`) adds virtual hosts and locations.
 * Certificates are generated per host into the data directory on first run. SIGINT and
 * SIGTERM shut down gracefully.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { formatFingerprint } from "../tls/certificate.ts";
import { resolvePaths } from "../files/paths.ts";
import {
  ConfigError,
  configFromDocument,
  formatConfig,
  formatListenAddress,
  parseConfigDocument,
  parseSize,
  type ServerConfig,
} from "../server/config/mod.ts";
import { createLogger, type LineWriter, type Logger } from "../server/logger.ts";
import type { ServedCertificate } from "../server/server.ts";
import type { LimitsOptions } from "../server/limits.ts";
import { sharedLimitOptions, SharedLimitTable } from "../server/shared_limits.ts";
import { certificateDirFor, checkSiteFiles, siteCertificates } from "../server/site.ts";
import { type CommandSpec, formatHelp, parseCommand, UsageError } from "./args.ts";
import type { CliIo, Output } from "./io.ts";
import type { WorkerReady } from "./serve_messages.ts";
import { Supervisor } from "./serve_supervisor.ts";

/** How long access-log lines may wait to be written together, ms. */
const ACCESS_LOG_DELAY_MS = 20;

/** The command-line interface of `gemini serve`. */
export const SERVE_SPEC: CommandSpec = {
  name: "gemini serve",
  usage: ["gemini serve [options] [DIR]", "gemini serve --config FILE [--check]"],
  summary: "Serve DIR (or, without DIR, the built-in welcome capsule) over Gemini. A " +
    "certificate per host name is generated on the first run and kept in the data directory.",
  options: {
    host: {
      type: "string",
      multiple: true,
      value: "NAME",
      description: "Host name to serve (default localhost)",
    },
    port: { type: "string", value: "N", description: "Port to listen on (default 1965)" },
    listen: {
      type: "string",
      multiple: true,
      value: "ADDR",
      description:
        "Address to listen on: 0.0.0.0, [::], 127.0.0.1:1965, [::1]:1966 (default 127.0.0.1 " +
        "for localhost, else 0.0.0.0)",
    },
    cert: { type: "string", value: "FILE", description: "Certificate (PEM) for every host" },
    key: { type: "string", value: "FILE", description: "Private key (PEM) for --cert" },
    config: { type: "string", value: "FILE", description: "Configuration file (TOML)" },
    check: {
      type: "boolean",
      description: "Validate the configuration, print the effective one and exit",
    },
    lang: { type: "string", value: "CODE", description: "lang parameter of gemtext responses" },
    "max-file-size": {
      type: "string",
      value: "SIZE",
      description: "Largest file served, e.g. 100MiB (default 1GiB)",
    },
    "log-format": {
      type: "string",
      value: "FORMAT",
      description: "Access and error log format: text (default) or json",
    },
    "no-log-ip": { type: "boolean", description: "Leave client IP addresses out of the log" },
    workers: {
      type: "string",
      value: "N",
      description:
        "Workers sharing the port and the limits: N, or auto for one per CPU (default 1)",
    },
    "proxy-protocol": {
      type: "boolean",
      description: "Expect a PROXY protocol v1/v2 header (HAProxy send-proxy) on every listener",
    },
    "proxy-from": {
      type: "string",
      multiple: true,
      value: "ADDR",
      description: "Address or CIDR block allowed to send PROXY headers (default 127.0.0.1, ::1)",
    },
  },
  positionals: { max: 1 },
  examples: [
    "gemini serve",
    "gemini serve --host example.org --listen 0.0.0.0 --listen [::] ~/capsule",
    "gemini serve --config /etc/gemini/serve.toml --check",
  ],
  footer: [
    "The access log goes to standard output, errors and start-up messages to standard error.",
    "SIGHUP reloads the configuration, certificates and allow lists for new connections;",
    "requests in flight finish, and a configuration with errors is logged and not applied.",
    "Certificates are kept in $XDG_DATA_HOME/gemini/server/ ($GEMINI_HOME/data/server/).",
    "Exit status: 0 after a graceful shutdown (SIGINT, SIGTERM) or a good --check,",
    "1 for configuration or start-up errors, 2 for usage errors.",
  ].join("\n"),
};

/** The most log text held for a slow output before lines are dropped (and counted). */
const MAX_QUEUED_LOG_BYTES = 4 * 1024 * 1024;

/**
 * A line writer that keeps the order of lines and can be waited for. Lines written within
 * `delayMs` (or up to 64 KiB) go out in one write: under load the access log would
 * otherwise cost a write to standard output per request, which profiling showed to cost
 * several times the TLS write of a small response (bench/RESULTS.md). What waits for a slow
 * output is bounded by `maxQueued` bytes: past it lines are dropped whole, and once the
 * output has caught up a line says how many.
 */
export function outputWriter(
  out: Output,
  delayMs = 0,
  maxQueued = MAX_QUEUED_LOG_BYTES,
): LineWriter & { flush(): Promise<void> } {
  let pending: string[] = [];
  let size = 0;
  const queue: string[] = [];
  let queued = 0;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pumping: Promise<void> | undefined;
  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const text = queue.shift()!;
      queued -= text.length;
      await out.write(text).catch(() => {});
      if (queue.length === 0 && dropped > 0) {
        const note = `${new Date().toISOString()} warn ${dropped} log lines dropped: ` +
          "the output was too slow\n";
        dropped = 0;
        await out.write(note).catch(() => {});
      }
    }
    pumping = undefined;
  };
  const drain = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    queue.push(text);
    queued += text.length;
    pumping ??= pump();
  };
  return {
    write(line: string): void {
      if (queued + size + line.length > maxQueued) {
        dropped++;
        return;
      }
      pending.push(line);
      size += line.length;
      if (size >= 65_536) drain();
      else timer ??= setTimeout(drain, delayMs);
    },
    async flush(): Promise<void> {
      drain();
      while (pumping) await pumping;
    },
  };
}

function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

function listOption(values: Record<string, unknown>, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v as string[] : typeof v === "string" ? [v] : [];
}

/** Builds the configuration from flags and, with `--config`, the file. */
export async function loadConfig(
  values: Record<string, unknown>,
  positionals: string[],
): Promise<ServerConfig> {
  const configFile = stringOption(values, "config");
  const hosts = listOption(values, "host");
  const cert = stringOption(values, "cert");
  const key = stringOption(values, "key");
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("gemini serve: --cert and --key go together");
  }
  let doc: Record<string, unknown>;
  let source = "";
  let file = "<command line>";
  let baseDir: string | undefined;
  if (configFile) {
    if (positionals.length > 0 || hosts.length > 0 || cert) {
      throw new UsageError(
        "gemini serve: DIR, --host, --cert and --key cannot be combined with --config " +
          "(set root, name, cert and key in the file)",
      );
    }
    file = configFile;
    try {
      source = await Deno.readTextFile(configFile);
    } catch (error) {
      throw new ConfigError(configFile, undefined, undefined, (error as Error).message, {
        cause: error,
      });
    }
    doc = parseConfigDocument(source, file);
    baseDir = dirname(resolve(configFile));
  } else {
    const names = hosts.length > 0 ? hosts : ["localhost"];
    const root = positionals[0] === undefined ? undefined : resolve(positionals[0]);
    doc = {
      host: names.map((name) => ({
        name,
        ...(root === undefined ? {} : { root }),
        ...(cert ? { cert: resolve(cert), key: resolve(key!) } : {}),
      })),
    };
    const local = names.every((n) => n === "localhost");
    if (listOption(values, "listen").length === 0) doc.listen = [local ? "127.0.0.1" : "0.0.0.0"];
  }
  // Flags override the file.
  const port = stringOption(values, "port");
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      throw new UsageError(`gemini serve: --port ${port} is not a port number`);
    }
    doc.port = Number(port);
  }
  const listen = listOption(values, "listen");
  if (listen.length > 0) doc.listen = listen;
  const logFormat = stringOption(values, "log-format");
  if (logFormat !== undefined) {
    if (logFormat !== "text" && logFormat !== "json") {
      throw new UsageError(`gemini serve: --log-format must be text or json, not ${logFormat}`);
    }
    doc.log_format = logFormat;
  }
  if (values["no-log-ip"]) doc.log_ip = false;
  const workers = stringOption(values, "workers");
  if (workers !== undefined) {
    if (
      workers !== "auto" &&
      (!/^\d{1,3}$/.test(workers) || Number(workers) < 1 || Number(workers) > 256)
    ) {
      throw new UsageError(
        `gemini serve: --workers ${workers} is not a number from 1 to 256, or auto`,
      );
    }
    doc.workers = workers === "auto" ? "auto" : Number(workers);
  }
  if (values["proxy-protocol"]) doc.proxy_protocol = true;
  const proxyFrom = listOption(values, "proxy-from");
  if (proxyFrom.length > 0) {
    if (!values["proxy-protocol"] && doc.proxy_protocol === undefined) {
      throw new UsageError("gemini serve: --proxy-from needs --proxy-protocol");
    }
    doc.proxy_from = proxyFrom;
  }
  const lang = stringOption(values, "lang");
  const maxFileSize = stringOption(values, "max-file-size");
  if (maxFileSize !== undefined) {
    try {
      parseSize(maxFileSize);
    } catch (error) {
      throw new UsageError(`gemini serve: --max-file-size: ${(error as Error).message}`);
    }
  }
  if (Array.isArray(doc.host)) {
    for (const host of doc.host as Record<string, unknown>[]) {
      if (typeof host !== "object" || host === null) continue;
      if (lang !== undefined) host.lang = lang;
      if (maxFileSize !== undefined) host.max_file_size = maxFileSize;
    }
  }
  return configFromDocument(doc, { file, source, baseDir });
}

/**
 * Runs `gemini serve` until `stop` is aborted (the CLI aborts it on SIGINT or SIGTERM).
 * The server runs in workers under a {@linkcode Supervisor}, which recycles them. Each
 * `reload` event on `reload` (the CLI sends one on SIGHUP) reads the configuration again
 * and applies it to new connections; a configuration that fails validation is logged and
 * the running one kept. Returns the exit code.
 */
export async function runServe(
  args: string[],
  io: CliIo,
  stop: AbortSignal,
  reload?: EventTarget,
): Promise<number> {
  const { values, positionals } = parseCommand(SERVE_SPEC, args);
  if (values.help) {
    await io.stdout.write(formatHelp(SERVE_SPEC));
    return 0;
  }
  let config: ServerConfig;
  try {
    config = await loadConfig(values, positionals);
    await checkSiteFiles(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      await io.stderr.write(`gemini serve: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (values.check) {
    await io.stdout.write(formatConfig(config));
    return 0;
  }

  const errors = outputWriter(io.stderr);
  const access = outputWriter(io.stdout, ACCESS_LOG_DELAY_MS);
  const logger = createLogger(errors, { format: config.logFormat });
  const dataDir = resolvePaths((name) => io.env(name)).dataDir;
  const certificateDir = certificateDirFor(dataDir);
  let supervisor: Supervisor;
  let lines: string[];
  try {
    // Missing certificates are generated here, once, before any worker loads them.
    const { generated, reissued } = await siteCertificates(config, certificateDir);
    ({ supervisor, lines } = await startSupervisor(config, {
      dataDir,
      errors,
      access,
      logger,
      generated,
      reissued,
    }));
  } catch (error) {
    errors.write(`gemini serve: ${(error as Error).message}\n`);
    await errors.flush();
    return 1;
  }
  errors.write(lines.join("\n") + "\n");
  await reloadUntilStopped({
    values,
    positionals,
    config,
    certificateDir,
    logger,
    stop,
    reload,
    async apply(next: ServerConfig): Promise<Record<string, unknown>> {
      await supervisor.reload(next);
      return { workers: supervisor.workers };
    },
  });
  logger.info("shutting down", { deadline_s: config.shutdownTimeout });
  await supervisor.shutdown(config.shutdownTimeout * 1000);
  logger.info("stopped");
  await access.flush();
  await errors.flush();
  return 0;
}

/** What {@linkcode startSupervisor} needs besides the configuration. */
interface SupervisorContext {
  dataDir: string;
  errors: LineWriter;
  access: LineWriter;
  logger: Logger;
  /** Hosts whose certificate was generated now. */
  generated: string[];
  /** `host: names` for each generated certificate that got missing names added. */
  reissued: string[];
}

/**
 * Starts the workers of `config` and returns their supervisor with the start-up lines.
 * The `deno` backend shares ports between workers (SO_REUSEPORT) only under Deno's
 * `--unstable-net` flag (which ./gemini and the compiled binaries pass); without it the
 * workers serve on the `node` backend.
 */
async function startSupervisor(
  config: ServerConfig,
  context: SupervisorContext,
): Promise<{ supervisor: Supervisor; lines: string[] }> {
  const { logger } = context;
  const workers = config.workers === "auto" ? (navigator.hardwareConcurrency || 1) : config.workers;
  const limitOptions = sharedLimitOptions(limitsOf(config));
  const table = SharedLimitTable.create(limitOptions);
  const unstableNet = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
  let backend: "node" | "deno" | undefined;
  if (config.backend === "deno" && !unstableNet) {
    logger.warn(
      "the deno backend shares a port between workers only with Deno's --unstable-net flag; " +
        "serving on the node backend",
    );
    backend = "node";
  }
  const supervisor = new Supervisor(config, {
    module: workerModule(),
    workers,
    dataDir: context.dataDir,
    limits: { buffer: table.buffer, options: limitOptions },
    reusePort: true,
    backend,
    access: context.access,
    errors: context.errors,
    logger,
  });
  const ready = await supervisor.start();
  const lines = startupLines(config, ready, context, certificateDirFor(context.dataDir));
  lines.push(`${workers} worker${workers === 1 ? "" : "s"}, ${ready.backend} TLS backend`);
  if (await migrateRequestsOff()) {
    lines.push(
      "note: net.ipv4.tcp_migrate_req is 0: when a worker is recycled, a connection waiting in " +
        "its accept queue may be reset; set it to 1 (examples/sysctl.d/60-gemini-serve.conf)",
    );
  }
  return { supervisor, lines };
}

/**
 * Whether Linux resets, rather than hands over, the connections waiting in a listening
 * socket's accept queue when it closes (`net.ipv4.tcp_migrate_req = 0`, the default).
 */
async function migrateRequestsOff(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const value = await Deno.readTextFile("/proc/sys/net/ipv4/tcp_migrate_req").catch(() => "");
  return value.trim() === "0";
}

/** The limits of a configuration, as `Limits` options. */
function limitsOf(config: ServerConfig): LimitsOptions {
  const l = config.limits;
  return {
    rate: l.rate ? { burst: l.rateBurst, perSecond: l.ratePerSecond } : false,
    connectionRate: l.connectionRate
      ? { burst: l.connectionRateBurst, perSecond: l.connectionRatePerSecond }
      : false,
    maxConnectionsPerIp: l.maxConnectionsPerIp,
    maxConnections: l.maxConnections,
    ban: l.ban
      ? {
        after: l.banAfter,
        windowSeconds: l.banWindow,
        seconds: l.banSeconds,
        maxSeconds: l.banMaxSeconds,
      }
      : false,
  };
}

/** How {@linkcode reloadUntilStopped} reloads. */
interface ReloadOptions {
  values: Record<string, unknown>;
  positionals: string[];
  /** The configuration running at the start. */
  config: ServerConfig;
  certificateDir: string;
  logger: Logger;
  stop: AbortSignal;
  reload?: EventTarget;
  /**
   * Puts a new, validated configuration into service (throws to keep the running one);
   * returns extra fields for the "configuration reloaded" log line.
   */
  apply(next: ServerConfig): Promise<Record<string, unknown>>;
}

/**
 * Waits until `stop` aborts. On each `reload` event (one at a time) it loads the
 * configuration again, checks its files, generates missing certificates and hands it to
 * `apply`; it logs the outcome and warns of changes that need a restart. A failed reload is
 * logged and the running configuration kept. Returns once the last reload has finished.
 */
async function reloadUntilStopped(options: ReloadOptions): Promise<void> {
  const { logger } = options;
  let running = options.config;
  let reloading = Promise.resolve();
  const onReload = (): void => {
    reloading = reloading.then(async () => {
      try {
        const next = await loadConfig(options.values, options.positionals);
        await checkSiteFiles(next);
        const { generated } = await siteCertificates(next, options.certificateDir);
        const fields = await options.apply(next);
        const restartNeeded = restartOnlyChanges(running, next);
        running = next;
        logger.info("configuration reloaded", {
          hosts: next.hosts.flatMap((h) => [h.name, ...h.aliases]).join(","),
          generated: generated.join(",") || undefined,
          ...fields,
        });
        for (const what of restartNeeded) {
          logger.warn("this change needs a restart to apply", { setting: what });
        }
      } catch (error) {
        logger.error("reload failed; keeping the running configuration", {
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    });
  };
  options.reload?.addEventListener("reload", onReload);
  await new Promise<void>((resolve) => {
    if (options.stop.aborted) resolve();
    options.stop.addEventListener("abort", () => resolve(), { once: true });
  });
  options.reload?.removeEventListener("reload", onReload);
  await reloading;
}

/** Settings that a running server cannot change (they need a restart). */
function restartOnlyChanges(
  old: ServerConfig,
  next: ServerConfig,
): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(old.listen, next.listen)) changed.push("listen");
  if (old.publicPort !== next.publicPort) changed.push("public_port");
  if (old.backend !== next.backend) changed.push("backend");
  if (old.workers !== next.workers) changed.push("workers");
  if (!same(old.limits, next.limits)) changed.push("limits");
  if (old.logFormat !== next.logFormat || old.logIp !== next.logIp) {
    changed.push("log_format/log_ip");
  }
  if (
    old.requestTimeout !== next.requestTimeout || old.responseTimeout !== next.responseTimeout
  ) changed.push("request_timeout/response_timeout");
  return changed;
}

/**
 * The module a serve worker runs: serve_worker.ts from source (and in `deno compile`
 * binaries, which include it), or, in the single-file bundle where that file does not
 * exist, the bundle itself, whose entry (cli.ts) starts the worker when it sees the worker
 * name.
 */
function workerModule(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("./serve_worker.ts", import.meta.url)
    : new URL(import.meta.url);
}

/** Days before a certificate's end of validity from which {@linkcode certificateWarnings} warns. */
export const CERTIFICATE_WARNING_DAYS = 30;

const DAY_MS = 86_400_000;

/**
 * Warning lines for served certificates that have expired or expire within
 * {@linkcode CERTIFICATE_WARNING_DAYS} days of `now`; none for the others. `gemini serve`
 * prints them at start.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { certificateWarnings } from "./serve.ts";
 * const now = new Date("2030-06-01T00:00:00Z");
 * assert.deepEqual(certificateWarnings([
 *   { names: ["old.example"], notAfter: new Date("2030-05-01T00:00:00Z") },
 *   { names: ["soon.example"], notAfter: new Date("2030-06-11T00:00:00Z") },
 *   { names: ["fine.example"], notAfter: new Date("2031-06-01T00:00:00Z") },
 * ], now), [
 *   "warning: the certificate for old.example expired on 2030-05-01; clients will refuse it",
 *   "warning: the certificate for soon.example expires on 2030-06-11, in 10 days",
 * ]);
 * ```
 */
export function certificateWarnings(
  certificates: Pick<ServedCertificate, "names" | "notAfter">[],
  now: Date,
): string[] {
  const warnings: string[] = [];
  for (const c of certificates) {
    const names = c.names.join(", ");
    const day = c.notAfter.toISOString().slice(0, 10);
    const left = c.notAfter.getTime() - now.getTime();
    if (left <= 0) {
      warnings.push(
        `warning: the certificate for ${names} expired on ${day}; clients will refuse it`,
      );
    } else if (left <= CERTIFICATE_WARNING_DAYS * DAY_MS) {
      const days = Math.floor(left / DAY_MS);
      const when = days === 0 ? "in less than a day" : `in ${days} day${days === 1 ? "" : "s"}`;
      warnings.push(`warning: the certificate for ${names} expires on ${day}, ${when}`);
    }
  }
  return warnings;
}

function startupLines(
  config: ServerConfig,
  ready: WorkerReady,
  made: { generated: string[]; reissued: string[] },
  certificateDir: string,
): string[] {
  const lines: string[] = [];
  for (const name of made.generated) {
    lines.push(`generated a certificate for ${name} in ${certificateDir}`);
  }
  for (const added of made.reissued) {
    const [host, names] = added.split(": ");
    lines.push(`added ${names} to the certificate of ${host} (same key, same dates)`);
  }
  for (const c of ready.certificates) {
    lines.push(
      `certificate for ${c.names.join(", ")} (valid until ${
        c.notAfter.toISOString().slice(0, 10)
      })`,
      `  SPKI SHA-256:        ${formatFingerprint(c.spkiSha256)}`,
      `  certificate SHA-256: ${formatFingerprint(c.certSha256)}`,
    );
  }
  lines.push(...certificateWarnings(ready.certificates, new Date()));
  const root = config.hosts[0].root ?? "the built-in welcome capsule";
  lines.push(
    `serving ${root} as ${ready.hosts.join(", ")}`,
    ...ready.addrs.map((a) => `listening on ${formatListenAddress(a)}`),
  );
  return lines;
}

/** Runs `gemini serve` and returns its exit code. */
export async function main(args: string[], io: CliIo): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  const reloads = new EventTarget();
  const hup = (): void => void reloads.dispatchEvent(new Event("reload"));
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const installed: Deno.Signal[] = [];
  for (const signal of signals) {
    try {
      Deno.addSignalListener(signal, stop);
      installed.push(signal);
    } catch {
      // not supported on this platform
    }
  }
  let hupInstalled = false;
  if (Deno.build.os !== "windows") {
    try {
      Deno.addSignalListener("SIGHUP", hup);
      hupInstalled = true;
    } catch {
      // not supported here
    }
  }
  try {
    return await runServe(args, io, controller.signal, reloads);
  } finally {
    for (const signal of installed) Deno.removeSignalListener(signal, stop);
    if (hupInstalled) Deno.removeSignalListener("SIGHUP", hup);
  }
}
