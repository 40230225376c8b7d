/**
 * The permission sandbox of `gemini serve`: the Deno permissions a serve worker gets,
 * computed from the configuration (read of the roots, certificates, allow and CA files and
 * CGI programs; write of Titan roots; net of the listen addresses and proxy upstreams; run
 * of the CGI programs; no env, sys or FFI), how they are printed (`serve --check`) and
 * whether this Deno can narrow a worker at all (`--unstable-worker-options`).
 *
 * @module
 */

import { join } from "node:path";
import { isWithin } from "../files/within.ts";
import { isCgiProgram } from "../server/cgi_program.ts";
import { fileURLToPath } from "node:url";
import type { HostConfig, LocationConfig, ServerConfig } from "../server/config/mod.ts";
import { certificateDirFor } from "../server/site.ts";

/** The permissions of one serve worker, as Deno permission descriptors. */
export interface PermissionSet {
  /** Paths it may read (`true`: every path, for a host with `follow_symlinks = true`). */
  read: string[] | true;
  /** Paths it may write. */
  write: string[];
  /** `host` (any port) or `host:port` it may listen on or connect to. */
  net: string[];
  /** Programs it may run. */
  run: string[];
}

/** Most CGI programs listed from one CGI directory. */
const MAX_CGI_PROGRAMS = 4096;
/** Deepest directory level searched below a CGI directory. */
const MAX_CGI_DEPTH = 16;

/**
 * The permissions a serve worker needs for `config`, with generated certificates kept
 * under `dataDir`. Paths are listed as configured and, when a symbolic link leads
 * elsewhere, also as resolved (the server resolves roots before it compares paths). A CGI
 * directory's programs are listed one by one as they are now (Deno's `run` permission
 * names executables, not directories): a program added later runs after a reload.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseConfig } from "../server/config/mod.ts";
 * import { workerPermissions } from "./serve_permissions.ts";
 * const dir = await Deno.makeTempDir();
 * const config = parseConfig(`listen = "127.0.0.1:1966"\n[[host]]\nname = "a.example"\nroot = "${dir}"\n`);
 * const set = await workerPermissions(config, "/var/lib/gemini");
 * assert.deepEqual(set.net, ["127.0.0.1:1966"]);
 * assert.deepEqual(set.run, []);
 * assert.deepEqual(set.write, []);
 * assert.ok(Array.isArray(set.read) && set.read.includes("/var/lib/gemini/server"));
 * await Deno.remove(dir);
 * ```
 */
export async function workerPermissions(
  config: ServerConfig,
  dataDir: string,
): Promise<PermissionSet> {
  const read = new Set<string>();
  const write = new Set<string>();
  const net = new Set<string>(config.listen.map((a) => netDescriptor(a.hostname, a.port)));
  const run = new Set<string>();
  let readAll = false;
  for (const host of config.hosts) {
    if (host.root !== undefined && host.followSymlinks) readAll = true;
    await addPath(read, host.root);
    if (host.cert && host.key) {
      await addPath(read, host.cert);
      await addPath(read, host.key);
    } else {
      await addPath(read, certificateDirFor(dataDir));
    }
    for (const loc of host.locations) await addLocation(host, loc, { read, write, net, run });
  }
  return {
    read: readAll ? true : [...read],
    write: [...write],
    net: [...net],
    run: [...run],
  };
}

/** Adds what one location needs. */
async function addLocation(
  host: HostConfig,
  loc: LocationConfig,
  sets: { read: Set<string>; write: Set<string>; net: Set<string>; run: Set<string> },
): Promise<void> {
  const { read, write, net, run } = sets;
  for (const path of [loc.root, loc.allowFile, loc.caFile, loc.proxy?.cert, loc.proxy?.key]) {
    await addPath(read, path);
  }
  if (loc.proxy) net.add(upstreamDescriptor(loc.proxy.upstream));
  if (loc.titan) {
    const root = loc.titan.root ?? loc.root ?? host.root;
    await addPath(read, root);
    await addPath(write, root);
  }
  if (loc.cgi?.program) {
    await addPath(read, loc.cgi.program);
    await addPath(run, loc.cgi.program);
  }
  if (loc.cgi?.root) {
    await addPath(read, loc.cgi.root);
    for (const program of await cgiPrograms(loc.cgi.root)) run.add(program);
  }
}

