/**
 * The client configuration file, `$XDG_CONFIG_HOME/gemini/config.toml`: defaults for
 * `gemini get` and `gemini browse`. Every key is optional; command-line options win.
 *
 * ```toml
 * [client]
 * tofu = "strict"          # strict | warn | off
 * retries = 3              # automatic retries (44, 40, 41, 43) of one fetch, in all
 * max_wait = 30            # seconds of waiting before retries, in all
 * max_redirects = 5
 * connect_timeout = 10     # seconds (fractions allowed)
 * header_timeout = 30      # seconds
 * idle_timeout = 60        # seconds between body chunks
 * max_size = "100M"        # bytes, or a number with K, M or G (powers of 1024)
 * allow_gopher = false
 *
 * [proxies]
 * https = "gemini://proxy.example.org:1965"
 * gopher = "gemini://gopher-proxy.example.org"
 * ```
 *
 * A `[browse]` table (the settings of `gemini browse`) may sit in the same file: this loader
 * only checks that it is a table and leaves its keys to the browser.
 *
 * @module
 */

import { parseSize as parseByteSize } from "../gemtext/size.ts";
import { type Paths, resolvePaths } from "../files/paths.ts";
import { readTextIfExists } from "../files/read.ts";
import { formatTomlPath, parseTomlFile, TomlFileError, tomlLine } from "../files/toml.ts";
import type { ClientOptions, TofuMode } from "./types.ts";

/** The part of {@linkcode ClientOptions} that `config.toml` can set. */
export type ClientConfig = Pick<
  ClientOptions,
  | "tofu"
  | "retries"
  | "maxWaitSeconds"
  | "maxRedirects"
  | "connectTimeoutMs"
  | "headerTimeoutMs"
  | "idleTimeoutMs"
  | "maxBodyBytes"
  | "allowGopher"
  | "proxies"
>;

/**
 * Parses the text of `config.toml`. Throws a `SyntaxError` that names `file`, the line and
 * the key for bad TOML, unknown keys and values of the wrong type.
 *
 * @example
 * ```ts
 * import { parseClientConfig } from "./config.ts";
 * import assert from "node:assert";
 * const c = parseClientConfig('[client]\ntofu = "warn"\nmax_size = "1M"\n');
 * assert.equal(c.tofu, "warn");
 * assert.equal(c.maxBodyBytes, 1048576);
 * ```
 */
export function parseClientConfig(text: string, file = "config.toml"): ClientConfig {
  const data = parseTomlFile(text, file);
  const fail: Fail = (table, key, what) => {
    const path = table === "" ? [key] : [table, key];
    throw new TomlFileError(file, tomlLine(text, path), formatTomlPath(path), what);
  };
  checkTables(data, fail, (table) => tomlLine(text, [table]), file);
  const config = readClientTable((data.client ?? {}) as Record<string, unknown>, fail);
  if (data.proxies !== undefined) {
    config.proxies = readProxies(data.proxies as Record<string, unknown>, fail);
  }
  return config;
}

/** Throws a `TomlFileError` for `key` of `table` (`""`: the top level), saying `what`. */
type Fail = (table: string, key: string, what: string) => never;

/** The top level holds only the tables `[client]`, `[proxies]` and `[browse]`. */
function checkTables(
  data: Record<string, unknown>,
  fail: Fail,
  lineOf: (table: string) => number | undefined,
  file: string,
): void {
  for (const [table, value] of Object.entries(data)) {
    if (table !== "client" && table !== "proxies" && table !== "browse") {
      throw new TomlFileError(
        file,
        lineOf(table),
        undefined,
        `unknown key "${table}" (expected the tables [client], [proxies] and [browse])`,
      );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail("", table, "must be a table");
    }
  }
}

/** The keys of `[client]`, each checked for its type and range. */
function readClientTable(client: Record<string, unknown>, fail: Fail): ClientConfig {
  const config: ClientConfig = {};
  const number = (key: string, min: number, integer: boolean): number => {
    const v = client[key];
    if (
      typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))
    ) {
      fail("client", key, `expected ${integer ? "an integer" : "a number"} >= ${min}`);
    }
    return v as number;
  };
  const timeoutMs = (key: string): number => {
    const ms = Math.round(number(key, 0, false) * 1000);
    if (ms <= 0) fail("client", key, "expected a number of seconds above 0");
    return ms;
  };
  for (const [key, value] of Object.entries(client)) {
    switch (key) {
      case "tofu":
        if (value !== "strict" && value !== "warn" && value !== "off") {
          fail("client", key, 'expected "strict", "warn" or "off"');
        }
        config.tofu = value as TofuMode;
        break;
      case "retries":
        config.retries = number(key, 0, true);
        break;
      case "max_wait":
        config.maxWaitSeconds = number(key, 0, false);
        break;
      case "max_redirects":
        config.maxRedirects = number(key, 0, true);
        break;
      case "connect_timeout":
        config.connectTimeoutMs = timeoutMs(key);
        break;
      case "header_timeout":
        config.headerTimeoutMs = timeoutMs(key);
        break;
      case "idle_timeout":
        config.idleTimeoutMs = timeoutMs(key);
        break;
      case "max_size": {
        const size = typeof value === "string" ? parseSize(value) : value;
        if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
          fail("client", key, 'expected a byte count such as 1048576 or "1M"');
        }
        config.maxBodyBytes = size as number;
        break;
      }
      case "allow_gopher":
        if (typeof value !== "boolean") fail("client", key, "expected true or false");
        config.allowGopher = value as boolean;
        break;
      default:
        fail(
          "client",
          key,
          "unknown key (known: tofu, retries, max_wait, max_redirects, connect_timeout, " +
            "header_timeout, idle_timeout, max_size, allow_gopher)",
        );
    }
  }
  return config;
}

/** The `[proxies]` table: lower-case schemes to `gemini://` proxy URLs. */
function readProxies(table: Record<string, unknown>, fail: Fail): Record<string, string> {
  const proxies: Record<string, string> = {};
  for (const [scheme, url] of Object.entries(table)) {
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
      fail("proxies", scheme, "a key must be a lower-case URL scheme such as https");
    }
    let parsed: URL | undefined;
    try {
      if (typeof url === "string") parsed = new URL(url);
    } catch {
      // reported below
    }
    if (!parsed || parsed.protocol !== "gemini:" || !parsed.hostname) {
      fail("proxies", scheme, 'expected a proxy URL such as "gemini://proxy.example:1965"');
    }
    proxies[scheme] = url as string;
  }
  return proxies;
}

/** `"10M"` → 10485760; `undefined` when it is not a size. */
function parseSize(text: string): number | undefined {
  try {
    return parseByteSize(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads `config.toml` from the config directory (`GEMINI_HOME` relocates it). A missing
 * file is an empty configuration; a bad one is a `SyntaxError` naming file, line and key.
 *
 * @example
 * ```ts
 * import { loadClientConfig } from "./config.ts";
 * import assert from "node:assert";
 * const dir = await Deno.makeTempDir();
 * const paths = { configDir: dir, dataDir: dir, configFile: `${dir}/config.toml` };
 * await Deno.writeTextFile(paths.configFile, "[client]\nretries = 1\n");
 * assert.ok((await loadClientConfig(paths)).retries === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadClientConfig(
  paths: Paths = resolvePaths((name) => Deno.env.get(name)),
): Promise<ClientConfig> {
  const text = await readTextIfExists(paths.configFile, { wrapErrors: true });
  return text === undefined ? {} : parseClientConfig(text, paths.configFile);
}
