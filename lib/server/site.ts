/**
 * From configuration to a running server: the handler for every virtual host and location,
 * the certificates (read from files or generated per host into the data directory), and
 * the options for {@linkcode serve}.
 *
 * @module
 */

import { join } from "node:path";
import type { ServerCertificate } from "../tls/listen.ts";
import { certificateInfo } from "../tls/certificate.ts";
import { ConfigError, type HostConfig, type LocationConfig, type ServerConfig } from "./config.ts";
import { ensureHostCertificate } from "./certificates.ts";
import { rateLimit } from "./limits.ts";
import { memoryServer } from "./memory.ts";
import { compose, requireClientCertificate, routes, virtualHosts } from "./router.ts";
import { fileServer, type FileServerOptions } from "./static.ts";
import type { ServeOptions } from "./server.ts";
import type { Handler, Middleware } from "./types.ts";

/** Options for {@linkcode buildSite}. */
export interface BuildSiteOptions {
  /** Where generated certificates are kept (`<data dir>/server`). */
  certificateDir: string;
  /** Files served by hosts without a `root` (the built-in capsule). Default: none (51). */
  defaultContent?: Readonly<Record<string, string>>;
}

/** What a configuration turns into. */
export interface Site {
  /** The handler for all hosts. */
  handler: Handler;
  /** One certificate per host (names: the host and its aliases). */
  certificates: ServerCertificate[];
  /** Every name served. */
  hosts: string[];
  /** Whether a location needs client certificates. */
  requestClientCertificate: boolean;
  /** Hosts whose certificate was generated now. */
  generated: string[];
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

function locationHandler(host: HostConfig, loc: LocationConfig, fallback: Handler): Handler {
  const base = hostFileOptions(host);
  const root = loc.root ?? base?.root;
  let handler = fallback;
  if (root !== undefined) {
    handler = fileServer({
      ...(base ?? {}),
      root,
      index: loc.index ?? base?.index,
      listing: loc.listing ?? base?.listing,
      lang: loc.lang ?? base?.lang,
      charset: loc.charset ?? base?.charset,
      defaultMediaType: loc.defaultMime ?? base?.defaultMediaType,
      mediaTypes: { ...(base?.mediaTypes ?? {}), ...loc.mime },
      maxFileSize: loc.maxFileSize ?? base?.maxFileSize,
    });
  }
  const middleware: Middleware[] = [];
  if (loc.requireClientCertificate) middleware.push(requireClientCertificate());
  if (loc.rate) middleware.push(rateLimit(loc.rate));
  return compose(handler, ...middleware);
}

function hostHandler(host: HostConfig, defaultContent: Readonly<Record<string, string>>): Handler {
  const fileOptions = hostFileOptions(host);
  const fallback = fileOptions
    ? fileServer(fileOptions)
    : memoryServer(defaultContent, { lang: host.lang, charset: host.charset });
  if (host.locations.length === 0) return fallback;
  return routes(
    host.locations.map((loc) => ({
      pattern: loc.path,
      handler: locationHandler(host, loc, fallback),
    })),
    fallback,
  );
}

async function readPem(path: string, what: string, host: string): Promise<string> {
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
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const site = await buildSite(parseConfig('[[host]]\nname = "localhost"\n'), {
 *   certificateDir: dir,
 *   defaultContent: { "/index.gmi": "# Hi\n" },
 * });
 * console.assert(site.hosts[0] === "localhost" && site.generated[0] === "localhost");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildSite(config: ServerConfig, options: BuildSiteOptions): Promise<Site> {
  const certificates: ServerCertificate[] = [];
  const generated: string[] = [];
  await checkSiteFiles(config);
  for (const host of config.hosts) {
    const names = [host.name, ...host.aliases];
    if (host.cert && host.key) {
      const cert = await readPem(host.cert, "certificate", host.name);
      const key = await readPem(host.key, "key", host.name);
      certificates.push({ cert, key, names });
    } else {
      const made = await ensureHostCertificate(options.certificateDir, host.name);
      if (made.created) generated.push(host.name);
      certificates.push({ cert: made.cert, key: made.key, names });
    }
  }
  const defaultContent = options.defaultContent ?? {};
  const handler = virtualHosts(
    config.hosts.map((h) => ({
      names: [h.name, ...h.aliases],
      handler: hostHandler(h, defaultContent),
    })),
  );
  return {
    handler,
    certificates,
    hosts: config.hosts.flatMap((h) => [h.name, ...h.aliases]),
    requestClientCertificate: config.hosts.some((h) =>
      h.locations.some((l) => l.requireClientCertificate)
    ),
    generated,
  };
}

/** The {@linkcode ServeOptions} for a configuration and its built site (without logging). */
export function serveOptions(config: ServerConfig, site: Site): ServeOptions {
  const l = config.limits;
  const oneCertificate = site.certificates.length === 1;
  return {
    handler: site.handler,
    certificates: site.certificates,
    hosts: site.hosts,
    listen: config.listen.map((a) => ({
      hostname: a.hostname,
      port: a.port,
      proxyProtocol: a.proxyProtocol
        ? (a.proxyFrom ? { allowFrom: a.proxyFrom } : true)
        : undefined,
    })),
    publicPort: config.publicPort,
    requestClientCertificate: site.requestClientCertificate,
    backend: config.backend === "deno" && oneCertificate && !site.requestClientCertificate
      ? "deno"
      : "node",
    requestTimeoutMs: config.requestTimeout * 1000,
    responseTimeoutMs: config.responseTimeout * 1000,
    limits: {
      rate: l.rate ? { burst: l.rateBurst, perSecond: l.ratePerSecond } : false,
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
 * directories, certificate and key files readable PEM. Throws a {@linkcode ConfigError}.
 */
export async function checkSiteFiles(config: ServerConfig): Promise<void> {
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
    if (host.cert && host.key) {
      const cert = await readPem(host.cert, "certificate", host.name);
      await readPem(host.key, "key", host.name);
      try {
        certificateInfo(cert);
      } catch (error) {
        throw new ConfigError(host.cert, undefined, undefined, "is not a PEM certificate", {
          cause: error,
        });
      }
    }
  }
}