/** Adds `path` and, when it resolves to another path, that one too. */
async function addPath(set: Set<string>, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  set.add(path);
  const real = await Deno.realPath(path).catch(() => undefined);
  if (real !== undefined) set.add(real);
}

/**
 * The executable files under a CGI directory, as the CGI handler resolves them (real
 * paths inside the directory's real path; hidden names skipped like any `.` segment is
 * refused). At most {@linkcode MAX_CGI_PROGRAMS}, {@linkcode MAX_CGI_DEPTH} levels deep.
 */
async function cgiPrograms(root: string): Promise<string[]> {
  const realRoot = await Deno.realPath(root).catch(() => undefined);
  if (realRoot === undefined) return [];
  const found = new Set<string>();
  const queue: { dir: string; depth: number }[] = [{ dir: realRoot, depth: 0 }];
  const visited = new Set<string>();
  while (queue.length > 0 && found.size < MAX_CGI_PROGRAMS) {
    const { dir, depth } = queue.shift()!;
    if (visited.has(dir)) continue;
    visited.add(dir);
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      const info = await Deno.stat(path).catch(() => undefined);
      const real = await Deno.realPath(path).catch(() => undefined);
      if (!info || real === undefined || real === realRoot || !isWithin(real, realRoot)) continue;
      if (info.isDirectory) {
        if (depth + 1 < MAX_CGI_DEPTH) queue.push({ dir: real, depth: depth + 1 });
      } else if (isCgiProgram(info)) {
        found.add(real);
        if (found.size >= MAX_CGI_PROGRAMS) break;
      }
    }
  }
  return [...found].sort();
}

/** `host` for any port (port 0: the port is chosen at start), else `host:port`. */
function netDescriptor(hostname: string, port: number): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return port === 0 ? host : `${host}:${port}`;
}

/** A proxy upstream (`host`, `host:port`, `[v6]:port`) as `host:port` (default 1965). */
function upstreamDescriptor(upstream: string): string {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(upstream);
  if (!m) return upstream;
  return `${m[1]}:${m[2] ?? "1965"}`;
}

/**
 * The set as Deno's `Worker` option `deno.permissions`: everything not listed is denied
 * (env, sys, ffi and import included).
 */
export function workerPermissionOptions(set: PermissionSet): Deno.PermissionOptionsObject {
  return {
    read: set.read === true ? true : set.read.length > 0 ? set.read : false,
    write: set.write.length > 0 ? set.write : false,
    net: set.net.length > 0 ? set.net : false,
    run: set.run.length > 0 ? set.run : false,
    env: false,
    sys: false,
    ffi: false,
    import: false,
  };
}

/**
 * What the `gemini serve` supervisor starts each worker with: the `deno.permissions` of
 * {@linkcode workerPermissions} for the configuration, certificates under `dataDir`.
 */
export function sandboxPermissions(
  dataDir: string,
): (config: ServerConfig) => Promise<Deno.PermissionOptionsObject> {
  return async (config) => workerPermissionOptions(await workerPermissions(config, dataDir));
}

/**
 * The set as `deno run` flags, one per line, for `serve --check`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { permissionFlags } from "./serve_permissions.ts";
 * assert.deepEqual(
 *   permissionFlags({ read: ["/srv/a"], write: [], net: ["0.0.0.0:1965"], run: [] }),
 *   ["--allow-read=/srv/a", "--allow-net=0.0.0.0:1965"],
 * );
 * ```
 */
export function permissionFlags(set: PermissionSet): string[] {
  const flags: string[] = [];
  if (set.read === true) flags.push("--allow-read");
  else if (set.read.length > 0) flags.push(`--allow-read=${set.read.join(",")}`);
  for (const [name, list] of [["write", set.write], ["net", set.net], ["run", set.run]] as const) {
    if (list.length > 0) flags.push(`--allow-${name}=${list.join(",")}`);
  }
  return flags;
}

/**
 * What `serve --check` prints after the configuration: the worker's permissions and, when
 * given, the main process's flags, as TOML comments (the output stays a valid configuration).
 */
