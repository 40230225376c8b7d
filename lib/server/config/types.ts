/**
 * The shape of a validated `gemini serve` configuration: global settings, limits, recycling,
 * virtual hosts and their locations, with the defaults of each, and the error every
 * configuration problem is reported with.
 *
 * @module
 */

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
  /**
   * TLS backend. `"auto"` (default) chooses per listener: `Deno.listenTls` (`deno`) where
   * one certificate serves without client certificates or a PROXY header, `node:tls`
   * (`node`) elsewhere. `"node"` uses `node:tls` everywhere; `"deno"` means the same as
   * `"auto"` (the name configurations used before `"auto"` existed).
   */
  backend: "auto" | "node" | "deno";
  /** When workers are replaced by fresh ones. */
  recycle: RecycleConfig;
  /** Access log format. */
  logFormat: "text" | "json";
  /** Whether client IPs appear in the access log. */
  logIp: boolean;
  /** File the access log is appended to; `"-"` is standard output. */
  accessLog: string;
  /** File the error log (and start-up messages) is appended to; `"-"` is standard error. */
  errorLog: string;
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
