/**
 * From configuration to a running server: the handler for every virtual host and location,
 * the certificates (read from files or generated per host into the data directory), and
 * the options for {@linkcode serve}.
 *
 * @module
 */

import { join } from "node:path";
import { Status } from "../protocol/status.ts";
import type { ListenerBackend, ServerCertificate } from "../tls/listen.ts";
import { normalizeFingerprint } from "../tls/fingerprint.ts";
import {
  ConfigError,
  type HostConfig,
  type LocationConfig,
  type ServerConfig,
} from "./config/types.ts";
import { servedCertificateInfo } from "../tls/served_certificate.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { contentOverrides, pathRules } from "./rules.ts";
import { rateLimit } from "./limits.ts";
import { memoryServer } from "./memory.ts";
import { compose } from "./middleware.ts";
import { badRequest, permanentFailure } from "./reply.ts";
import { Router } from "./router.ts";
import { fileServer, type FileServerOptions } from "./static.ts";
import type { ServeOptions } from "./server.ts";
import type { Handler, Middleware } from "./types.ts";

/** Options for {@linkcode buildSite}. */
export interface BuildSiteOptions {
  /** Where generated certificates are kept (`<data dir>/server`). */
  certificateDir: string;
  /** Files served by hosts without a `root` (the built-in capsule). Default: none (51). */
  defaultContent?: Readonly<Record<string, string>>;
  /** Where CGI, Titan and proxy failures are logged. Default silent. */
  logger?: Logger;
  /**
   * The hosts' certificates, already checked and read (by {@linkcode checkSiteFiles} and
   * {@linkcode siteCertificates}): the site neither checks nor reads them again.
   */
  certificates?: ServerCertificate[];
  /**
   * The configuration's files as {@linkcode checkSiteFiles} read them (allow lists, CA
   * files, the proxies' certificates and keys): the site does not read them again.
   * Default: checked and read now.
   */
  files?: SiteFiles;
}

/**
 * The files a configuration names, read and checked once by {@linkcode checkSiteFiles}:
 * {@linkcode siteCertificates} and {@linkcode buildSite} take them instead of reading the
 * files again. Plain data (it can be posted to a worker).
 */
export interface SiteFiles {
  /** Each `allow_file`, by path: its fingerprints (lower-case hex). */
  allowLists: Map<string, string[]>;
  /** Each PEM file (hosts' and proxies' certificates and keys, CA files), by path: its text. */
  pems: Map<string, string>;
}

/** A generated certificate issued again with names it lacked (same key, same dates). */
export interface ReissuedCertificate {
  /** The host. */
  host: string;
  /** The names added. */
  added: string[];
}

/** A generated certificate renewed with the same key. */
export interface RenewedCertificate {
  /** The host. */
  host: string;
  /** The end of validity of the certificate it replaced. */
  previousNotAfter: Date;
  /** The end of validity of the renewed certificate. */
  notAfter: Date;
  /** SHA-256 of its public key (unchanged: the same key), lower-case hex. */
  spkiSha256: string;
}

/** The hosts' certificates of a configuration, and what was made to have them. */
export interface SiteCertificates {
  /** One per host, in the configuration's order (names: the host and its aliases). */
  certificates: ServerCertificate[];
  /** Hosts whose certificate was generated now. */
  generated: string[];
  /** Generated certificates that lacked names and were issued again now. */
  reissued: ReissuedCertificate[];
  /** Generated certificates that were near their end and were renewed now. */
  renewed: RenewedCertificate[];
}

/** What a configuration turns into. */
export interface Site {
  /** The handler for all hosts. */
  handler: Handler;
  /** One certificate per host (names: the host and its aliases). */
  certificates: ServerCertificate[];
  /** Every name served. */
  hosts: string[];
  /** Whether a location needs client certificates (access control, CGI, Titan, proxy). */
  requestClientCertificate: boolean;
  /** Schemes served: `gemini`, plus `titan` when a location accepts uploads. */
  schemes: string[];
  /** Hosts whose certificate was generated now. */
  generated: string[];
  /**
   * Hosts whose generated certificate lacked names it should carry and was issued again
   * with the same key, with the names added. Default none.
   */
  reissued?: ReissuedCertificate[];
}

