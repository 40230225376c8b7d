/**
 * The `gemini serve` configuration file (TOML): global settings, limits, virtual hosts
 * and their locations. {@linkcode parseConfig} validates a file and fills in defaults;
 * every error names the file, the line and the key. {@linkcode formatConfig} prints the
 * effective configuration (what `gemini serve --check` shows).
 *
 * @module
 */

import { isIP } from "node:net";
import { parse, stringify, TomlError } from "smol-toml";
import { normalizeFingerprint } from "../tls/certificate.ts";
import { allowList } from "./proxy_listener.ts";

/** A listen address. */
export interface ListenConfig {
  /** IP address to bind. */
  hostname: string;
  /** Port (0 picks a free one). */
  port: number;
  /** Expect a PROXY protocol header (v1 or v2) before TLS on this address. */
  proxyProtocol?: boolean;
  /** Addresses or CIDR blocks allowed to send that header (default 127.0.0.1 and ::1). */
  proxyFrom?: string[];
}

/** Request limits (see `LimitsOptions`). */
export interface LimitsConfig {
  /** Whether the per-IP rate limit is on. */
  rate: boolean;
  /** Token bucket size. */
  rateBurst: number;
  /** Tokens per second. */
  ratePerSecond: number;
  /** Whether new connections per IP are rate limited (before TLS). Default: as `rate`. */
  connectionRate: boolean;
  /** Connection token bucket size. Default twice `rateBurst`. */
  connectionRateBurst: number;
  /** Connection tokens per second. Default twice `ratePerSecond`. */
  connectionRatePerSecond: number;
  /** Open connections per IP. */
  maxConnectionsPerIp: number;
  /** Open connections in total. */
  maxConnections: number;
  /** Whether repeat offenders are banned. */
  ban: boolean;
  /** Rate-limit refusals within `banWindow` seconds that trigger a ban. */
  banAfter: number;
  /** Window for counting refusals, seconds. */
  banWindow: number;
  /** First ban, seconds (doubles each time). */
  banSeconds: number;
  /** Longest ban, seconds. */
  banMaxSeconds: number;
}

/** Options a location may override. */
export interface LocationConfig {
  /** Path pattern (see `matchPath`). */
  path: string;
  /** Directory served for this location, instead of the host's root. */
  root?: string;
  /** Generate directory listings. */
  listing?: boolean;
  /** `lang` parameter of text/gemini responses. */
  lang?: string;
  /** `charset` parameter of text responses. */
  charset?: string;
  /** Media type for unknown extensions. */
  defaultMime?: string;
  /** Media types by extension. */
  mime: Record<string, string>;
  /** Answer 60 unless the client sends a certificate. */
  requireClientCertificate: boolean;
  /** Index file names. */
  index?: string[];
  /** Largest file served, bytes. */
  maxFileSize?: number;
  /** An extra per-IP rate limit for this location. */
  rate?: { burst: number; perSecond: number };
  /** META of the `60` answer when a certificate is required. */
  certificatePrompt?: string;
  /** Certificate fingerprints (SPKI or whole-certificate SHA-256) allowed in (else 61). */
  allowFingerprints?: string[];
  /** File with allowed fingerprints, one per line (`#` comments). */
  allowFile?: string;
  /** PEM file of CA certificates whose issued client certificates are allowed in. */
  caFile?: string;
  /** CGI programs for this location. */
  cgi?: CgiLocationConfig;
  /** Titan uploads into this location. */
  titan?: TitanLocationConfig;
  /** Reverse proxy to an upstream Gemini server. */
  proxy?: ProxyLocationConfig;
  /** Redirect and gone rules for this location (`[[host.location.rule]]`). */
  rules?: RuleConfig[];
  /** Media type overrides for this location (`[[host.location.override]]`). */
  overrides?: OverrideConfig[];
}

/** CGI settings of a location (`cgi`, `cgi_program`, `cgi_timeout`, `cgi_env`). */
export interface CgiLocationConfig {
  /** Directory of CGI programs. */
  root?: string;
  /** One program answering the whole location. */
  program?: string;
  /** Seconds a program may run. */
  timeout: number;
  /** Extra environment variables. */
  env: Record<string, string>;
}

/** Titan settings of a location (the `titan_*` keys). */
export interface TitanLocationConfig {
  /** Directory uploads go to (default: the location's or host's root). */
  root?: string;
  /** Accepted tokens. */
  tokens: string[];
  /** Fingerprints of client certificates allowed to upload. */
  allow: string[];
  /** Require both a token and an allowed certificate. */
  requireBoth: boolean;
  /** Accept uploads without any token or certificate. */
  anonymous: boolean;
  /** Largest upload, bytes. */
  maxSize: number;
  /** Accepted media types (`text/*` allowed); empty = any. */
  mime: string[];
  /** Whether `size=0` deletes. */
  delete: boolean;
  /** Seconds to receive the body. */
  timeout: number;
}

/** Reverse-proxy settings of a location (`proxy` and the `proxy_*` keys). */
export interface ProxyLocationConfig {
  /** `host[:port]` of the upstream. */
  upstream: string;
  /** SNI name sent upstream. */
  sni?: string;
  /** Pinned upstream fingerprints; empty = trust on first use. */
  fingerprints: string[];
  /** Client certificate file presented upstream. */
  cert?: string;
  /** Its key file. */
  key?: string;
  /** Seconds for the connection and the upstream's header. */
  timeout: number;
  /** Send the URL with the upstream's host and port. */
  rewriteUrl: boolean;
}