export function formatPermissions(
  set: PermissionSet,
  sandboxed: boolean,
  main?: string[],
): string {
  const lines = [
    "",
    "# Permissions of each worker (Deno), from this configuration:",
    ...permissionFlags(set).map((flag) => `#   ${flag}`),
    "#   nothing else: no env, sys, ffi, import" +
    (set.run.length === 0 ? ", run" : "") + (set.write.length === 0 ? ", write" : ""),
  ];
  if (set.read === true) {
    lines.push("# (read of every path: a host has follow_symlinks = true)");
  }
  if (main) {
    lines.push(
      "# Permissions of the main process as ./gemini starts it (gemini serve --print-permissions);",
      "# a compiled binary keeps the permissions it was compiled with:",
      ...main.map((flag) => `#   ${flag}`),
    );
  } else lines.push("# The main process keeps the permissions Deno was started with.");
  if (!sandboxed) {
    lines.push(
      "# Not applied here: Deno runs without --unstable-worker-options, so workers would " +
        "keep the process's permissions.",
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Whether workers can be started with narrowed permissions: Deno's `Worker` option
 * `deno.permissions` needs the `--unstable-worker-options` flag, and without it the
 * process exits (code 70) instead of throwing, so the flag has to be known first. Deno
 * offers no way to ask, so: `GEMINI_SANDBOX=on` (which `make serve` sets, as it passes the
 * flag) or `off` decides; else a binary made by `deno compile` has it (`make
 * compile` builds with it); else the command line says (readable from /proc/self/cmdline
 * on Linux only when Deno runs with `--allow-all`, as `make test` and `deno run -A` do).
 */
export function workerSandboxAvailable(env: (name: string) => string | undefined): boolean {
  const setting = env("GEMINI_SANDBOX");
  if (setting === "off") return false;
  if (setting === "on") return true;
  if (Deno.mainModule.includes("/deno-compile-") || Deno.mainModule.includes("\\deno-compile-")) {
    return true;
  }
  try {
    return Deno.readTextFileSync("/proc/self/cmdline").split("\0").includes(
      "--unstable-worker-options",
    );
  } catch {
    return false;
  }
}

/** Environment variables `gemini serve`'s main process reads (data and config directories). */
const SERVE_ENV_NAMES: readonly string[] = [
  "GEMINI_HOME",
  "GEMINI_SANDBOX",
  "HOME",
  "USERPROFILE",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "APPDATA",
  "LOCALAPPDATA",
];

/** The permissions of `gemini serve`'s main process: its workers' and its own. */
export interface ProcessPermissionSet extends PermissionSet {
  /**
   * `true` when CGI is configured: the main process ends CGI process trees, which needs
   * Deno's unscoped run (for `kill`) and /proc (to find a run's processes that left its
   * group), and Deno 2.9.6 reads /proc only with `--allow-all`. The workers stay narrowed.
   */
  all: boolean;
  /** Environment variables it may read. */
  env: string[];
  /** Its workers' permissions ({@linkcode workerPermissions}), part of the above. */
  workers: PermissionSet;
}

/** What the main process needs besides its workers' permissions. */
export interface ProcessNeeds {
  /** The data directory: generated certificates are written and renewed under it. */
  dataDir: string;
  /** The configuration file, read again on SIGHUP. */
  configFile?: string;
  /**
   * The program's code, which a worker loads with the permissions of the process: read of
   * it is granted. A `file:` URL of the checkout directory (holding `cli.ts` and `lib/`) or
   * of the single-file bundle (`programCode()` of serve.ts); other URLs need nothing.
   */
  code?: URL;
}

/**
 * The permissions `gemini serve`'s main process needs for `config`: everything its workers
 * need (a worker's permissions must be a subset of its process's), plus read of the
 * configuration file, read and write of the generated-certificate directory when a host
 * has no certificate of its own, write of the log files and the environment variables of
 * {@linkcode SERVE_ENV_NAMES}; no run, sys, FFI or other network. With CGI the process
 * needs everything ({@linkcode ProcessPermissionSet.all}); its workers stay narrowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseConfig } from "../server/config/mod.ts";
 * import { processPermissions } from "./serve_permissions.ts";
 * const dir = await Deno.makeTempDir();
 * const config = parseConfig(
 *   `listen = "127.0.0.1:1966"\naccess_log = "/var/log/g/access.log"\n` +
 *     `[[host]]\nname = "a.example"\nroot = "${dir}"\n`,
 * );
 * const set = await processPermissions(config, { dataDir: "/var/lib/g", configFile: "/etc/g.toml" });
 * assert.deepEqual(set.write, ["/var/lib/g/server", "/var/log/g/access.log"]);
 * assert.ok(Array.isArray(set.read) && set.read.includes("/etc/g.toml"));
 * assert.equal(set.all, false);
 * await Deno.remove(dir);
 * ```
 */
export async function processPermissions(
  config: ServerConfig,
  needs: ProcessNeeds,
): Promise<ProcessPermissionSet> {
  const workers = await workerPermissions(config, needs.dataDir);
  const read = new Set(workers.read === true ? [] : workers.read);
  const write = new Set(workers.write);
  await addPath(read, needs.configFile);
  if (needs.code?.protocol === "file:") {
    await addPath(read, fileURLToPath(needs.code).replace(/(.)\/$/, "$1"));
  }
  if (config.hosts.some((h) => !(h.cert && h.key))) {
    const certificates = certificateDirFor(needs.dataDir);
    await addPath(read, certificates);
    await addPath(write, certificates);
  }
  for (const log of [config.accessLog, config.errorLog]) {
    if (log === "-") continue;
    await addPath(read, log);
    await addPath(write, log);
  }
  const cgi = config.hosts.some((h) => h.locations.some((l) => l.cgi !== undefined));
  return {
    read: workers.read === true ? true : [...read],
    write: [...write],
    net: workers.net,
    run: workers.run,
    all: cgi,
    env: [...SERVE_ENV_NAMES],
    workers,
  };
}

/**
 * The `deno run` permission flags of a {@linkcode ProcessPermissionSet}, one per entry, as
 * `gemini serve --print-permissions` prints them for the `./gemini` launcher
 * (`--allow-all` alone when {@linkcode ProcessPermissionSet.all}). A path that holds a comma
 * or a line break cannot be written as a Deno flag: that throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { processPermissionFlags } from "./serve_permissions.ts";
 * assert.deepEqual(
 *   processPermissionFlags({
 *     read: ["/srv/a"], write: [], net: ["0.0.0.0:1965"], run: [], all: false, env: ["HOME"],
 *   }),
 *   ["--allow-read=/srv/a", "--allow-net=0.0.0.0:1965", "--allow-env=HOME"],
 * );
 * ```
 */
export function processPermissionFlags(set: Omit<ProcessPermissionSet, "workers">): string[] {
  if (set.all) return ["--allow-all"];
  const listed = [set.read === true ? [] : set.read, set.write, set.net, set.run, set.env].flat();
  const bad = listed.find((entry) => /[,\r\n]/.test(entry));
  if (bad !== undefined) {
    throw new RangeError(`a path with a comma or line break cannot be a Deno flag: ${bad}`);
  }
  const flags = permissionFlags(set);
  if (set.env.length > 0) flags.push(`--allow-env=${set.env.join(",")}`);
  return flags;
}

/**
 * The first permission of `set` this process lacks, as a `deno run` flag, or `undefined`
 * when it holds them all: a reload whose configuration needs more than the process was
 * started with (`./gemini serve` starts it with the permissions of the configuration at
 * that time) cannot be applied without a restart.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { missingPermission } from "./serve_permissions.ts";
 * const set = { read: [], write: [], net: [], run: [], all: false, env: [] };
 * assert.equal(missingPermission(set), undefined);
 * ```
 */
export function missingPermission(set: Omit<ProcessPermissionSet, "workers">): string | undefined {
  const granted = (descriptor: Deno.PermissionDescriptor): boolean =>
    Deno.permissions.querySync(descriptor).state === "granted";
  if (set.all) {
    const everything = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;
    return everything.every((name) => granted({ name })) ? undefined : "--allow-all";
  }
  if (set.read === true && !granted({ name: "read" })) return "--allow-read";
  for (const path of set.read === true ? [] : set.read) {
    if (!granted({ name: "read", path })) return `--allow-read=${path}`;
  }
  for (const path of set.write) {
    if (!granted({ name: "write", path })) return `--allow-write=${path}`;
  }
  for (const host of set.net) {
    if (!granted({ name: "net", host })) return `--allow-net=${host}`;
  }
  for (const command of set.run) {
    if (!granted({ name: "run", command })) return `--allow-run=${command}`;
  }
  return undefined;
}
