/**
 * `gemini serve`: serve a directory, or the built-in welcome capsule, over Gemini. Flags
 * cover the common case; a TOML file (`--config`) adds virtual hosts and locations.
 * Certificates are generated per host into the data directory on first run. SIGINT and
 * SIGTERM shut down gracefully.
 *
 * @module
 */

import { formatFingerprint } from "../tls/fingerprint.ts";
import { resolvePaths } from "../files/paths.ts";
import {
  ConfigError,
  formatConfig,
  formatListenAddress,
  type ServerConfig,
} from "../server/config/mod.ts";
import { createLogger, type LineWriter, type Logger } from "../server/logger.ts";
import type { LimitsOptions } from "../server/limits.ts";
import { sharedLimitOptions, SharedLimitTable } from "../server/shared_limits.ts";
import {
  certificateDirFor,
  checkSiteFiles,
  listenerBackends,
  type SiteCertificates,
  siteCertificates,
  type SiteFiles,
} from "../server/site.ts";
import { type CommandSpec, formatHelp, parseCommand, type ParsedValues } from "./args.ts";
import type { CliIo } from "./io.ts";
import { loadConfig } from "./serve_config.ts";
import { collectGarbage, type WorkerReady } from "./serve_messages.ts";
import {
  CERTIFICATE_CHECK_MS,
  certificateCheck,
  certificateWarnings,
  checkCertificateLines,
  type CheckScheduler,
  intervalScheduler,
} from "./serve_certificates.ts";
import { checkLogFiles, openServeLogs } from "./serve_logs.ts";
import { outputWriter } from "./serve_output.ts";
import { reloadUntilStopped } from "./serve_reload.ts";
import { Supervisor } from "./serve_supervisor.ts";
import {
  formatPermissions,
  missingPermission,
  processPermissionFlags,
  processPermissions,
  sandboxPermissions,
  workerPermissionOptions,
  workerSandboxAvailable,
} from "./serve_permissions.ts";

/** How long access-log lines may wait to be written together, ms. */
const ACCESS_LOG_DELAY_MS = 20;

/** The command-line interface of `gemini serve`. */
export const SERVE_SPEC = {
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
      description:
        "Validate the configuration, print the effective one and the workers' permissions, exit",
    },
    "print-permissions": {
      type: "boolean",
      description:
        "Print the deno run permission flags the main process needs for this configuration, " +
        "one per line, and exit (./gemini starts serve with them)",
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
    "access-log": {
      type: "string",
      value: "FILE",
      description: "Append the access log to FILE (- for standard output, the default)",
    },
    "error-log": {
      type: "string",
      value: "FILE",
      description: "Append the error log to FILE (- for standard error, the default)",
    },
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
    "The access log goes to standard output, errors and start-up messages to standard error,",
    "unless --access-log/--error-log (access_log/error_log) name files; SIGUSR1 reopens them.",
    "SIGHUP reloads the configuration, certificates and allow lists for new connections;",
    "requests in flight finish, and a configuration with errors is logged and not applied.",
    "Certificates are kept in $XDG_DATA_HOME/gemini/server/ ($GEMINI_HOME/data/server/).",
    "Exit status: 0 after a graceful shutdown (SIGINT, SIGTERM) or a good --check,",
    "1 for configuration or start-up errors, 2 for usage errors.",
  ].join("\n"),
} satisfies CommandSpec;

/**
 * Runs `gemini serve` until `stop` is aborted (the CLI aborts it on SIGINT or SIGTERM).
 * The server runs in workers under a {@linkcode Supervisor}, which recycles them. Each
 * `reload` event on `reload` (the CLI sends one on SIGHUP) reads the configuration again
 * and applies it to new connections; a configuration that fails validation is logged and
 * the running one kept. Once a day (`hooks.schedule` runs the check in tests) generated
 * certificates near their end are renewed and put into service, and certificates that
 * expire soon are warned about. Returns the exit code.
 */
