/**
 * Reading a `gemini serve` configuration file: TOML text to a document, then the document
 * to a validated {@linkcode ServerConfig} with defaults filled in. Every error is a
 * {@linkcode ConfigError} that names the file, the line and the key.
 *
 * @module
 */

import { parseTomlFile, TomlFileError, type TomlPath } from "../../files/toml.ts";
import { readHosts } from "./_hosts.ts";
import { GLOBAL_KEYS, LIMIT_KEYS, RECYCLE_KEYS } from "./_keys.ts";
import { dropUndefined, Reader, resolvePath, type Table } from "./_reader.ts";
import {
  ConfigError,
  DEFAULT_LIMITS,
  DEFAULT_RECYCLE,
  type LimitsConfig,
  type ListenConfig,
  type RecycleConfig,
  type ServerConfig,
} from "./types.ts";
import { parseAllowList, parseListenAddress } from "./values.ts";

/** Options for {@linkcode parseConfig}. */
export interface ParseConfigOptions {
  /** File name used in error messages. Default `config.toml`. */
  file?: string;
  /** Directory relative `root`, `cert` and `key` paths are resolved against. */
  baseDir?: string;
}

/**
 * Parses TOML text into a document without validating it. Throws a
 * {@linkcode ConfigError} with the line for invalid TOML.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseConfigDocument } from "./parse.ts";
 * assert.equal(parseConfigDocument("port = 1966\n", "a.toml").port, 1966);
 * assert.throws(() => parseConfigDocument("port = \n", "a.toml"), /^ConfigError: a\.toml:1: invalid TOML/);
 * ```
 */
export function parseConfigDocument(source: string, file: string): Record<string, unknown> {
  try {
    return parseTomlFile(source, file);
  } catch (error) {
    if (!(error instanceof TomlFileError)) throw error;
    throw new ConfigError(file, error.line, undefined, error.problem, { cause: error.cause });
  }
}

/**
 * Parses and validates a configuration file's text.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseConfig } from "./parse.ts";
 * const config = parseConfig('[[host]]\nname = "example.org"\nroot = "/srv/gemini"\n');
 * assert.equal(config.hosts[0].name, "example.org");
 * assert.equal(config.listen[0].port, 1965);
 * assert.throws(
 *   () => parseConfig('[[host]]\nname = "a"\nlisting = "yes"\n', { file: "gemini.toml" }),
 *   { message: "gemini.toml:3: host[0].listing: must be true or false" },
 * );
 * ```
 */
export function parseConfig(source: string, options: ParseConfigOptions = {}): ServerConfig {
  const file = options.file ?? "config.toml";
  const doc = parseConfigDocument(source, file);
  return configFromDocument(doc, { ...options, file, source });
}

/** Options for {@linkcode configFromDocument}. */
export interface ConfigFromDocumentOptions extends ParseConfigOptions {
  /** The TOML text the document came from, to give line numbers in errors. */
  source?: string;
}

/**
 * Validates an already parsed configuration document (TOML's data model, snake_case keys)
 * and fills in defaults. `gemini serve` uses it to merge command-line settings into a file.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { configFromDocument } from "./parse.ts";
 * const config = configFromDocument({ port: 1966, host: [{ name: "localhost" }] });
 * assert.equal(config.listen[0].port, 1966);
 * assert.equal(config.hosts[0].index[0], "index.gmi");
 * ```
 */
export function configFromDocument(
  doc: Record<string, unknown>,
  options: ConfigFromDocumentOptions = {},
): ServerConfig {
  const r = new Reader(options.file ?? "config.toml", options.source ?? "");
  r.table(doc, [], GLOBAL_KEYS);
  const listen = readListen(r, doc);
  const globals = readGlobals(r, doc);
  const limits = readLimits(r, doc.limits);
  const recycle = readRecycle(r, doc.recycle);
  const hosts = readHosts(r, doc.host, options.baseDir);
  return dropUndefined({
    listen,
    workers: globals.workers,
    recycle,
    publicPort: globals.publicPort,
    backend: globals.backend,
    logFormat: globals.logFormat,
    logIp: r.bool(doc, [], "log_ip") ?? true,
    accessLog: readLogPath(r, doc, "access_log", options.baseDir),
    errorLog: readLogPath(r, doc, "error_log", options.baseDir),
    requestTimeout: r.number(doc, [], "request_timeout", 0.001, false) ?? 10,
    responseTimeout: r.number(doc, [], "response_timeout", 0.001, false) ?? 300,
    shutdownTimeout: r.number(doc, [], "shutdown_timeout", 0, false) ?? 10,
    limits,
    hosts,
  }) as ServerConfig;
}

/**
 * `port` and `listen`: strings, or inline tables `{ address, proxy_protocol, proxy_from }`
 * that set the PROXY protocol per address (the global `proxy_protocol` and `proxy_from`
 * are the defaults).
 */