function hostFileOptions(host: HostConfig): FileServerOptions | undefined {
  if (host.root === undefined) return undefined;
  return {
    root: host.root,
    index: host.index,
    listing: host.listing,
    lang: host.lang,
    charset: host.charset,
    defaultMediaType: host.defaultMime,
    mediaTypes: host.mime,
    maxFileSize: host.maxFileSize,
    followSymlinks: host.followSymlinks,
  };
}

/** The URL prefix a location pattern stands for: `/cgi-bin/` → `/cgi-bin`, globs → `""`. */
function mountOf(pattern: string): string {
  return pattern.includes("*") || pattern.includes("?") ? "" : pattern.replace(/\/+$/, "");
}

/** Reads an allow-list file: one fingerprint per line, the first word; `#` starts a comment. */
export async function readAllowFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      path,
      undefined,
      undefined,
      `cannot read the allow list: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    const word = line.replace(/#.*/, "").trim().split(/\s+/)[0];
    if (!word) return;
    const hex = normalizeFingerprint(word);
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new ConfigError(
        path,
        i + 1,
        undefined,
        `${JSON.stringify(word)} is not a SHA-256 fingerprint`,
      );
    }
    out.push(hex);
  });
  return out;
}

function needsClientCertificates(loc: LocationConfig): boolean {
  return checksCertificates(loc) || passesCertificates(loc);
}

/** A location whose access control looks at client certificates. */
function checksCertificates(loc: LocationConfig): boolean {
  return loc.requireClientCertificate || loc.allowFingerprints !== undefined ||
    loc.allowFile !== undefined || loc.caFile !== undefined;
}

/** A location that hands a client certificate on (CGI variables, Titan uploads). */
function passesCertificates(loc: LocationConfig): boolean {
  return loc.cgi !== undefined || loc.titan !== undefined;
}

/**
 * The handler of one location: what answers (proxy, CGI or files), Titan uploads on top,
 * then the location's middleware (access control, rate limit, rules, overrides). The code
 * of the proxy, CGI, Titan and access control is loaded only for a location that uses it,
 * so a static site keeps none of it (nor `node:crypto`) in memory.
 */
async function locationHandler(
  host: HostConfig,
  loc: LocationConfig,
  fallback: Handler,
  context: { logger: Logger; files?: SiteFiles },
): Promise<Handler> {
  const { logger, files } = context;
  let handler = await contentHandler(host, loc, fallback, context);
  if (loc.titan) handler = await uploadHandler(host, loc, handler, logger);
  return compose(handler, ...await locationMiddleware(host, loc, files));
}

/** What answers requests at a location: its proxy, its CGI programs, its files or `fallback`. */
async function contentHandler(
  host: HostConfig,
  loc: LocationConfig,
  fallback: Handler,
  context: { logger: Logger; files?: SiteFiles },
): Promise<Handler> {
  const { logger, files } = context;
  const base = hostFileOptions(host);
  const root = loc.root ?? base?.root;
  if (loc.proxy) {
    const p = loc.proxy;
    const { proxyHandler } = await import("./proxy.ts");
    return proxyHandler({
      upstream: p.upstream,
      servername: p.sni,
      fingerprints: p.fingerprints,
      identity: p.cert && p.key
        ? {
          cert: await readPem(p.cert, "proxy certificate", host.name, files),
          key: await readPem(p.key, "proxy key", host.name, files),
        }
        : undefined,
      timeoutMs: p.timeout * 1000,
      rewriteUrl: p.rewriteUrl,
      logger,
    });
  }
  if (loc.cgi) {
    const { cgiHandler } = await import("./cgi.ts");
    return cgiHandler({
      root: loc.cgi.root,
      program: loc.cgi.program,
      mount: mountOf(loc.path),
      timeoutMs: loc.cgi.timeout * 1000,
      env: loc.cgi.env,
      logger,
    });
  }
  if (root === undefined) return fallback;
  return fileServer({
    ...(base ?? {}),
    root,
    index: loc.index ?? base?.index,
    listing: loc.listing ?? base?.listing,
    lang: loc.lang ?? base?.lang,
    charset: loc.charset ?? base?.charset,
    defaultMediaType: loc.defaultMime ?? base?.defaultMediaType,
    mediaTypes: { ...(base?.mediaTypes ?? {}), ...loc.mime },
    maxFileSize: loc.maxFileSize ?? base?.maxFileSize,
    logger,
  });
}

/** Titan uploads at a location with `titan = true`; other requests go to `handler`. */
async function uploadHandler(
  host: HostConfig,
  loc: LocationConfig,
  handler: Handler,
  logger: Logger,
): Promise<Handler> {
  const t = loc.titan!;
  const titanRoot = t.root ?? loc.root ?? host.root;
  if (titanRoot === undefined) {
    throw new ConfigError(
      loc.path,
      undefined,
      undefined,
      `titan location of ${host.name} needs titan_root or root`,
    );
  }
  // Like `root` for static files, the upload directory is a document root for the whole
  // request path, so what is uploaded is served back at the same path.
  const { titanHandler } = await import("./titan.ts");
  return titanHandler({
    root: titanRoot,
    tokens: t.tokens,
    allow: t.allow,
    requireBoth: t.requireBoth,
    anonymous: t.anonymous,
    maxSize: t.maxSize,
    mimeTypes: t.mime,
    allowDelete: t.delete,
    timeoutMs: t.timeout * 1000,
    logger,
  }, handler);
}

/** The middleware of a location, outermost first. */
async function locationMiddleware(
  host: HostConfig,
  loc: LocationConfig,
  files?: SiteFiles,
): Promise<Middleware[]> {
  const middleware: Middleware[] = [];
  const allow = loc.allowFingerprints === undefined && loc.allowFile === undefined ? undefined : [
    ...(loc.allowFingerprints ?? []),
    ...(loc.allowFile
      ? files?.allowLists.get(loc.allowFile) ?? await readAllowFile(loc.allowFile)
      : []),
  ];
  const ca = loc.caFile ? await readPem(loc.caFile, "CA file", host.name, files) : undefined;
  if (
    loc.requireClientCertificate || allow !== undefined || ca !== undefined ||
    loc.certificatePrompt !== undefined
  ) {
    const { accessControl } = await import("./access.ts");
    try {
      middleware.push(accessControl({ prompt: loc.certificatePrompt, allow, ca }));
    } catch (error) {
      throw new ConfigError(
        loc.caFile ?? loc.path,
        undefined,
        undefined,
        (error as Error).message,
        {
          cause: error,
        },
      );
    }
  }
  if (loc.rate) middleware.push(rateLimit(loc.rate));
  if (loc.rules) middleware.push(pathRules(loc.rules));
  if (loc.overrides) middleware.push(contentOverrides(loc.overrides));
  if (!loc.titan) middleware.unshift(geminiOnly);
  return middleware;
}

/** Middleware: Titan uploads to a place that does not take them get 59, not a download. */
const geminiOnly: Middleware = (next) => (request) =>
  request.url.protocol === "titan:" ? badRequest("Uploads are not accepted here") : next(request);

/** The site's routes see both schemes; each location decides about uploads itself. */
const BOTH_SCHEMES = ["gemini", "titan"];

/**
 * Routes `pattern` (a location's `path`) to `handler`: a directory (`/dir/`, no wildcards)
 * is mounted (that directory and everything below it), anything else is a path pattern.
 */
function addLocation(router: Router, pattern: string, handler: Handler): void {
  if (pattern.endsWith("/") && !/[*?]/.test(pattern)) {
    router.mount(pattern, handler, { schemes: BOTH_SCHEMES });
  } else {
    router.on(pattern, handler, { schemes: BOTH_SCHEMES });
  }
}

/** The router of one host: its locations in order, else its files or the default capsule. */
async function hostRouter(
  host: HostConfig,
  defaultContent: Readonly<Record<string, string>>,
  context: { logger: Logger; files?: SiteFiles },
): Promise<Router> {
  const { logger } = context;
  const fileOptions = hostFileOptions(host);
  const fallback = fileOptions
    ? fileServer({ ...fileOptions, logger })
    : memoryServer(defaultContent, { lang: host.lang, charset: host.charset });
  const router = new Router({ notFound: geminiOnly(fallback) });
  if (host.rules) router.use(pathRules(host.rules));
  if (host.overrides) router.use(contentOverrides(host.overrides));
  for (const loc of host.locations) {
    addLocation(router, loc.path, await locationHandler(host, loc, fallback, context));
  }
  return router;
}

/** The text of PEM file `path`: from `files` when they hold it, else read now. */
async function readPem(
  path: string,
  what: string,
  host: string,
  files?: SiteFiles,
): Promise<string> {
  const known = files?.pems.get(path);
  if (known !== undefined) return known;
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      path,
      undefined,
      undefined,
      `cannot read the ${what} of ${host}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Builds the handler and certificates for a configuration. Roots must be directories.
 *
 * @example
 * ```ts
 * import { buildSite } from "./site.ts";
 * import { parseConfig } from "./config/mod.ts";
 * import assert from "node:assert";
 * const dir = await Deno.makeTempDir();
 * const site = await buildSite(parseConfig('[[host]]\nname = "localhost"\n'), {
 *   certificateDir: dir,
 *   defaultContent: { "/index.gmi": "# Hi\n" },
 * });
 * assert.equal(site.hosts[0], "localhost");
 * assert.equal(site.generated[0], "localhost");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildSite(config: ServerConfig, options: BuildSiteOptions): Promise<Site> {
  // Given certificates were checked with the files; otherwise check and read both now.
  const files = options.files ??
    (options.certificates ? undefined : await checkSiteFiles(config));
  const { certificates, generated, reissued } = options.certificates
    ? { certificates: options.certificates, generated: [], reissued: [] }
    : await siteCertificates(config, options.certificateDir, { files });
  const defaultContent = options.defaultContent ?? {};
  const context = { logger: options.logger ?? silentLogger, files };
  const site = new Router({
    notFound: (request) =>
      permanentFailure(`Host ${request.host} is not served here`, Status.ProxyRequestRefused),
  });
  for (const h of config.hosts) {
    const names = [h.name, ...h.aliases];
    site.mount("", await hostRouter(h, defaultContent, context), {
      host: names,
      schemes: BOTH_SCHEMES,
    });
  }
  return {
    handler: site.handler,
    certificates,
    hosts: config.hosts.flatMap((h) => [h.name, ...h.aliases]),
    requestClientCertificate: config.hosts.some((h) => h.locations.some(needsClientCertificates)),
    schemes: config.hosts.some((h) => h.locations.some((l) => l.titan)) ? ["gemini", "titan"] : [
      "gemini",
    ],
    generated,
    reissued,
  };
}

/**
 * The certificate of every host: its `cert` and `key` files (from `options.files` when
 * {@linkcode checkSiteFiles} read them, else read now), or generated into `certificateDir`
 * on first use (`generated` names those made now) and renewed with the same key when it
 * nears its end at `options.now` (default now).
 */
export async function siteCertificates(
  config: ServerConfig,
  certificateDir: string,
  options: { now?: Date; files?: SiteFiles } = {},
): Promise<SiteCertificates> {
  const { now, files } = options;
  const certificates: ServerCertificate[] = [];
  const generated: string[] = [];
  const reissued: ReissuedCertificate[] = [];
  const renewed: RenewedCertificate[] = [];
  for (const host of config.hosts) {
    const names = [host.name, ...host.aliases];
    if (host.cert && host.key) {
      const cert = await readPem(host.cert, "certificate", host.name, files);
      const key = await readPem(host.key, "key", host.name, files);
      certificates.push({ cert, key, names });
    } else {
      const { ensureHostCertificate } = await import("./certificates.ts");
      const made = await ensureHostCertificate(certificateDir, host.name, {
        aliases: host.aliases,
        now,
      });
      if (made.created) generated.push(host.name);
      if (made.renewedFrom) {
        renewed.push({
          host: host.name,
          previousNotAfter: made.renewedFrom,
          notAfter: made.info.notAfter,
          spkiSha256: made.info.spkiSha256,
        });
      }
      if (made.addedNames.length > 0) reissued.push({ host: host.name, added: made.addedNames });
      certificates.push({ cert: made.cert, key: made.key, names });
    }
  }
  return { certificates, generated, reissued, renewed };
}

/** The TLS backend one listener of a configuration uses, and why. */
export interface ListenerPlan {
  /** `deno` (`Deno.listenTls`) or `node` (`node:tls`). */
  backend: ListenerBackend;
  /** Why: what makes it need `node`, or that nothing does. */
  reason: string;
}

/**
 * The backend of each listener of `config` (in `config.listen` order): with `backend =
 * "auto"` (or `"deno"`), `deno` where one certificate serves (one host) without client
 * certificates (no location that requires or checks them, no CGI or Titan location, which
 * pass them on) and the listener expects no PROXY header; `node` elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseConfig } from "./config/mod.ts";
 * import { listenerBackends } from "./site.ts";
 * const config = parseConfig(
 *   'listen = ["127.0.0.1:1965", { address = "127.0.0.1:1966", proxy_protocol = true }]\n' +
 *     '[[host]]\nname = "localhost"\n',
 * );
 * assert.deepEqual(listenerBackends(config).map((p) => p.backend), ["deno", "node"]);
 * ```
 */