export async function runServe(
  args: string[],
  io: CliIo,
  stop: AbortSignal,
  reload?: EventTarget,
  hooks: { schedule?: CheckScheduler } = {},
): Promise<number> {
  const { values, positionals } = parseCommand(SERVE_SPEC, args);
  if (values.help) {
    await io.stdout.write(formatHelp(SERVE_SPEC));
    return 0;
  }
  const dataDir = resolvePaths((name) => io.env(name)).dataDir;
  // What the main process needs besides its workers' permissions (see processPermissions).
  const needs = { dataDir, configFile: values.config, code: programCode() };
  let config: ServerConfig;
  let files: SiteFiles;
  try {
    config = await loadConfig(values, positionals);
    if (values["print-permissions"]) {
      // For ./gemini, which starts the server next: the files are checked (and read) there.
      const set = await processPermissions(config, needs);
      await io.stdout.write(processPermissionFlags(set).join("\n") + "\n");
      return 0;
    }
    files = await checkSiteFiles(config);
    if (values.check) await checkLogFiles(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      await io.stderr.write(`gemini serve: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const sandbox = workerSandboxAvailable((name) => io.env(name));
  if (values.check) {
    const main = await processPermissions(config, needs);
    await io.stdout.write(
      formatConfig(config) + backendLines(config, unstableNet()).join("") +
        formatPermissions(main.workers, sandbox, processPermissionFlags(main)),
    );
    const warnings = await checkCertificateLines(config, certificateDirFor(dataDir), { files });
    if (warnings.length > 0) await io.stderr.write(warnings.join("\n") + "\n");
    return 0;
  }
  let logs;
  try {
    logs = await openServeLogs(config, io);
  } catch (error) {
    await io.stderr.write(`gemini serve: ${(error as Error).message}\n`);
    return 1;
  }
  const errors = outputWriter(logs.errors);
  const access = outputWriter(logs.access, ACCESS_LOG_DELAY_MS);
  const logger = createLogger(errors, { format: config.logFormat });
  const started = await startServing(config, { dataDir, files, errors, access, logger, sandbox });
  if (!started) {
    await logs.close();
    return 1;
  }
  const { supervisor } = started;
  // SIGUSR1 (logrotate's postrotate): lines already handed to a file end in it, later ones
  // go to the file of the same name opened now.
  const onReopen = (): void => {
    logs.reopen().then(
      (files) => files > 0 && logger.info("log files reopened", { files }),
      (error) => logger.error("cannot reopen the log files", { reason: (error as Error).message }),
    );
  };
  reload?.addEventListener("reopen", onReopen);
  const certificateDir = certificateDirFor(dataDir);
  const stopChecks = (hooks.schedule ?? intervalScheduler)(
    certificateCheck({
      running: () => supervisor.running,
      certificateDir,
      logger,
      // The certificates on disk (renewed ones among them) for whatever runs by then.
      replace: () =>
        supervisor.reloadCertificates(
          async (running, files) =>
            (await siteCertificates(running, certificateDir, { files })).certificates,
          "certificate",
        ),
    }),
    CERTIFICATE_CHECK_MS,
  );
  await reloadUntilStopped({
    values,
    positionals,
    config,
    certificateDir: certificateDirFor(dataDir),
    logger,
    stop,
    reload,
    async checkPermissions(next: ServerConfig): Promise<Deno.PermissionOptionsObject | undefined> {
      const set = await processPermissions(next, needs);
      const missing = missingPermission(set);
      if (missing !== undefined) {
        throw new Error(
          `this configuration needs ${missing}, which the running process was started ` +
            "without: restart gemini serve to apply it",
        );
      }
      return sandbox ? workerPermissionOptions(set.workers) : undefined;
    },
    async apply(next, site, permissions): Promise<Record<string, unknown>> {
      await supervisor.reload(next, site, { permissions });
      return { workers: supervisor.workers };
    },
  });
  stopChecks();
  logger.info("shutting down", { deadline_s: config.shutdownTimeout });
  await supervisor.shutdown(config.shutdownTimeout * 1000);
  logger.info("stopped");
  reload?.removeEventListener("reopen", onReopen);
  await access.flush();
  await errors.flush();
  await logs.close();
  return 0;
}

/**
 * Generates missing certificates (once, before any worker loads them), starts the workers
 * and prints the start-up lines. Prints why and returns `undefined` when it cannot.
 */
async function startServing(
  config: ServerConfig,
  context: Omit<SupervisorContext, keyof SiteCertificates> & {
    errors: LineWriter & { flush(): Promise<void> };
  },
): Promise<{ supervisor: Supervisor } | undefined> {
  const { errors } = context;
  try {
    const certificates = await siteCertificates(config, certificateDirFor(context.dataDir), {
      files: context.files,
    });
    const { supervisor, lines } = await startSupervisor(config, { ...context, ...certificates });
    errors.write(lines.join("\n") + "\n");
    // Reading the configuration and the certificates left garbage that need not stay resident.
    collectGarbage();
    return { supervisor };
  } catch (error) {
    errors.write(`gemini serve: ${(error as Error).message}\n`);
    await errors.flush();
    return undefined;
  }
}

/**
 * What {@linkcode startSupervisor} needs besides the configuration: the hosts' certificates
 * (and what was generated, reissued or renewed to have them) among the rest.
 */
interface SupervisorContext extends SiteCertificates {
  dataDir: string;
  /** The configuration's other files, as `checkSiteFiles()` read them. */
  files: SiteFiles;
  errors: LineWriter;
  access: LineWriter;
  logger: Logger;
  /** Whether workers run with the permissions of their configuration only. */
  sandbox: boolean;
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
  if (!context.sandbox) {
    logger.warn(
      "workers run with all the permissions of the process: GEMINI_SANDBOX=off, or Deno " +
        "started without --unstable-worker-options (which narrowing them needs)",
    );
  }
  let backend: "node" | "deno" | undefined;
  if (!unstableNet() && listenerBackends(config).some((p) => p.backend === "deno")) {
    const message = "the deno backend shares a port between workers only with Deno's " +
      "--unstable-net flag; serving on the node backend";
    if (config.backend === "deno") logger.warn(message);
    else logger.info(message);
    backend = "node";
  }
  const supervisor = new Supervisor(config, {
    module: workerModule(),
    workers,
    dataDir: context.dataDir,
    certificates: context.certificates,
    files: context.files,
    limits: { buffer: table.buffer, options: limitOptions },
    reusePort: true,
    backend,
    access: context.access,
    errors: context.errors,
    logger,
    permissions: context.sandbox ? sandboxPermissions(context.dataDir) : undefined,
  });
  const ready = await supervisor.start();
  const lines = startupLines(config, ready, context, certificateDirFor(context.dataDir));
  // One backend: "1 worker, deno TLS backend"; several: which listener uses which.
  const backends = new Set(ready.backends).size === 1
    ? `${ready.backends[0]} TLS backend`
    : "TLS backends: " +
      ready.addrs.map((a, i) => `${ready.backends[i]} on ${formatListenAddress(a)}`).join(", ");
  lines.push(`${workers} worker${workers === 1 ? "" : "s"}, ${backends}`);
  if (await migrateRequestsOff()) {
    lines.push(
      "note: net.ipv4.tcp_migrate_req is 0: when a worker is recycled, a connection waiting in " +
        "its accept queue may be reset; set it to 1 (examples/sysctl.d/60-gemini-serve.conf)",
    );
  }
  return { supervisor, lines };
}

/**
 * Whether Deno runs with `--unstable-net`, which the `deno` backend needs to share a port
 * between workers (SO_REUSEPORT), and so to recycle them.
 */
function unstableNet(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

/**
 * What `serve --check` adds after the configuration: the TLS backend of each listener and
 * why, as TOML comments.
 */
function backendLines(config: ServerConfig, unstable: boolean): string[] {
  return listenerBackends(config).map((plan, i) => {
    const { backend, reason } = plan.backend === "deno" && !unstable
      ? { backend: "node", reason: "the deno backend needs Deno's --unstable-net flag" }
      : plan;
    return `# listener ${
      formatListenAddress(config.listen[i])
    }: ${backend} TLS backend (${reason})\n`;
  });
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

/** Whether this module runs from source (or a `deno compile` binary) rather than the bundle. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");

/**
 * The module a serve worker runs: serve_worker.ts from source (and in `deno compile`
 * binaries, which include it), or, in the single-file bundle where that file does not
 * exist, the bundle itself, whose entry (cli.ts) starts the worker when it sees the worker
 * name.
 */
function workerModule(): URL {
  return FROM_SOURCE ? new URL("./serve_worker.ts", import.meta.url) : new URL(import.meta.url);
}

/**
 * The program's code, which the workers load: from source (and in `deno compile` binaries),
 * the checkout directory holding `cli.ts` and `lib/`, two levels above this module
 * (lib/cli/serve.ts); in the single-file bundle, the bundle itself.
 */
export function programCode(): URL {
  return FROM_SOURCE ? new URL("../../", import.meta.url) : new URL(import.meta.url);
}

function startupLines(
  config: ServerConfig,
  ready: WorkerReady,
  made: Omit<SiteCertificates, "certificates">,
  certificateDir: string,
): string[] {
  const lines: string[] = [];
  for (const name of made.generated) {
    lines.push(`generated a certificate for ${name} in ${certificateDir}`);
  }
  for (const { host, added } of made.reissued) {
    lines.push(`added ${added.join(", ")} to the certificate of ${host} (same key, same dates)`);
  }
  for (const { host, previousNotAfter, notAfter } of made.renewed) {
    const day = (date: Date): string => date.toISOString().slice(0, 10);
    lines.push(
      `renewed the certificate of ${host} (it ended ${day(previousNotAfter)}), now valid ` +
        `until ${day(notAfter)}, with the same key (SPKI unchanged: pins still hold)`,
    );
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
  // SIGUSR1 reopens the log files; only where logrotate is (Linux, macOS).
  const usr1 = (): void => void reloads.dispatchEvent(new Event("reopen"));
  const usr1Installed = Deno.build.os === "linux" || Deno.build.os === "darwin";
  if (usr1Installed) Deno.addSignalListener("SIGUSR1", usr1);
  try {
    return await runServe(args, io, controller.signal, reloads);
  } finally {
    for (const signal of installed) Deno.removeSignalListener(signal, stop);
    if (hupInstalled) Deno.removeSignalListener("SIGHUP", hup);
    if (usr1Installed) Deno.removeSignalListener("SIGUSR1", usr1);
  }
}

/** The parsed options of `gemini serve` (every one may be absent). */
export type ServeValues = Partial<ParsedValues<typeof SERVE_SPEC.options>>;
