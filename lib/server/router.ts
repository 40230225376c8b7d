/**
 * Routing: virtual hosts by name (the request's host, which the pipeline has already
 * checked is one we serve) and locations by path pattern, each with its own handler.
 * Handlers compose: a location's handler is usually a file server wrapped in middleware.
 *
 * @module
 */

import { encodeRequestPath } from "../protocol/request_path.ts";
import type { GeminiReply, GeminiRequest, Handler, Middleware } from "./types.ts";

/**
 * Whether `host` matches a host pattern: exact (case-insensitive), `*.example.org` (any
 * subdomain, at any depth) or `*` (any host).
 *
 * @example
 * ```ts
 * import { matchHost } from "./router.ts";
 * console.assert(matchHost("*.example.org", "a.b.example.org"));
 * console.assert(!matchHost("*.example.org", "example.org"));
 * ```
 */
export function matchHost(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === "*" || p === h) return true;
  return p.startsWith("*.") && h.endsWith(p.slice(1));
}

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += ".*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/**
 * Whether a decoded request path matches a location pattern. `*` matches any characters
 * (slashes included) and `?` one character other than `/`; a pattern without wildcards
 * that ends in `/` matches that directory and everything below it; any other pattern
 * matches exactly.
 *
 * @example
 * ```ts
 * import { matchPath } from "./router.ts";
 * console.assert(matchPath("/private/", "/private/notes.gmi"));
 * console.assert(matchPath("*.txt", "/a/b.txt"));
 * console.assert(matchPath("/about.gmi", "/about.gmi") && !matchPath("/about.gmi", "/about.gmix"));
 * ```
 */
export function matchPath(pattern: string, path: string): boolean {
  if (pattern.includes("*") || pattern.includes("?")) return globToRegExp(pattern).test(path);
  if (pattern.endsWith("/")) return path === pattern.slice(0, -1) || path.startsWith(pattern);
  return path === pattern;
}

/** A location: requests whose path matches `pattern` go to `handler`. */
export interface Route {
  /** Path pattern, see {@linkcode matchPath}. */
  pattern: string;
  /** Handler for matching requests. */
  handler: Handler;
}

/** A virtual host: requests for one of `names` go to `handler`. */
export interface VirtualHost {
  /** Host names and aliases, see {@linkcode matchHost}. */
  names: string[];
  /** Handler for the host. */
  handler: Handler;
}

const NOT_FOUND: GeminiReply = { status: 51, meta: "Not found" };

/**
 * A handler that sends each request to the first route whose pattern matches its
 * (decoded) path, else to `fallback` (default: 51).
 *
 * @example
 * ```ts
 * import { routes } from "./router.ts";
 * const handler = routes([{ pattern: "/hello", handler: () => ({ status: 20, meta: "text/plain", body: "hi" }) }]);
 * console.assert(typeof handler === "function");
 * ```
 */
export function routes(list: Route[], fallback?: Handler): Handler {
  return (request: GeminiRequest) => {
    for (const route of list) {
      if (matchPath(route.pattern, request.path)) return route.handler(request);
    }
    return fallback ? fallback(request) : NOT_FOUND;
  };
}

/**
 * A handler that sends each request to the first virtual host one of whose names matches
 * the request's host, else to `fallback` (default: 53).
 *
 * @example
 * ```ts
 * import { virtualHosts } from "./router.ts";
 * const handler = virtualHosts([{ names: ["a.example"], handler: () => ({ status: 51, meta: "" }) }]);
 * console.assert(typeof handler === "function");
 * ```
 */
export function virtualHosts(hosts: VirtualHost[], fallback?: Handler): Handler {
  return (request: GeminiRequest) => {
    for (const host of hosts) {
      if (host.names.some((name) => matchHost(name, request.host))) return host.handler(request);
    }
    return fallback
      ? fallback(request)
      : { status: 53, meta: `Host ${request.host} is not served here` };
  };
}

/**
 * Middleware: answers `60` unless the client sent a certificate.
 *
 * @example
 * ```ts
 * import { requireClientCertificate } from "./router.ts";
 * const handler = requireClientCertificate()(() => ({ status: 20, meta: "text/plain" }));
 * console.assert(typeof handler === "function");
 * ```
 */
export function requireClientCertificate(
  meta = "Client certificate required",
): Middleware {
  return (next) => (request) => request.clientCertificate ? next(request) : { status: 60, meta };
}

/**
 * Middleware: removes `prefix` from the request path (and URL path) before `next` sees it;
 * requests outside the prefix get 51.
 *
 * @example
 * ```ts
 * import { stripPrefix } from "./router.ts";
 * const handler = stripPrefix("/app")((r) => ({ status: 20, meta: "text/plain", body: r.path }));
 * console.assert(typeof handler === "function");
 * ```
 */
export function stripPrefix(prefix: string): Middleware {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return (next) => (request) => {
    if (request.path !== p && !request.path.startsWith(p + "/")) return NOT_FOUND;
    const path = request.path.slice(p.length) || "/";
    const url = new URL(request.url.href);
    url.pathname = encodeRequestPath(path);
    return next({ ...request, url, path });
  };
}

/**
 * Applies middleware to a handler, the first in the list outermost.
 *
 * @example
 * ```ts
 * import { compose, requireClientCertificate } from "./router.ts";
 * const handler = compose(() => ({ status: 20, meta: "text/plain" }), requireClientCertificate());
 * console.assert(typeof handler === "function");
 * ```
 */
export function compose(handler: Handler, ...middleware: Middleware[]): Handler {
  return middleware.reduceRight((next, m) => m(next), handler);
}