export function listenerBackends(config: ServerConfig): ListenerPlan[] {
  const locations = config.hosts.flatMap((h) => h.locations);
  const serverWide = config.backend === "node"
    ? 'backend = "node"'
    : config.hosts.length > 1
    ? "several certificates (one per host)"
    : locations.some(checksCertificates)
    ? "client certificates"
    : locations.some(passesCertificates)
    ? "client certificates for CGI or Titan"
    : undefined;
  return config.listen.map((a): ListenerPlan => {
    if (serverWide) return { backend: "node", reason: serverWide };
    if (a.proxyProtocol) return { backend: "node", reason: "PROXY protocol" };
    return { backend: "deno", reason: "one certificate, no client certificates" };
  });
}

/** The {@linkcode ServeOptions} for a configuration and its built site (without logging). */
export function serveOptions(config: ServerConfig, site: Site): ServeOptions {
  const l = config.limits;
  // The site's own view, so that a site built by hand (not from `config`) stays consistent.
  const plans = site.certificates.length === 1 && !site.requestClientCertificate
    ? listenerBackends(config)
    : config.listen.map(() => ({ backend: "node" as const, reason: "" }));
  return {
    handler: site.handler,
    certificates: site.certificates,
    hosts: site.hosts,
    listen: config.listen.map((a, i) => ({
      hostname: a.hostname,
      port: a.port,
      backend: plans[i].backend,
      proxyProtocol: a.proxyProtocol
        ? (a.proxyFrom ? { allowFrom: a.proxyFrom } : true)
        : undefined,
    })),
    publicPort: config.publicPort,
    requestClientCertificate: site.requestClientCertificate,
    schemes: site.schemes,
    backend: "node",
    requestTimeoutMs: config.requestTimeout * 1000,
    responseTimeoutMs: config.responseTimeout * 1000,
    limits: {
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
    },
  };
}