function readListen(r: Reader, doc: Table): ListenConfig[] {
  const port = r.number(doc, [], "port", 0) ?? 1965;
  if (port > 65535) r.fail(["port"], "must be a port number (0-65535)");
  const proxyProtocol = r.bool(doc, [], "proxy_protocol") ?? false;
  const proxyFrom = checkProxyFrom(r, doc, [], "proxy_from");
  const listenRaw: unknown[] | undefined = doc.listen === undefined
    ? undefined
    : Array.isArray(doc.listen)
    ? doc.listen
    : [doc.listen];
  const listen: ListenConfig[] = [];
  (listenRaw ?? ["0.0.0.0"]).forEach((entry, i) => {
    let text: string;
    let proxy = proxyProtocol;
    let from = proxyFrom;
    if (typeof entry === "string") {
      text = entry;
    } else {
      const t = r.table(entry, ["listen", i], ["address", "proxy_protocol", "proxy_from"]);
      text = r.string(t, ["listen", i], "address") ??
        r.fail(["listen", i, "address"], "is required");
      proxy = r.bool(t, ["listen", i], "proxy_protocol") ?? proxy;
      from = checkProxyFrom(r, t, ["listen", i], "proxy_from") ?? from;
    }
    try {
      listen.push(dropUndefined({
        ...parseListenAddress(text, port),
        proxyProtocol: proxy || undefined,
        proxyFrom: proxy ? from : undefined,
      }));
    } catch (error) {
      r.fail(["listen"], (error as Error).message, error);
    }
  });
  return listen;
}

/** Reads a `proxy_from` list and checks every entry is an address or CIDR block. */
function checkProxyFrom(
  r: Reader,
  t: Table,
  path: TomlPath,
  key: string,
): string[] | undefined {
  const list = r.strings(t, path, key);
  if (list === undefined) return undefined;
  try {
    parseAllowList(list);
  } catch (error) {
    r.fail([...path, key], (error as Error).message, error);
  }
  return list;
}

/** `workers`, `public_port`, `backend` and `log_format`. */
function readGlobals(
  r: Reader,
  doc: Table,
): Pick<ServerConfig, "workers" | "publicPort" | "backend" | "logFormat"> {
  const workers = doc.workers === "auto" ? "auto" : r.number(doc, [], "workers", 1) ?? 1;
  if (workers !== "auto" && (!Number.isInteger(workers) || workers > 256)) {
    r.fail(["workers"], 'must be a whole number from 1 to 256, or "auto"');
  }
  const publicPort = r.number(doc, [], "public_port", 1);
  const backend = r.string(doc, [], "backend") ?? "auto";
  if (backend !== "auto" && backend !== "node" && backend !== "deno") {
    r.fail(["backend"], 'must be "auto", "node" or "deno"');
  }
  const logFormat = r.string(doc, [], "log_format") ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    r.fail(["log_format"], 'must be "text" or "json"');
  }
  return { workers, publicPort, backend, logFormat };
}

/**
 * `access_log` or `error_log`: a file (relative to the configuration's directory), or `"-"`
 * (the default) for the standard stream.
 */
function readLogPath(r: Reader, doc: Table, key: string, baseDir: string | undefined): string {
  const value = r.string(doc, [], key) ?? "-";
  if (value === "") r.fail([key], 'must be a file name or "-"');
  return value === "-" ? "-" : resolvePath(value, baseDir)!;
}

/** The `[limits]` table, with the connection rate following the request rate unless set. */
function readLimits(r: Reader, value: unknown): LimitsConfig {
  const t = value === undefined ? {} : r.table(value, ["limits"], LIMIT_KEYS);
  const lp = ["limits"];
  const rate = r.bool(t, lp, "rate") ?? DEFAULT_LIMITS.rate;
  const rateBurst = r.number(t, lp, "rate_burst", 1) ?? DEFAULT_LIMITS.rateBurst;
  const ratePerSecond = r.number(t, lp, "rate_per_second", 0.001, false) ??
    DEFAULT_LIMITS.ratePerSecond;
  const count = (key: string, fallback: number): number => r.number(t, lp, key, 1) ?? fallback;
  return {
    rate,
    rateBurst,
    ratePerSecond,
    // Twice the request rate unless set, so that a client over the request rate is still
    // told 44 before its connections are refused.
    connectionRate: r.bool(t, lp, "connection_rate") ?? rate,
    connectionRateBurst: count("connection_rate_burst", 2 * rateBurst),
    connectionRatePerSecond: r.number(t, lp, "connection_rate_per_second", 0.001, false) ??
      2 * ratePerSecond,
    maxConnectionsPerIp: count("max_connections_per_ip", DEFAULT_LIMITS.maxConnectionsPerIp),
    maxConnections: count("max_connections", DEFAULT_LIMITS.maxConnections),
    ban: r.bool(t, lp, "ban") ?? DEFAULT_LIMITS.ban,
    banAfter: count("ban_after", DEFAULT_LIMITS.banAfter),
    banWindow: count("ban_window", DEFAULT_LIMITS.banWindow),
    banSeconds: count("ban_seconds", DEFAULT_LIMITS.banSeconds),
    banMaxSeconds: count("ban_max_seconds", DEFAULT_LIMITS.banMaxSeconds),
  };
}

/** The `[recycle]` table. */
function readRecycle(r: Reader, value: unknown): RecycleConfig {
  const t = value === undefined ? {} : r.table(value, ["recycle"], RECYCLE_KEYS);
  const rp = ["recycle"];
  return {
    handshakeFailures: t.handshake_failures === "auto"
      ? "auto"
      : r.number(t, rp, "handshake_failures", 0) ?? DEFAULT_RECYCLE.handshakeFailures,
    heap: r.size(t, rp, "heap") ?? DEFAULT_RECYCLE.heap,
    age: r.number(t, rp, "age", 0, false) ?? DEFAULT_RECYCLE.age,
    minInterval: r.number(t, rp, "min_interval", 0, false) ?? DEFAULT_RECYCLE.minInterval,
    memory: r.size(t, rp, "memory") ?? DEFAULT_RECYCLE.memory,
  };
}
