/**
 * Printing a configuration: the effective configuration as TOML with every setting
 * spelled out (what `gemini serve` prints to check a file), and listen addresses.
 *
 * @module
 */

import { stringify } from "smol-toml";
import { dropUndefined } from "./_reader.ts";
import type {
  HostConfig,
  LimitsConfig,
  ListenConfig,
  LocationConfig,
  RecycleConfig,
  ServerConfig,
} from "./types.ts";

/**
 * Formats a listen address as `host:port` (`[v6]:port`).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatListenAddress } from "./format.ts";
 * assert.equal(formatListenAddress({ hostname: "::", port: 1965 }), "[::]:1965");
 * assert.equal(formatListenAddress({ hostname: "127.0.0.1", port: 1966 }), "127.0.0.1:1966");
 * ```
 */
export function formatListenAddress(a: ListenConfig): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/**
 * The effective configuration as TOML, every setting spelled out. Parsing the result gives
 * the same configuration back.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatConfig } from "./format.ts";
 * import { parseConfig } from "./parse.ts";
 * const config = parseConfig('[[host]]\nname = "example.org"\n');
 * assert.deepEqual(parseConfig(formatConfig(config)), config);
 * assert.match(formatConfig(config), /^listen = \[ "0\.0\.0\.0:1965" \]$/m);
 * ```
 */
export function formatConfig(config: ServerConfig): string {
  const doc: Record<string, unknown> = {
    listen: config.listen.map(formatListen),
    workers: config.workers,
    ...(config.publicPort === undefined ? {} : { public_port: config.publicPort }),
    backend: config.backend,
    log_format: config.logFormat,
    log_ip: config.logIp,
    access_log: config.accessLog,
    error_log: config.errorLog,
    request_timeout: config.requestTimeout,
    response_timeout: config.responseTimeout,
    shutdown_timeout: config.shutdownTimeout,
    limits: formatLimits(config.limits),
    recycle: formatRecycle(config.recycle),
    host: config.hosts.map(formatHost),
  };
  return stringify(doc).trimEnd() + "\n";
}

/** A `listen` entry: the address, or an inline table when it expects a PROXY header. */
function formatListen(a: ListenConfig): unknown {
  return a.proxyProtocol
    ? dropUndefined({
      address: formatListenAddress(a),
      proxy_protocol: true,
      proxy_from: a.proxyFrom,
    })
    : formatListenAddress(a);
}

/** The `[limits]` table. */
function formatLimits(l: LimitsConfig): Record<string, unknown> {
  return {
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
  };
}

/** The `[recycle]` table. */
function formatRecycle(r: RecycleConfig): Record<string, unknown> {
  return {
    handshake_failures: r.handshakeFailures,
    heap: r.heap,
    age: r.age,
    min_interval: r.minInterval,
    memory: r.memory,
  };
}

/** One `[[host]]` table with its locations, rules and overrides. */
function formatHost(h: HostConfig): Record<string, unknown> {
  return dropUndefined({
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
    location: h.locations.length === 0 ? undefined : h.locations.map(formatLocation),
    rule: h.rules,
    override: h.overrides,
  });
}

/** One `[[host.location]]` table: its file settings, then access, CGI, Titan and proxy. */
function formatLocation(loc: LocationConfig): Record<string, unknown> {
  return dropUndefined({
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
    ...formatDynamic(loc),
    mime: Object.keys(loc.mime).length > 0 ? loc.mime : undefined,
    cgi_env: loc.cgi && Object.keys(loc.cgi.env).length > 0 ? loc.cgi.env : undefined,
    rule: loc.rules,
    override: loc.overrides,
  });
}

/** The `cgi*`, `titan*` and `proxy*` keys of a location, in that order. */
function formatDynamic(loc: LocationConfig): Record<string, unknown> {
  return {
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
  };
}