/** The directory for generated server certificates inside the data directory. */
export function certificateDirFor(dataDir: string): string {
  return join(dataDir, "server");
}

/**
 * Checks the files a configuration names without generating anything: roots must be
 * directories, certificate and key files readable PEM, allow lists and CA files readable
 * and well-formed. Returns what it read, for {@linkcode siteCertificates} and
 * {@linkcode buildSite}. Throws a {@linkcode ConfigError}.
 */
export async function checkSiteFiles(config: ServerConfig): Promise<SiteFiles> {
  const files: SiteFiles = { allowLists: new Map(), pems: new Map() };
  for (const host of config.hosts) {
    for (const root of [host.root, ...host.locations.map((l) => l.root)]) {
      if (root === undefined) continue;
      const info = await Deno.stat(root).catch(() => undefined);
      if (!info?.isDirectory) {
        throw new ConfigError(
          root,
          undefined,
          undefined,
          `root of ${host.name} is not a directory`,
        );
      }
    }
    for (const loc of host.locations) await checkLocationFiles(host, loc, files);
    if (host.cert && host.key) await checkIdentity(host.cert, host.key, host.name, "", files);
  }
  return files;
}

/**
 * Reads a certificate and its key into `files` (once per path) and checks the certificate
 * parses. `what` is `""` for a host's own, `"proxy "` for a proxy's.
 */
