/**
 * General middleware: composing middleware around a handler, a log line per request, a path
 * prefix removed before the handler sees it, and a client certificate required. (Access
 * control, rate limits, rules and overrides have their own modules.)
 *
 * @module
 */

import { encodeRequestPath } from "../protocol/request_path.ts";
import type { Logger } from "./logger.ts";
import { certificateRequired, notFound } from "./reply.ts";
import type { Handler, Middleware } from "./types.ts";

/**
 * Applies middleware to a handler, the first in the list outermost.
 *
 * @example
 * ```ts
 * import { compose, requireClientCertificate } from "./middleware.ts";
 * import { success } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const handler = compose(() => success("hi", "text/plain"), requireClientCertificate());
 * const reply = await handler({
 *   url: new URL("gemini://h/"), path: "/", host: "h", clientCertificate: undefined,
 *   remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "r",
 *   signal: new AbortController().signal,
 * });
 * assert.equal(reply.status, 60);
 * ```
 */
export function compose(handler: Handler, ...middleware: Middleware[]): Handler {
  return middleware.reduceRight((next, m) => m(next), handler);
}

/**
 * Middleware: answers `60` (with `meta`) unless the client sent a certificate.
 *
 * @example
 * ```ts
 * import { requireClientCertificate } from "./middleware.ts";
 * import { success } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const handler = requireClientCertificate("Sign in")(() => success("hi", "text/plain"));
 * const reply = await handler({
 *   url: new URL("gemini://h/"), path: "/", host: "h", clientCertificate: undefined,
 *   remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "r",
 *   signal: new AbortController().signal,
 * });
 * assert.deepEqual(reply, { status: 60, meta: "Sign in" });
 * ```
 */
export function requireClientCertificate(
  meta = "Client certificate required",
): Middleware {
  return (next) => (request) =>
    request.clientCertificate ? next(request) : certificateRequired(meta);
}

/**
 * Middleware: removes `prefix` from the request path (and URL path) before `next` sees it;
 * requests outside the prefix get 51.
 *
 * @example
 * ```ts
 * import { stripPrefix } from "./middleware.ts";
 * import { success } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const handler = stripPrefix("/app")((r) => success(`${r.path} ${r.url.pathname}`, "text/plain"));
 * const request = (path: string) => ({
 *   url: new URL(`gemini://h${path}`), path, host: "h", clientCertificate: undefined,
 *   remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "r",
 *   signal: new AbortController().signal,
 * });
 * assert.equal((await handler(request("/app/a b"))).body, "/a b /a%20b");
 * assert.equal((await handler(request("/other"))).status, 51);
 * ```
 */
export function stripPrefix(prefix: string): Middleware {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return (next) => (request) => {
    if (request.path !== p && !request.path.startsWith(p + "/")) return notFound();
    const path = request.path.slice(p.length) || "/";
    const url = new URL(request.url.href);
    url.pathname = encodeRequestPath(path);
    return next({ ...request, url, path });
  };
}

/**
 * Middleware: one log line per request with its status and duration (`info request`), or
 * the error a handler threw (`error request failed`, then the error goes on).
 *
 * @example
 * ```ts
 * import { logging } from "./middleware.ts";
 * import { createLogger } from "./logger.ts";
 * import { gone } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const logger = createLogger({ write: (line) => void lines.push(line) });
 * const handler = logging(logger)(() => gone());
 * await handler({
 *   url: new URL("gemini://h/old"), path: "/old", host: "h", clientCertificate: undefined,
 *   remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "r1",
 *   signal: new AbortController().signal,
 * });
 * assert.match(lines[0], /request .*status=52/);
 * ```
 */
export function logging(logger: Logger): Middleware {
  return (next) => async (request) => {
    const started = performance.now();
    try {
      const reply = await next(request);
      logger.info("request", {
        id: request.requestId,
        host: request.host,
        path: request.path,
        status: reply.status,
        ms: Math.round(performance.now() - started),
      });
      return reply;
    } catch (error) {
      logger.error("request failed", { id: request.requestId, path: request.path, error });
      throw error;
    }
  };
}
