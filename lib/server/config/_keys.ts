/**
 * The keys each table of the configuration file may hold. Internal to lib/server/config.
 *
 * @module
 */

/** Keys of the top level. */
export const GLOBAL_KEYS = [
  "listen",
  "proxy_protocol",
  "proxy_from",
  "workers",
  "port",
  "public_port",
  "backend",
  "log_format",
  "log_ip",
  "access_log",
  "error_log",
  "request_timeout",
  "response_timeout",
  "shutdown_timeout",
  "limits",
  "recycle",
  "host",
];
/** Keys of `[recycle]`. */
export const RECYCLE_KEYS = ["handshake_failures", "heap", "age", "min_interval", "memory"];
/** Keys of `[limits]`. */
export const LIMIT_KEYS = [
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
/** Keys of `[[host]]`. */
export const HOST_KEYS = [
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
/** Keys of `[[host.location]]`. */
export const LOCATION_KEYS = [
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
/** Keys of `[[host.rule]]` and `[[host.location.rule]]`. */
export const RULE_KEYS = ["match", "redirect", "permanent", "gone"];
/** Keys of `[[host.override]]` and `[[host.location.override]]`. */
export const OVERRIDE_KEYS = ["match", "mime", "lang", "charset"];