async function checkIdentity(
  certPath: string,
  keyPath: string,
  host: string,
  what: string,
  files: SiteFiles,
): Promise<void> {
  const known = files.pems.has(certPath);
  const cert = await readPem(certPath, `${what}certificate`, host, files);
  files.pems.set(certPath, cert);
  files.pems.set(keyPath, await readPem(keyPath, `${what}key`, host, files));
  if (known) return;
  try {
    await servedCertificateInfo(cert);
  } catch (error) {
    throw new ConfigError(certPath, undefined, undefined, "is not a PEM certificate", {
      cause: error,
    });
  }
}

async function checkLocationFiles(
  host: HostConfig,
  loc: LocationConfig,
  files: SiteFiles,
): Promise<void> {
  const where = `${host.name} location ${loc.path}`;
  const dirs = [loc.cgi?.root, loc.titan?.root].filter((d): d is string => d !== undefined);
  for (const dir of dirs) {
    const info = await Deno.stat(dir).catch(() => undefined);
    if (!info?.isDirectory) {
      throw new ConfigError(dir, undefined, undefined, `directory of ${where} does not exist`);
    }
  }
  if (loc.cgi?.program) {
    const info = await Deno.stat(loc.cgi.program).catch(() => undefined);
    if (!info?.isFile || (info.mode !== null && (info.mode & 0o111) === 0)) {
      throw new ConfigError(
        loc.cgi.program,
        undefined,
        undefined,
        `CGI program of ${where} is not an executable file`,
      );
    }
  }
  if (
    loc.titan && loc.titan.root === undefined && loc.root === undefined && host.root === undefined
  ) {
    throw new ConfigError(
      loc.path,
      undefined,
      undefined,
      `titan location of ${host.name} needs titan_root or root`,
    );
  }
  if (loc.allowFile && !files.allowLists.has(loc.allowFile)) {
    files.allowLists.set(loc.allowFile, await readAllowFile(loc.allowFile));
  }
  if (loc.caFile && !files.pems.has(loc.caFile)) {
    const pem = await readPem(loc.caFile, "CA file", host.name);
    files.pems.set(loc.caFile, pem);
    const { accessControl } = await import("./access.ts");
    try {
      accessControl({ ca: pem });
    } catch (error) {
      throw new ConfigError(loc.caFile, undefined, undefined, (error as Error).message, {
        cause: error,
      });
    }
  }
  if (loc.proxy?.cert && loc.proxy.key) {
    await checkIdentity(loc.proxy.cert, loc.proxy.key, host.name, "proxy ", files);
  }
}