/** A redirect or gone rule of a host (`[[host.rule]]`). */
export interface RuleConfig {
  /** Regular expression on the decoded path. */
  match: string;
  /** Redirect target (`$1`, `$<name>` expand). */
  redirect?: string;
  /** `31` instead of `30`. */
  permanent?: boolean;
  /** Answer `52` with this META. */
  gone?: string;
}

/** A media type override of a host (`[[host.override]]`). */
export interface OverrideConfig {
  /** Regular expression on the decoded path. */
  match: string;
  /** Media type. */
  mime?: string;
  /** `lang` parameter (`""` removes it). */
  lang?: string;
  /** `charset` parameter (`""` removes it). */
  charset?: string;
}

/** A virtual host. */
export interface HostConfig {
  /** The main name (also the certificate's name when one is generated). */
  name: string;
  /** Other names served with the same content and certificate. */
  aliases: string[];
  /** Directory served; `undefined` serves the built-in capsule. */
  root?: string;
  /** Certificate file (PEM); generated per host when absent. */
  cert?: string;
  /** Private key file (PEM). */
  key?: string;
  /** `lang` parameter of text/gemini responses. */
  lang?: string;
  /** `charset` parameter of text responses. */
  charset?: string;
  /** Media type for unknown extensions. */
  defaultMime: string;
  /** Media types by extension. */
  mime: Record<string, string>;
  /** Generate directory listings. */
  listing: boolean;
  /** Index file names. */
  index: string[];
  /** Serve symlinks that point outside the root. */
  followSymlinks: boolean;
  /** Largest file served, bytes. */
  maxFileSize: number;
  /** Locations, first match wins. */
  locations: LocationConfig[];
  /** Redirect and gone rules, tried before the locations. */
  rules?: RuleConfig[];
  /** Media type overrides of successful replies. */
  overrides?: OverrideConfig[];
}

/**
 * When `gemini serve` replaces a worker with a fresh one (see README, "Worker recycling"):
 * past any threshold that is not 0.
 */
export interface RecycleConfig {
  /**
   * Connections whose TLS handshake never finished, since the worker started; `"auto"`:
   * 1000 on the `deno` backend (where an idle one keeps a file descriptor until its worker
   * ends), off on the `node` backend (where they keep nothing).
   */
  handshakeFailures: number | "auto";
  /** JavaScript heap in use by the worker, bytes. */
  heap: number;
  /** Age of the worker, seconds. */
  age: number;
  /** The youngest a worker may be when it is recycled, seconds. */
  minInterval: number;
  /**
   * Resident memory of the whole server above its size at rest, bytes, at which a quiet
   * server (a few new connections a second at most) recycles one worker.
   */
  memory: number;
}

/** The defaults of {@linkcode RecycleConfig}, chosen from measurements (README). */
export const DEFAULT_RECYCLE: Readonly<RecycleConfig> = Object.freeze({
  handshakeFailures: "auto",
  heap: 192 * 1024 * 1024,
  age: 86_400,
  minInterval: 10,
  memory: 24 * 1024 * 1024,
});

/** The whole, validated configuration with defaults filled in. */
export interface ServerConfig {
  /** Addresses to listen on. */
  listen: ListenConfig[];
  /**
   * Workers (each a Web Worker with its own accept loop) sharing the port and the limits;
   * `"auto"` is one per CPU. Default 1.
   */
  workers: number | "auto";
  /** The port request URLs must name; default the listening port. */
  publicPort?: number;
  /** TLS backend. */
  backend: "node" | "deno";
  /** When workers are replaced by fresh ones. */
  recycle: RecycleConfig;
  /** Access log format. */
  logFormat: "text" | "json";
  /** Whether client IPs appear in the access log. */
  logIp: boolean;
  /** Seconds for the TLS handshake and the request line. */
  requestTimeout: number;
  /** Seconds for the whole response. */
  responseTimeout: number;
  /** Seconds that requests in flight get at shutdown. */
  shutdownTimeout: number;
  /** Limits. */
  limits: LimitsConfig;
  /** Virtual hosts; the first is the default. */
  hosts: HostConfig[];
}

/** A configuration error with the place it was found. */
export class ConfigError extends Error {
  /** The file (or `<flags>` for command-line settings). */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line: number | undefined;
  /** The dotted key, e.g. `host[1].location[0].lang`. */
  readonly key: string | undefined;

  /** Creates an error for `key` at `line` of `file`. */
  constructor(
    file: string,
    line: number | undefined,
    key: string | undefined,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(
      `${file}${line ? `:${line}` : ""}: ${key ? `${key}: ` : ""}${problem}`,
      options,
    );
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
    this.key = key;
  }
}

/** The defaults of every global setting. */
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  rate: true,
  rateBurst: 20,
  ratePerSecond: 2,
  connectionRate: true,
  connectionRateBurst: 40,
  connectionRatePerSecond: 4,
  maxConnectionsPerIp: 32,
  maxConnections: 1024,
  ban: true,
  banAfter: 20,
  banWindow: 60,
  banSeconds: 60,
  banMaxSeconds: 86_400,
});

/** Default largest file served: 1 GiB. */
export const DEFAULT_MAX_FILE_SIZE = 1024 ** 3;

/**
 * Parses a listen address: `1.2.3.4:1965`, `[::1]:1965`, `::1`, `[::]`, `0.0.0.0` or
 * `:1965` (all IPv4 interfaces).
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./config.ts";
 * console.assert(parseListenAddress("[::1]:1966", 1965).hostname === "::1");
 * console.assert(parseListenAddress("127.0.0.1", 1965).port === 1965);
 * ```
 */
