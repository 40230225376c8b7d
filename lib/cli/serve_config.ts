/**
 * The configuration of `gemini serve` from its command line: a configuration file
 * (`--config`) or the flags that describe one host, with the other flags laid over either.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import {
  ConfigError,
  configFromDocument,
  parseConfigDocument,
  parseSize,
  type ServerConfig,
} from "../server/config/mod.ts";
import { UsageError } from "./args.ts";
import type { ServeValues } from "./serve.ts";

/** A configuration document with where it came from, for error messages. */
interface Source {
  /** The document (TOML's data model, snake_case keys). */
  doc: Record<string, unknown>;
  /** Its text (empty without a file). */
  source: string;
  /** The file name, or `<command line>`. */
  file: string;
  /** Where relative paths in the file start. */
  baseDir?: string;
}

/**
 * Builds the configuration from the flags (`values`, as parsed) and `positionals` and, with
 * `--config`, the file. Flags that the file can also set override it. Throws a
 * `UsageError` for flags that are wrong or do not go together, a {@linkcode ConfigError}
 * for the configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { loadConfig } from "./serve_config.ts";
 * const config = await loadConfig({ host: ["example.org"], port: "1966", lang: "en" }, []);
 * assert.deepEqual(config.listen, [{ hostname: "0.0.0.0", port: 1966 }]);
 * assert.equal(config.hosts[0].name, "example.org");
 * assert.equal(config.hosts[0].lang, "en");
 * ```
 */
export async function loadConfig(
  values: ServeValues,
  positionals: string[],
): Promise<ServerConfig> {
  const cert = values.cert;
  const key = values.key;
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("gemini serve: --cert and --key go together");
  }
  const configFile = values.config;
  const { doc, source, file, baseDir } = configFile
    ? await fileDocument(configFile, values, positionals)
    : flagsDocument(values, positionals);
  applyGlobalFlags(doc, values);
  applyHostFlags(doc, values);
  return configFromDocument(doc, { file, source, baseDir });
}

/** `--config FILE`: the file's document (DIR, --host, --cert and --key go in the file). */
async function fileDocument(
  configFile: string,
  values: ServeValues,
  positionals: string[],
): Promise<Source> {
  if (positionals.length > 0 || (values.host ?? []).length > 0 || values.cert) {
    throw new UsageError(
      "gemini serve: DIR, --host, --cert and --key cannot be combined with --config " +
        "(set root, name, cert and key in the file)",
    );
  }
  let source: string;
  try {
    source = await Deno.readTextFile(configFile);
  } catch (error) {
    throw new ConfigError(configFile, undefined, undefined, (error as Error).message, {
      cause: error,
    });
  }
  const doc = parseConfigDocument(source, configFile);
  return { doc, source, file: configFile, baseDir: dirname(resolve(configFile)) };
}

/**
 * Without a file: one host per `--host` (default localhost) serving DIR (default the
 * built-in capsule), listening on 127.0.0.1 when only localhost is served, else 0.0.0.0.
 */
function flagsDocument(values: ServeValues, positionals: string[]): Source {
  const hosts = values.host ?? [];
  const cert = values.cert;
  const key = values.key;
  const names = hosts.length > 0 ? hosts : ["localhost"];
  const root = positionals[0] === undefined ? undefined : resolve(positionals[0]);
  const doc: Record<string, unknown> = {
    host: names.map((name) => ({
      name,
      ...(root === undefined ? {} : { root }),
      ...(cert ? { cert: resolve(cert), key: resolve(key!) } : {}),
    })),
  };
  const local = names.every((n) => n === "localhost");
  if ((values.listen ?? []).length === 0) doc.listen = [local ? "127.0.0.1" : "0.0.0.0"];
  return { doc, source: "", file: "<command line>" };
}

/**
 * `--port`, `--listen`, `--log-format`, `--no-log-ip`, `--access-log`, `--error-log`,
 * `--workers` and the PROXY flags.
 */
function applyGlobalFlags(doc: Record<string, unknown>, values: ServeValues): void {
  const port = values.port;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      throw new UsageError(`gemini serve: --port ${port} is not a port number`);
    }
    doc.port = Number(port);
  }
  const listen = values.listen ?? [];
  if (listen.length > 0) doc.listen = listen;
  const logFormat = values["log-format"];
  if (logFormat !== undefined) {
    if (logFormat !== "text" && logFormat !== "json") {
      throw new UsageError(`gemini serve: --log-format must be text or json, not ${logFormat}`);
    }
    doc.log_format = logFormat;
  }
  if (values["no-log-ip"]) doc.log_ip = false;
  for (const [flag, key] of [["access-log", "access_log"], ["error-log", "error_log"]] as const) {
    const path = values[flag];
    if (path === "") throw new UsageError(`gemini serve: --${flag} needs a file name or -`);
    if (path !== undefined) doc[key] = path === "-" ? "-" : resolve(path);
  }
  const workers = values.workers;
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
  const proxyFrom = values["proxy-from"] ?? [];
  if (proxyFrom.length > 0) {
    if (!values["proxy-protocol"] && doc.proxy_protocol === undefined) {
      throw new UsageError("gemini serve: --proxy-from needs --proxy-protocol");
    }
    doc.proxy_from = proxyFrom;
  }
}

/** `--lang` and `--max-file-size`, for every host. */
function applyHostFlags(doc: Record<string, unknown>, values: ServeValues): void {
  const lang = values.lang;
  const maxFileSize = values["max-file-size"];
  if (maxFileSize !== undefined) {
    try {
      parseSize(maxFileSize);
    } catch (error) {
      throw new UsageError(`gemini serve: --max-file-size: ${(error as Error).message}`);
    }
  }
  if (!Array.isArray(doc.host)) return;
  for (const host of doc.host as Record<string, unknown>[]) {
    if (typeof host !== "object" || host === null) continue;
    if (lang !== undefined) host.lang = lang;
    if (maxFileSize !== undefined) host.max_file_size = maxFileSize;
  }
}
