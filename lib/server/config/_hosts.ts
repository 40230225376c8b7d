/**
 * Reading the `[[host]]` tables of a configuration document: names and files of each host,
 * its locations (file settings, then access, CGI, Titan and proxy), its rules and media
 * type overrides. Internal to lib/server/config.
 *
 * @module
 */

import type { TomlPath } from "../../files/toml.ts";
import { HOST_KEYS, LOCATION_KEYS, OVERRIDE_KEYS, RULE_KEYS } from "./_keys.ts";
import { dropUndefined, type Reader, resolvePath, type Table } from "./_reader.ts";
import {
  type CgiLocationConfig,
  ConfigError,
  DEFAULT_MAX_FILE_SIZE,
  type HostConfig,
  type LocationConfig,
  type OverrideConfig,
  type ProxyLocationConfig,
  type RuleConfig,
  type TitanLocationConfig,
} from "./types.ts";

/** Reads every `[[host]]`; at least one is needed and no name may be served twice. */
export function readHosts(
  r: Reader,
  value: unknown,
  baseDir: string | undefined,
): HostConfig[] {
  const hostsRaw = (value ?? []) as unknown[];
  if (!Array.isArray(hostsRaw)) r.fail(["host"], "must be an array of tables ([[host]])");
  if (hostsRaw.length === 0) {
    throw new ConfigError(r.file, undefined, "host", "at least one [[host]] is needed");
  }
  const seen = new Map<string, string>();
  return hostsRaw.map((raw: unknown, i: number) => readHost(r, raw, i, seen, baseDir));
}