export function parseListenAddress(text: string, defaultPort: number): ListenConfig {
  const t = text.trim();
  let host: string;
  let port: string | undefined;
  const bracket = /^\[([0-9A-Fa-f:.%a-z]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1];
    port = bracket[2];
  } else if ((t.match(/:/g) ?? []).length > 1) {
    host = t; // bare IPv6 without port
  } else {
    const colon = t.lastIndexOf(":");
    host = colon < 0 ? t : t.slice(0, colon);
    port = colon < 0 ? undefined : t.slice(colon + 1);
  }
  if (host === "") host = "0.0.0.0";
  if (isIP(host) === 0 && host !== "localhost") {
    throw new SyntaxError(`Listen address ${JSON.stringify(text)} is not an IP address`);
  }
  const n = port === undefined ? defaultPort : Number(port);
  if (port !== undefined && !/^\d{1,5}$/.test(port) || !(n >= 0 && n <= 65535)) {
    throw new SyntaxError(`Listen address ${JSON.stringify(text)} has an invalid port`);
  }
  return { hostname: host === "localhost" ? "127.0.0.1" : host, port: n };
}

/**
 * Formats a listen address as `host:port` (`[v6]:port`).
 *
 * @example
 * ```ts
 * import { formatListenAddress } from "./config.ts";
 * console.assert(formatListenAddress({ hostname: "::", port: 1965 }) === "[::]:1965");
 * ```
 */
export function formatListenAddress(a: ListenConfig): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/**
 * Parses a size: a number of bytes or a number with a unit (`B`, `K`/`KB`/`KiB`, `M`,
 * `G`; all binary).
 *
 * @example
 * ```ts
 * import { parseSize } from "./config.ts";
 * console.assert(parseSize("10 MiB") === 10485760 && parseSize(512) === 512 && parseSize("2k") === 2048);
 * ```
 */
export function parseSize(value: string | number): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new RangeError(`Size ${value} is not a whole number of bytes`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) throw new SyntaxError(`Size ${JSON.stringify(value)} is not a number with a unit`);
  const power = ["", "k", "m", "g", "t"].indexOf(m[2].toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

// ---------------------------------------------------------------------------------------
// locating keys

/** Finds the line of `key` inside the table instance `table` (e.g. `host.location`, index). */
function lineOf(source: string, path: (string | number)[]): number | undefined {
  // path like ["host", 1, "location", 0, "lang"] or ["limits", "rate_burst"] or ["listen"]
  const tablePath: string[] = [];
  const indices: number[] = [];
  for (const p of path.slice(0, -1)) {
    if (typeof p === "number") indices.push(p);
    else tablePath.push(p);
  }
  const key = path[path.length - 1];
  const wantTable = tablePath.join(".");
  const counters = new Map<string, number>();
  let current = "";
  let currentIdx: number[] = [];
  const lines = source.split("\n");
  let tableLine: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const arr = /^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]/.exec(line);
    const tbl = arr ? null : /^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]/.exec(line);
    if (arr || tbl) {
      current = (arr ?? tbl)![1];
      if (arr) {
        const n = (counters.get(current) ?? -1) + 1;
        counters.set(current, n);
        // Nested arrays restart when their parent advances.
        for (const k of counters.keys()) {
          if (k.startsWith(current + ".")) counters.delete(k);
        }
      }
      const parts = current.split(".");
      currentIdx = parts.map((_, j) => counters.get(parts.slice(0, j + 1).join(".")) ?? 0)
        .filter((_, j) => counters.has(parts.slice(0, j + 1).join(".")));
      if (current === wantTable && sameIndices(currentIdx, indices)) tableLine = i + 1;
      continue;
    }
    if (current !== wantTable || !sameIndices(currentIdx, indices)) continue;
    if (typeof key !== "string") return tableLine;
    const m = /^\s*("?)([A-Za-z0-9_-]+)\1\s*=/.exec(line);
    if (m && m[2] === key) return i + 1;
  }
  return typeof key === "number" || key === undefined ? tableLine : tableLine;
}

