/**
 * Reloading `gemini serve` on request (SIGHUP): the configuration is read and checked again
 * and put into service for new connections; a failed reload keeps the running one.
 *
 * @module
 */

import type { ServerConfig } from "../server/config/mod.ts";
import type { Logger } from "../server/logger.ts";
import type { ServerCertificate } from "../tls/listen.ts";
import { checkSiteFiles, siteCertificates, type SiteFiles } from "../server/site.ts";
import { loadConfig } from "./serve_config.ts";
import type { ServeValues } from "./serve.ts";

/** How {@linkcode reloadUntilStopped} reloads. */
export interface ReloadOptions {
  values: ServeValues;
  positionals: string[];
  /** The configuration running at the start. */
  config: ServerConfig;
  certificateDir: string;
  logger: Logger;
  stop: AbortSignal;
  reload?: EventTarget;
  /**
   * Throws when the process lacks a permission `next` needs (checked before its files);
   * returns the workers' permissions for `next` when it computed them (handed to `apply`,
   * so that the CGI directories are walked once per reload).
   */
  checkPermissions?(next: ServerConfig): Promise<Deno.PermissionOptionsObject | undefined>;
  /**
   * Puts a new, validated configuration, with the certificates and files read for it, into
   * service (throws to keep the running one); returns extra fields for the "configuration
   * reloaded" log line.
   */
  apply(
    next: ServerConfig,
    site: { certificates: ServerCertificate[]; files: SiteFiles },
    permissions: Deno.PermissionOptionsObject | undefined,
  ): Promise<Record<string, unknown>>;
}

/**
 * Waits until `stop` aborts. On each `reload` event (one at a time) it loads the
 * configuration again, checks its files, generates missing certificates and hands it to
 * `apply`; it logs the outcome and warns of changes that need a restart. A failed reload is
 * logged and the running configuration kept. Returns once the last reload has finished.
 */
export async function reloadUntilStopped(options: ReloadOptions): Promise<void> {
  const { logger } = options;
  let running = options.config;
  let reloading = Promise.resolve();
  const onReload = (): void => {
    reloading = reloading.then(async () => {
      try {
        const loaded = await loadConfig(options.values, options.positionals);
        // Listen addresses need a restart (warned below): the running ones are kept, and
        // every later step (permissions, files, workers) sees the configuration as applied.
        const next = { ...loaded, listen: running.listen };
        const permissions = await options.checkPermissions?.(next);
        const files = await checkSiteFiles(next);
        const { certificates, generated, renewed } = await siteCertificates(
          next,
          options.certificateDir,
          { files },
        );
        const fields = await options.apply(next, { certificates, files }, permissions);
        const restartNeeded = restartOnlyChanges(running, loaded);
        running = next;
        logger.info("configuration reloaded", {
          hosts: next.hosts.flatMap((h) => [h.name, ...h.aliases]).join(","),
          generated: generated.join(",") || undefined,
          renewed: renewed.map((r) => r.host).join(",") || undefined,
          ...fields,
        });
        for (const what of restartNeeded) {
          logger.warn("this change needs a restart to apply", { setting: what });
        }
      } catch (error) {
        logger.error("reload failed; keeping the running configuration", {
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    });
  };
  options.reload?.addEventListener("reload", onReload);
  await new Promise<void>((resolve) => {
    if (options.stop.aborted) resolve();
    options.stop.addEventListener("abort", () => resolve(), { once: true });
  });
  options.reload?.removeEventListener("reload", onReload);
  await reloading;
}

/** Settings that a running server cannot change (they need a restart). */
function restartOnlyChanges(
  old: ServerConfig,
  next: ServerConfig,
): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(old.listen, next.listen)) changed.push("listen");
  if (old.publicPort !== next.publicPort) changed.push("public_port");
  if (old.workers !== next.workers) changed.push("workers");
  if (!same(old.limits, next.limits)) changed.push("limits");
  if (old.logFormat !== next.logFormat || old.logIp !== next.logIp) {
    changed.push("log_format/log_ip");
  }
  if (old.accessLog !== next.accessLog || old.errorLog !== next.errorLog) {
    changed.push("access_log/error_log");
  }
  if (
    old.requestTimeout !== next.requestTimeout || old.responseTimeout !== next.responseTimeout
  ) changed.push("request_timeout/response_timeout");
  return changed;
}