/** Reads `[[host]]` number `i`; `seen` maps the names served so far to their host. */
function readHost(
  r: Reader,
  raw: unknown,
  i: number,
  seen: Map<string, string>,
  baseDir: string | undefined,
): HostConfig {
  const p: TomlPath = ["host", i];
  const t = r.table(raw, p, HOST_KEYS);
  const { name, aliases } = readNames(r, t, p, seen);
  const cert = r.string(t, p, "cert");
  const key = r.string(t, p, "key");
  if ((cert === undefined) !== (key === undefined)) {
    r.fail([...p, cert === undefined ? "key" : "cert"], "cert and key go together");
  }
  const locationsRaw = (t.location ?? []) as unknown[];
  if (!Array.isArray(locationsRaw)) {
    r.fail([...p, "location"], "must be an array of tables ([[host.location]])");
  }
  const locations = locationsRaw.map((raw: unknown, j: number) =>
    readLocation(r, raw, [...p, "location", j], baseDir)
  );
  const rules = readRules(r, t.rule, [...p, "rule"]);
  const overrides = readOverrides(r, t.override, [...p, "override"]);
  return dropUndefined({
    name: name.toLowerCase(),
    aliases: aliases.map((a) => a.toLowerCase()),
    root: resolvePath(r.string(t, p, "root"), baseDir),
    cert: resolvePath(cert, baseDir),
    key: resolvePath(key, baseDir),
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
}

/** The `name` and `aliases` of a host: host names not served by another host yet. */
function readNames(
  r: Reader,
  t: Table,
  p: TomlPath,
  seen: Map<string, string>,
): { name: string; aliases: string[] } {
  const name = r.string(t, p, "name") ?? r.fail([...p, "name"], "is required");
  const aliases = r.strings(t, p, "aliases") ?? [];
  for (const n of [name, ...aliases]) {
    const lower = n.toLowerCase();
    const key = n === name ? "name" : "aliases";
    if (!/^(\*\.)?[a-z0-9.-]+$|^[0-9a-f:.]+$/i.test(n)) {
      r.fail([...p, key], `${JSON.stringify(n)} is not a host name`);
    }
    if (seen.has(lower)) r.fail([...p, key], `${n} is already served by ${seen.get(lower)}`);
    seen.set(lower, `${p[0]}[${p[1]}]`);
  }
  return { name, aliases };
}

/** Reads one `[[host.location]]` at `q`. */
function readLocation(
  r: Reader,
  raw: unknown,
  q: TomlPath,
  baseDir: string | undefined,
): LocationConfig {
  const l = r.table(raw, q, LOCATION_KEYS);
  const path = r.string(l, q, "path") ?? r.fail([...q, "path"], "is required");
  if (!path.startsWith("/") && !path.startsWith("*")) {
    r.fail([...q, "path"], 'must start with "/" or "*"');
  }
  const rate = readLocationRate(r, l, q);
  return dropUndefined({
    path,
    root: resolvePath(r.string(l, q, "root"), baseDir),
    listing: r.bool(l, q, "listing"),
    lang: r.string(l, q, "lang"),
    charset: r.string(l, q, "charset"),
    defaultMime: r.string(l, q, "default_mime"),
    mime: r.mime(l, q),
    requireClientCertificate: r.bool(l, q, "require_client_certificate") ?? false,
    index: r.strings(l, q, "index"),
    maxFileSize: r.size(l, q, "max_file_size"),
    rate,
    ...dynamicLocation(r, l, q, baseDir),
  });
}

/** `rate_burst` and `rate_per_second` of a location, which go together. */
function readLocationRate(
  r: Reader,
  l: Table,
  q: TomlPath,
): LocationConfig["rate"] {
  const burst = r.number(l, q, "rate_burst", 1);
  const perSecond = r.number(l, q, "rate_per_second", 0.001, false);
  if ((burst === undefined) !== (perSecond === undefined)) {
    r.fail(
      [...q, burst === undefined ? "rate_per_second" : "rate_burst"],
      "rate_burst and rate_per_second go together",
    );
  }
  return burst !== undefined && perSecond !== undefined ? { burst, perSecond } : undefined;
}

/** Reads `[[...rule]]` tables. */
function readRules(r: Reader, value: unknown, path: TomlPath): RuleConfig[] {
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
function readOverrides(r: Reader, value: unknown, path: TomlPath): OverrideConfig[] {
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

function tableList(r: Reader, value: unknown, path: TomlPath): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) r.fail(path, `must be an array of tables ([[${path.join(".")}]])`);
  return value;
}

/** Reads the access, CGI, Titan and proxy keys of a location. */
function dynamicLocation(
  r: Reader,
  l: Table,
  q: TomlPath,
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
  const cgi = readCgi(r, l, q, { root: cgiRoot, program: cgiProgram });
  if (cgi) out.cgi = cgi;
  const titan = readTitan(r, l, q, baseDir, proxy !== undefined);
  if (titan) out.titan = titan;
  const proxied = readProxy(r, l, q, baseDir, proxy);
  if (proxied) out.proxy = proxied;
  return out;
}

/** `cgi_timeout` and `cgi_env` for a location with `cgi` or `cgi_program`. */
function readCgi(
  r: Reader,
  l: Table,
  q: TomlPath,
  where: { root: string | undefined; program: string | undefined },
): CgiLocationConfig | undefined {
  const timeout = r.number(l, q, "cgi_timeout", 0.001, false);
  const env = r.env(l, q, "cgi_env");
  if (where.root !== undefined || where.program !== undefined) {
    return dropUndefined({ ...where, timeout: timeout ?? 10, env: env ?? {} });
  }
  if (timeout !== undefined || env !== undefined) {
    r.fail([...q, timeout !== undefined ? "cgi_timeout" : "cgi_env"], "needs cgi or cgi_program");
  }
  return undefined;
}

/** The `titan*` keys of a location; `titan = true` needs a way to authorise uploads. */
function readTitan(
  r: Reader,
  l: Table,
  q: TomlPath,
  baseDir: string | undefined,
  proxied: boolean,
): TitanLocationConfig | undefined {
  const titanKeys = Object.keys(l).filter((k) => k.startsWith("titan_"));
  if (!r.bool(l, q, "titan")) {
    if (titanKeys.length > 0) r.fail([...q, titanKeys[0]], "needs titan = true");
    return undefined;
  }
  if (proxied) r.fail([...q, "titan"], "cannot be combined with proxy");
  const titan = dropUndefined({
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
  if (titan.tokens.length === 0 && titan.allow.length === 0 && !titan.anonymous) {
    r.fail(
      [...q, "titan"],
      "needs titan_tokens, titan_allow_fingerprints or titan_anonymous = true",
    );
  }
  return titan;
}

/** The `proxy*` keys of a location with `proxy = "host:port"`. */
function readProxy(
  r: Reader,
  l: Table,
  q: TomlPath,
  baseDir: string | undefined,
  upstream: string | undefined,
): ProxyLocationConfig | undefined {
  if (upstream === undefined) {
    const proxyKeys = Object.keys(l).filter((k) => k.startsWith("proxy_"));
    if (proxyKeys.length > 0) r.fail([...q, proxyKeys[0]], "needs proxy");
    return undefined;
  }
  if (!/^(\[[0-9A-Fa-f:.]+\]|[^:\[\]\s]+)(:\d{1,5})?$/.test(upstream)) {
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
  return dropUndefined({
    upstream,
    sni: r.string(l, q, "proxy_sni"),
    fingerprints: r.fingerprints(l, q, "proxy_fingerprints") ?? [],
    cert,
    key,
    timeout: r.number(l, q, "proxy_timeout", 0.001, false) ?? 10,
    rewriteUrl: r.bool(l, q, "proxy_rewrite_url") ?? false,
  });
}