function sameIndices(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function keyName(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

// ---------------------------------------------------------------------------------------
// validation

type Table = Record<string, unknown>;

class Reader {
  constructor(readonly file: string, readonly source: string) {}

  fail(path: (string | number)[], problem: string, cause?: unknown): never {
    let line: number | undefined;
    // A key inside an inline table is reported at the line of the table's key.
    for (let n = path.length; n > 0 && line === undefined; n--) {
      if (typeof path[n - 1] === "string") line = lineOf(this.source, path.slice(0, n));
    }
    throw new ConfigError(
      this.file,
      line,
      keyName(path),
      problem,
      cause === undefined ? undefined : { cause },
    );
  }

  table(value: unknown, path: (string | number)[], allowed: string[]): Table {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, "must be a table");
    }
    for (const k of Object.keys(value as Table)) {
      if (!allowed.includes(k)) {
        const hint = allowed.find((a) => a.replaceAll("_", "") === k.replaceAll(/[-_]/g, ""));
        this.fail([...path, k], `unknown key${hint ? ` (did you mean ${hint}?)` : ""}`);
      }
    }
    return value as Table;
  }

  string(t: Table, path: (string | number)[], key: string): string | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") this.fail([...path, key], "must be a non-empty string");
    return v;
  }

  bool(t: Table, path: (string | number)[], key: string): boolean | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") this.fail([...path, key], "must be true or false");
    return v;
  }

  number(
    t: Table,
    path: (string | number)[],
    key: string,
    min: number,
    integer = true,
  ): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !(v >= min) || (integer && !Number.isInteger(v))) {
      this.fail([...path, key], `must be ${integer ? "a whole number" : "a number"} >= ${min}`);
    }
    return v;
  }

  strings(t: Table, path: (string | number)[], key: string): string[] | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) {
      this.fail([...path, key], "must be a list of non-empty strings");
    }
    return v as string[];
  }

  size(t: Table, path: (string | number)[], key: string): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    try {
      return parseSize(v as string | number);
    } catch (error) {
      this.fail([...path, key], (error as Error).message, error);
    }
  }

  regex(t: Table, path: (string | number)[], key: string): string | undefined {
    const v = this.string(t, path, key);
    if (v === undefined) return undefined;
    try {
      new RegExp(v, "u");
    } catch (error) {
      this.fail([...path, key], `is not a valid regular expression: ${(error as Error).message}`);
    }
    return v;
  }

  fingerprints(t: Table, path: (string | number)[], key: string): string[] | undefined {
    const list = this.strings(t, path, key);
    if (list === undefined) return undefined;
    return list.map((f) => {
      const hex = normalizeFingerprint(f);
      if (!/^[0-9a-f]{64}$/.test(hex)) {
        this.fail([...path, key], `${JSON.stringify(f)} is not a SHA-256 fingerprint`);
      }
      return hex;
    });
  }

  env(t: Table, path: (string | number)[], key: string): Record<string, string> | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    const table = this.table(v, [...path, key], Object.keys(v as Table));
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(table)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || typeof value !== "string") {
        this.fail([...path, key, name], 'must be NAME = "string"');
      }
      out[name] = value;
    }
    return out;
  }

  mime(t: Table, path: (string | number)[]): Record<string, string> {
    const v = t.mime;
    if (v === undefined) return {};
    const table = this.table(v, [...path, "mime"], Object.keys(v as Table));
    const out: Record<string, string> = {};
    for (const [ext, type] of Object.entries(table)) {
      if (typeof type !== "string" || !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(type)) {
        this.fail([...path, "mime", ext], "must be a media type such as text/plain");
      }
      out[ext.replace(/^\./, "").toLowerCase()] = type;
    }
    return out;
  }
}

const GLOBAL_KEYS = [
  "listen",
  "proxy_protocol",
  "proxy_from",
  "workers",
  "port",
  "public_port",
  "backend",
  "log_format",
  "log_ip",
  "request_timeout",
  "response_timeout",
  "shutdown_timeout",
  "limits",
  "recycle",
  "host",
];
const RECYCLE_KEYS = ["handshake_failures", "heap", "age", "min_interval", "memory"];
const LIMIT_KEYS = [
  "rate",
  "rate_burst",
  "rate_per_second",
  "connection_rate",
  "connection_rate_burst",
  "connection_rate_per_second",
  "max_connections_per_ip",
  "max_connections",
  "ban",
  "ban_after",
  "ban_window",
  "ban_seconds",
  "ban_max_seconds",
];
const HOST_KEYS = [
  "name",
  "aliases",
  "root",
  "cert",
  "key",
  "lang",
  "charset",
  "default_mime",
  "mime",
  "listing",
  "index",
  "follow_symlinks",
  "max_file_size",
  "location",
  "rule",
  "override",
];
const LOCATION_KEYS = [
  "path",
  "root",
  "listing",
  "lang",
  "charset",
  "default_mime",
  "mime",
  "require_client_certificate",
  "index",
  "max_file_size",
  "rate_burst",
  "rate_per_second",
  "certificate_prompt",
  "allow_fingerprints",
  "allow_file",
  "ca_file",
  "cgi",
  "cgi_program",
  "cgi_timeout",
  "cgi_env",
  "titan",
  "titan_root",
  "titan_tokens",
  "titan_allow_fingerprints",
  "titan_require_both",
  "titan_anonymous",
  "titan_max_size",
  "titan_mime",
  "titan_delete",
  "titan_timeout",
  "proxy",
  "proxy_sni",
  "proxy_fingerprints",
  "proxy_cert",
  "proxy_key",
  "proxy_timeout",
  "proxy_rewrite_url",
  "rule",
  "override",
];
const RULE_KEYS = ["match", "redirect", "permanent", "gone"];
const OVERRIDE_KEYS = ["match", "mime", "lang", "charset"];

/** Options for {@linkcode parseConfig}. */
export interface ParseConfigOptions {
  /** File name used in error messages. Default `config.toml`. */
  file?: string;
  /** Directory relative `root`, `cert` and `key` paths are resolved against. */
  baseDir?: string;
}

function resolvePath(path: string | undefined, baseDir: string | undefined): string | undefined {
  if (path === undefined || baseDir === undefined || path.startsWith("/")) return path;
  return `${baseDir.replace(/\/$/, "")}/${path}`;
}

/**
 * Parses TOML text into a document without validating it. Throws a
 * {@linkcode ConfigError} with the line for invalid TOML.
 *
 * @example
 * ```ts
 * import { parseConfigDocument } from "./config.ts";
 * console.assert(parseConfigDocument("port = 1966\n", "a.toml").port === 1966);
 * ```
 */
export function parseConfigDocument(source: string, file: string): Record<string, unknown> {
  try {
    return parse(source) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new ConfigError(file, error.line, undefined, `invalid TOML: ${first}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Parses and validates a configuration file's text.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig('[[host]]\nname = "example.org"\nroot = "/srv/gemini"\n');
 * console.assert(config.hosts[0].name === "example.org" && config.listen[0].port === 1965);
 * try {
 *   parseConfig('[[host]]\nname = "a"\nlisting = "yes"\n', { file: "gemini.toml" });
 * } catch (error) {
 *   console.assert((error as Error).message === "gemini.toml:3: host[0].listing: must be true or false");
 * }
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
 * and fills in defaults. `gemini serve` uses it to merge command-line flags into a file.
 *
 * @example
 * ```ts
 * import { configFromDocument } from "./config.ts";
 * const config = configFromDocument({ port: 1966, host: [{ name: "localhost" }] });
 * console.assert(config.listen[0].port === 1966);
 * ```
 */
export function configFromDocument(
  doc: Record<string, unknown>,
  options: ConfigFromDocumentOptions = {},
): ServerConfig {
  const file = options.file ?? "config.toml";
  const r = new Reader(file, options.source ?? "");
  r.table(doc, [], GLOBAL_KEYS);

  const port = r.number(doc, [], "port", 0) ?? 1965;
  if (port > 65535) r.fail(["port"], "must be a port number (0-65535)");
  // listen: strings, or inline tables { address, proxy_protocol, proxy_from } that set the
  // PROXY protocol per address (the global proxy_protocol / proxy_from are the defaults).
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
  const workers = doc.workers === "auto" ? "auto" : r.number(doc, [], "workers", 1) ?? 1;
  if (workers !== "auto" && (!Number.isInteger(workers) || workers > 256)) {
    r.fail(["workers"], 'must be a whole number from 1 to 256, or "auto"');
  }
  const publicPort = r.number(doc, [], "public_port", 1);
  const backend = r.string(doc, [], "backend") ?? "node";
  if (backend !== "node" && backend !== "deno") r.fail(["backend"], 'must be "node" or "deno"');
  const logFormat = r.string(doc, [], "log_format") ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    r.fail(["log_format"], 'must be "text" or "json"');
  }

  const limitsTable = doc.limits === undefined ? {} : r.table(doc.limits, ["limits"], LIMIT_KEYS);
  const lp = ["limits"];
  const rate = r.bool(limitsTable, lp, "rate") ?? DEFAULT_LIMITS.rate;
  const rateBurst = r.number(limitsTable, lp, "rate_burst", 1) ?? DEFAULT_LIMITS.rateBurst;
  const ratePerSecond = r.number(limitsTable, lp, "rate_per_second", 0.001, false) ??
    DEFAULT_LIMITS.ratePerSecond;
  const limits: LimitsConfig = {
    rate,
    rateBurst,
    ratePerSecond,
    // Twice the request rate unless set, so that a client over the request rate is still
    // told 44 before its connections are refused.
    connectionRate: r.bool(limitsTable, lp, "connection_rate") ?? rate,
    connectionRateBurst: r.number(limitsTable, lp, "connection_rate_burst", 1) ??
      2 * rateBurst,
    connectionRatePerSecond:
      r.number(limitsTable, lp, "connection_rate_per_second", 0.001, false) ??
        2 * ratePerSecond,
    maxConnectionsPerIp: r.number(limitsTable, lp, "max_connections_per_ip", 1) ??
      DEFAULT_LIMITS.maxConnectionsPerIp,
    maxConnections: r.number(limitsTable, lp, "max_connections", 1) ??
      DEFAULT_LIMITS.maxConnections,
    ban: r.bool(limitsTable, lp, "ban") ?? DEFAULT_LIMITS.ban,
    banAfter: r.number(limitsTable, lp, "ban_after", 1) ?? DEFAULT_LIMITS.banAfter,
    banWindow: r.number(limitsTable, lp, "ban_window", 1) ?? DEFAULT_LIMITS.banWindow,
    banSeconds: r.number(limitsTable, lp, "ban_seconds", 1) ?? DEFAULT_LIMITS.banSeconds,
    banMaxSeconds: r.number(limitsTable, lp, "ban_max_seconds", 1) ??
      DEFAULT_LIMITS.banMaxSeconds,
  };

  const recycleTable = doc.recycle === undefined
    ? {}
    : r.table(doc.recycle, ["recycle"], RECYCLE_KEYS);
  const rp = ["recycle"];
  const recycle: RecycleConfig = {
    handshakeFailures: recycleTable.handshake_failures === "auto"
      ? "auto"
      : r.number(recycleTable, rp, "handshake_failures", 0) ?? DEFAULT_RECYCLE.handshakeFailures,
    heap: r.size(recycleTable, rp, "heap") ?? DEFAULT_RECYCLE.heap,
    age: r.number(recycleTable, rp, "age", 0, false) ?? DEFAULT_RECYCLE.age,
    minInterval: r.number(recycleTable, rp, "min_interval", 0, false) ??
      DEFAULT_RECYCLE.minInterval,
    memory: r.size(recycleTable, rp, "memory") ?? DEFAULT_RECYCLE.memory,
  };

  const hostsRaw = (doc.host ?? []) as unknown[];
  if (!Array.isArray(hostsRaw)) r.fail(["host"], "must be an array of tables ([[host]])");
  if (hostsRaw.length === 0) {
    throw new ConfigError(file, undefined, "host", "at least one [[host]] is needed");
  }
  const seen = new Map<string, string>();
  const hosts = hostsRaw.map((raw: unknown, i: number): HostConfig => {
    const p: (string | number)[] = ["host", i];
    const t = r.table(raw, p, HOST_KEYS);
    const name = r.string(t, p, "name") ?? r.fail([...p, "name"], "is required");
    const aliases = r.strings(t, p, "aliases") ?? [];
    for (const n of [name, ...aliases]) {
      const lower = n.toLowerCase();
      if (!/^(\*\.)?[a-z0-9.-]+$|^[0-9a-f:.]+$/i.test(n)) {
        r.fail([...p, n === name ? "name" : "aliases"], `${JSON.stringify(n)} is not a host name`);
      }
      if (seen.has(lower)) {
        r.fail(
          [...p, n === name ? "name" : "aliases"],
          `${n} is already served by ${seen.get(lower)}`,
        );
      }
      seen.set(lower, `host[${i}]`);
    }
    const cert = r.string(t, p, "cert");
    const key = r.string(t, p, "key");
    if ((cert === undefined) !== (key === undefined)) {
      r.fail([...p, cert === undefined ? "key" : "cert"], "cert and key go together");
    }
    const locationsRaw = (t.location ?? []) as unknown[];
    if (!Array.isArray(locationsRaw)) {
      r.fail([...p, "location"], "must be an array of tables ([[host.location]])");
    }
    const locations = locationsRaw.map((lraw: unknown, j: number): LocationConfig => {
      const q = [...p, "location", j];
      const l = r.table(lraw, q, LOCATION_KEYS);
      const path = r.string(l, q, "path") ?? r.fail([...q, "path"], "is required");
      if (!path.startsWith("/") && !path.startsWith("*")) {
        r.fail([...q, "path"], 'must start with "/" or "*"');
      }
      const burst = r.number(l, q, "rate_burst", 1);
      const perSecond = r.number(l, q, "rate_per_second", 0.001, false);
      if ((burst === undefined) !== (perSecond === undefined)) {
        r.fail(
          [...q, burst === undefined ? "rate_per_second" : "rate_burst"],
          "rate_burst and rate_per_second go together",
        );
      }
      return dropUndefined({
        path,
        root: resolvePath(r.string(l, q, "root"), options.baseDir),
        listing: r.bool(l, q, "listing"),
        lang: r.string(l, q, "lang"),
        charset: r.string(l, q, "charset"),
        defaultMime: r.string(l, q, "default_mime"),
        mime: r.mime(l, q),
        requireClientCertificate: r.bool(l, q, "require_client_certificate") ?? false,
        index: r.strings(l, q, "index"),
        maxFileSize: r.size(l, q, "max_file_size"),
        rate: burst !== undefined && perSecond !== undefined ? { burst, perSecond } : undefined,
        ...dynamicLocation(r, l, q, options.baseDir),
      });
    });
    const rules = readRules(r, t.rule, [...p, "rule"]);
    const overrides = readOverrides(r, t.override, [...p, "override"]);
    return dropUndefined({
      name: name.toLowerCase(),
      aliases: aliases.map((a) => a.toLowerCase()),
      root: resolvePath(r.string(t, p, "root"), options.baseDir),
      cert: resolvePath(cert, options.baseDir),
      key: resolvePath(key, options.baseDir),
      lang: r.string(t, p, "lang"),
      charset: r.string(t, p, "charset"),
      defaultMime: r.string(t, p, "default_mime") ?? "application/octet-stream",
      mime: r.mime(t, p),
      listing: r.bool(t, p, "listing") ?? false,
      index: r.strings(t, p, "index") ?? ["index.gmi"],
      followSymlinks: r.bool(t, p, "follow_symlinks") ?? false,
      maxFileSize: r.size(t, p, "max_file_size") ?? DEFAULT_MAX_FILE_SIZE,
      locations,
      rules: rules.length > 0 ? rules : undefined,
      overrides: overrides.length > 0 ? overrides : undefined,
    });
  });

  return dropUndefined({
    listen,
    workers,
    recycle,
    publicPort,
    backend,
    logFormat,
    logIp: r.bool(doc, [], "log_ip") ?? true,
    requestTimeout: r.number(doc, [], "request_timeout", 0.001, false) ?? 10,
    responseTimeout: r.number(doc, [], "response_timeout", 0.001, false) ?? 300,
    shutdownTimeout: r.number(doc, [], "shutdown_timeout", 0, false) ?? 10,
    limits,
    hosts,
  }) as ServerConfig;
}

/** Reads `[[...rule]]` tables. */
function readRules(r: Reader, value: unknown, path: (string | number)[]): RuleConfig[] {
  return tableList(r, value, path).map((raw, j): RuleConfig => {
    const q = [...path, j];
    const rt = r.table(raw, q, RULE_KEYS);
    const match = r.regex(rt, q, "match") ?? r.fail([...q, "match"], "is required");
    const redirect = r.string(rt, q, "redirect");
    const goneValue = rt.gone;
    let gone: string | undefined;
    if (goneValue === true) gone = "Gone";
    else if (typeof goneValue === "string" && goneValue !== "") gone = goneValue;
    else if (goneValue !== undefined && goneValue !== false) {
      r.fail([...q, "gone"], "must be true or a message");
    }
    if ((redirect === undefined) === (gone === undefined)) {
      r.fail(
        [...q, redirect === undefined ? "match" : "gone"],
        "needs exactly one of redirect and gone",
      );
    }
    const permanent = r.bool(rt, q, "permanent");
    if (permanent !== undefined && redirect === undefined) {
      r.fail([...q, "permanent"], "only applies to redirect rules");
    }
    return dropUndefined({ match, redirect, permanent, gone });
  });
}

/** Reads `[[...override]]` tables. */
function readOverrides(r: Reader, value: unknown, path: (string | number)[]): OverrideConfig[] {
  return tableList(r, value, path).map(
    (raw, j): OverrideConfig => {
      const q = [...path, j];
      const ot = r.table(raw, q, OVERRIDE_KEYS);
      const match = r.regex(ot, q, "match") ?? r.fail([...q, "match"], "is required");
      const mime = r.string(ot, q, "mime");
      if (mime !== undefined && !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(mime)) {
        r.fail([...q, "mime"], "must be a media type such as text/plain");
      }
      const lang = ot.lang === "" ? "" : r.string(ot, q, "lang");
      const charset = ot.charset === "" ? "" : r.string(ot, q, "charset");
      if (mime === undefined && lang === undefined && charset === undefined) {
        r.fail([...q, "match"], "an override needs mime, lang or charset");
      }
      return dropUndefined({ match, mime, lang, charset });
    },
  );
}

function tableList(r: Reader, value: unknown, path: (string | number)[]): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) r.fail(path, `must be an array of tables ([[${path.join(".")}]])`);
  return value;
}

/** Reads the access, CGI, Titan and proxy keys of a location. */
function dynamicLocation(
  r: Reader,
  l: Table,
  q: (string | number)[],
  baseDir: string | undefined,
): Partial<LocationConfig> {
  const out: Partial<LocationConfig> = {
    certificatePrompt: r.string(l, q, "certificate_prompt"),
    allowFingerprints: r.fingerprints(l, q, "allow_fingerprints"),
    allowFile: resolvePath(r.string(l, q, "allow_file"), baseDir),
    caFile: resolvePath(r.string(l, q, "ca_file"), baseDir),
  };
  const rules = readRules(r, l.rule, [...q, "rule"]);
  const overrides = readOverrides(r, l.override, [...q, "override"]);
  if (rules.length > 0) out.rules = rules;
  if (overrides.length > 0) out.overrides = overrides;
  const cgiRoot = resolvePath(r.string(l, q, "cgi"), baseDir);
  const cgiProgram = resolvePath(r.string(l, q, "cgi_program"), baseDir);
  const proxy = r.string(l, q, "proxy");
  const handlers = [cgiRoot && "cgi", cgiProgram && "cgi_program", proxy && "proxy"].filter(
    Boolean,
  );
  if (handlers.length > 1) {
    r.fail([...q, handlers[1] as string], `cannot be combined with ${handlers[0]}`);
  }
  const cgiTimeout = r.number(l, q, "cgi_timeout", 0.001, false);
  const cgiEnv = r.env(l, q, "cgi_env");
  if (cgiRoot !== undefined || cgiProgram !== undefined) {
    out.cgi = dropUndefined({
      root: cgiRoot,
      program: cgiProgram,
      timeout: cgiTimeout ?? 10,
      env: cgiEnv ?? {},
    });
  } else if (cgiTimeout !== undefined || cgiEnv !== undefined) {
    r.fail(
      [...q, cgiTimeout !== undefined ? "cgi_timeout" : "cgi_env"],
      "needs cgi or cgi_program",
    );
  }
  const titanKeys = Object.keys(l).filter((k) => k.startsWith("titan_"));
  const titan = r.bool(l, q, "titan");
  if (titan) {
    if (proxy !== undefined) r.fail([...q, "titan"], "cannot be combined with proxy");
    out.titan = dropUndefined({
      root: resolvePath(r.string(l, q, "titan_root"), baseDir),
      tokens: r.strings(l, q, "titan_tokens") ?? [],
      allow: r.fingerprints(l, q, "titan_allow_fingerprints") ?? [],
      requireBoth: r.bool(l, q, "titan_require_both") ?? false,
      anonymous: r.bool(l, q, "titan_anonymous") ?? false,
      maxSize: r.size(l, q, "titan_max_size") ?? 10 * 1024 * 1024,
      mime: r.strings(l, q, "titan_mime") ?? [],
      delete: r.bool(l, q, "titan_delete") ?? false,
      timeout: r.number(l, q, "titan_timeout", 0.001, false) ?? 60,
    });
    if (
      out.titan.tokens.length === 0 && out.titan.allow.length === 0 && !out.titan.anonymous
    ) {
      r.fail(
        [...q, "titan"],
        "needs titan_tokens, titan_allow_fingerprints or titan_anonymous = true",
      );
    }
  } else if (titanKeys.length > 0) {
    r.fail([...q, titanKeys[0]], "needs titan = true");
  }
  const proxyKeys = Object.keys(l).filter((k) => k.startsWith("proxy_"));
  if (proxy !== undefined) {
    if (!/^(\[[0-9A-Fa-f:.]+\]|[^:\[\]\s]+)(:\d{1,5})?$/.test(proxy)) {
      r.fail([...q, "proxy"], "must be host or host:port");
    }
    const cert = resolvePath(r.string(l, q, "proxy_cert"), baseDir);
    const key = resolvePath(r.string(l, q, "proxy_key"), baseDir);
    if ((cert === undefined) !== (key === undefined)) {
      r.fail(
        [...q, cert === undefined ? "proxy_key" : "proxy_cert"],
        "proxy_cert and proxy_key go together",
      );
    }
    out.proxy = dropUndefined({
      upstream: proxy,
      sni: r.string(l, q, "proxy_sni"),
      fingerprints: r.fingerprints(l, q, "proxy_fingerprints") ?? [],
      cert,
      key,
      timeout: r.number(l, q, "proxy_timeout", 0.001, false) ?? 10,
      rewriteUrl: r.bool(l, q, "proxy_rewrite_url") ?? false,
    });
  } else if (proxyKeys.length > 0) {
    r.fail([...q, proxyKeys[0]], "needs proxy");
  }
  return out;
}

/** Reads a `proxy_from` list and checks every entry is an address or CIDR block. */
function checkProxyFrom(
  r: Reader,
  t: Table,
  path: (string | number)[],
  key: string,
): string[] | undefined {
  const list = r.strings(t, path, key);
  if (list === undefined) return undefined;
  try {
    allowList(list);
  } catch (error) {
    r.fail([...path, key], (error as Error).message, error);
  }
  return list;
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

/**
 * The effective configuration as TOML, every setting spelled out (what `--check` prints).
 * Parsing the result gives the same configuration back.
 *
 * @example
 * ```ts
 * import { formatConfig, parseConfig } from "./config.ts";
 * const config = parseConfig('[[host]]\nname = "example.org"\n');
 * console.assert(JSON.stringify(parseConfig(formatConfig(config))) === JSON.stringify(config));
 * ```
 */
export function formatConfig(config: ServerConfig): string {
  const l = config.limits;
  const doc: Record<string, unknown> = {
    listen: config.listen.map((a) =>
      a.proxyProtocol
        ? dropUndefined({
          address: formatListenAddress(a),
          proxy_protocol: true,
          proxy_from: a.proxyFrom,
        })
        : formatListenAddress(a)
    ),
    workers: config.workers,
    ...(config.publicPort === undefined ? {} : { public_port: config.publicPort }),
    backend: config.backend,
    log_format: config.logFormat,
    log_ip: config.logIp,
    request_timeout: config.requestTimeout,
    response_timeout: config.responseTimeout,
    shutdown_timeout: config.shutdownTimeout,
    limits: {
      rate: l.rate,
      rate_burst: l.rateBurst,
      rate_per_second: l.ratePerSecond,
      connection_rate: l.connectionRate,
      connection_rate_burst: l.connectionRateBurst,
      connection_rate_per_second: l.connectionRatePerSecond,
      max_connections_per_ip: l.maxConnectionsPerIp,
      max_connections: l.maxConnections,
      ban: l.ban,
      ban_after: l.banAfter,
      ban_window: l.banWindow,
      ban_seconds: l.banSeconds,
      ban_max_seconds: l.banMaxSeconds,
    },
    recycle: {
      handshake_failures: config.recycle.handshakeFailures,
      heap: config.recycle.heap,
      age: config.recycle.age,
      min_interval: config.recycle.minInterval,
      memory: config.recycle.memory,
    },
    host: config.hosts.map((h) =>
      dropUndefined({
        name: h.name,
        aliases: h.aliases,
        root: h.root,
        cert: h.cert,
        key: h.key,
        lang: h.lang,
        charset: h.charset,
        default_mime: h.defaultMime,
        listing: h.listing,
        index: h.index,
        follow_symlinks: h.followSymlinks,
        max_file_size: h.maxFileSize,
        mime: Object.keys(h.mime).length > 0 ? h.mime : undefined,
        location: h.locations.length === 0 ? undefined : h.locations.map((loc) =>
          dropUndefined({
            path: loc.path,
            root: loc.root,
            listing: loc.listing,
            lang: loc.lang,
            charset: loc.charset,
            default_mime: loc.defaultMime,
            require_client_certificate: loc.requireClientCertificate,
            index: loc.index,
            max_file_size: loc.maxFileSize,
            rate_burst: loc.rate?.burst,
            rate_per_second: loc.rate?.perSecond,
            certificate_prompt: loc.certificatePrompt,
            allow_fingerprints: loc.allowFingerprints,
            allow_file: loc.allowFile,
            ca_file: loc.caFile,
            cgi: loc.cgi?.root,
            cgi_program: loc.cgi?.program,
            cgi_timeout: loc.cgi?.timeout,
            titan: loc.titan ? true : undefined,
            titan_root: loc.titan?.root,
            titan_tokens: loc.titan?.tokens,
            titan_allow_fingerprints: loc.titan?.allow,
            titan_require_both: loc.titan?.requireBoth,
            titan_anonymous: loc.titan?.anonymous,
            titan_max_size: loc.titan?.maxSize,
            titan_mime: loc.titan?.mime,
            titan_delete: loc.titan?.delete,
            titan_timeout: loc.titan?.timeout,
            proxy: loc.proxy?.upstream,
            proxy_sni: loc.proxy?.sni,
            proxy_fingerprints: loc.proxy?.fingerprints,
            proxy_cert: loc.proxy?.cert,
            proxy_key: loc.proxy?.key,
            proxy_timeout: loc.proxy?.timeout,
            proxy_rewrite_url: loc.proxy?.rewriteUrl,
            mime: Object.keys(loc.mime).length > 0 ? loc.mime : undefined,
            cgi_env: loc.cgi && Object.keys(loc.cgi.env).length > 0 ? loc.cgi.env : undefined,
            rule: loc.rules,
            override: loc.overrides,
          })
        ),
        rule: h.rules,
        override: h.overrides,
      })
    ),
  };
  return stringify(doc).trimEnd() + "\n";
}
