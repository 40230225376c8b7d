/**
 * The router: requests go by scheme, host pattern and path pattern to handlers, with
 * middleware around all routes ({@linkcode Router.use}) or one ({@linkcode RouteOptions.use}).
 * A router is a plain {@linkcode Handler} ({@linkcode Router.handler}), so it runs under
 * `serve()` like everything else, and anything (static files, CGI, Titan, access control,
 * a proxy, another router) can be routed to or mounted on it. `gemini serve` builds its
 * virtual hosts and locations with it.
 *
 * Path patterns: `:name` at the start of a segment matches one segment (`/users/:name`),
 * `*` any characters, slashes included (a final `*` is kept as the parameter `*`), `?` one
 * character other than `/`; anything else matches itself, and a pattern starts with `/` or
 * `*`. {@linkcode Router.mount} takes a directory instead: `/files` answers `/files` and
 * everything below it. Host patterns: `example.org`, `*.example.org` (any subdomain),
 * `:user.example.org` (one label, kept as a parameter) or `*`.
 *
 * @example
 * ```ts
 * import { Router } from "./router.ts";
 * import { gemtext, input } from "./reply.ts";
 * import assert from "node:assert/strict";
 *
 * const app = new Router()
 *   .on("/", () => gemtext("# Hello"))
 *   .on("/greet/:name", (req) => gemtext(`Hello, ${req.params.name}!`))
 *   .on("/ask", (req) => req.input === undefined ? input("Your name?") : gemtext(`Hi ${req.input}`));
 * const reply = await app.handler({
 *   url: new URL("gemini://localhost/greet/Ada"), path: "/greet/Ada", host: "localhost",
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * assert.equal(reply.body, "Hello, Ada!\n");
 * ```
 *
 * @module
 */

import { type CompiledPattern, compileHost, compilePath, matchPattern } from "./_pattern.ts";
import { compose } from "./middleware.ts";
import { notFound } from "./reply.ts";
import type { GeminiReply, GeminiRequest, Handler, Middleware } from "./types.ts";

/** A request as route handlers see it. */
export interface AppRequest extends GeminiRequest {
  /** Path and host parameters (`:name`), decoded; `*` holds what a final `*` matched. */
  params: Record<string, string>;
  /** The query, percent-decoded (the answer to a 10/11 prompt); `undefined` without one. */
  input: string | undefined;
}

/** A handler that receives an {@linkcode AppRequest}. */
export type AppHandler = (request: AppRequest) => GeminiReply | Promise<GeminiReply>;

/** Where a route applies besides its path. */
export interface RouteOptions {
  /**
   * Host pattern, or several (a host and its aliases): `example.org`, `*.example.org`,
   * `:name.example.org`, `*`. Default any host.
   */
  host?: string | string[];
  /**
   * Schemes answered. Default `["gemini"]`; add `"titan"` for upload routes (e.g. a mounted
   * `titanHandler`).
   */
  schemes?: string[];
  /** Middleware applied to this route only, outermost first. */
  use?: Middleware[];
}

/**
 * The decoded query of a URL: `undefined` without `?`, else the percent-decoded text (`+`
 * stays a plus). Malformed escapes are kept as sent.
 *
 * @example
 * ```ts
 * import { decodedInput } from "./router.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodedInput(new URL("gemini://h/?a%20b+c")), "a b+c");
 * assert.equal(decodedInput(new URL("gemini://h/")), undefined);
 * ```
 */
export function decodedInput(url: URL): string | undefined {
  if (!url.href.includes("?")) return undefined;
  const raw = url.search.slice(1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

interface RouteEntry {
  path: CompiledPattern | undefined;
  prefix: string | undefined;
  hosts: CompiledPattern[];
  schemes: string[];
  handler: AppHandler;
}

/** Options for {@linkcode Router}. */
export interface RouterOptions {
  /** Answers requests no route matched. Default `51 Not found`. */
  notFound?: AppHandler;
}

/**
 * Routes requests by scheme, host and path pattern to handlers (see the module doc for the
 * patterns). Routes are tried in the order they were added; the first that matches answers.
 *
 * @example
 * ```ts
 * import { Router } from "./router.ts";
 * import { gemtext } from "./reply.ts";
 * import assert from "node:assert/strict";
 *
 * const site = new Router({ notFound: () => ({ status: 53, meta: "Not served here" }) })
 *   .on("*.txt", () => gemtext("a text file"), { host: ["example.org", "www.example.org"] })
 *   .on("/*", (req) => gemtext(`capsule of ${req.params.user}`), { host: ":user.example.org" });
 * const ask = (url: string) => {
 *   const u = new URL(url);
 *   return site.route({
 *     url: u, path: u.pathname, host: u.hostname, clientCertificate: undefined,
 *     remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "r",
 *     signal: new AbortController().signal,
 *   });
 * };
 * assert.equal((await ask("gemini://alice.example.org/")).body, "capsule of alice\n");
 * assert.equal((await ask("gemini://www.example.org/a/b.txt")).body, "a text file\n");
 * assert.equal((await ask("gemini://example.net/")).status, 53);
 * ```
 */
export class Router {
  #routes: RouteEntry[] = [];
  #middleware: Middleware[] = [];
  #notFound: AppHandler;
  #handler: Handler | undefined;

  /** Makes an empty router. */
  constructor(options: RouterOptions = {}) {
    this.#notFound = options.notFound ?? ((): GeminiReply => notFound());
  }

  /** Adds middleware that wraps every route (the first added is outermost). */
  use(...middleware: Middleware[]): this {
    this.#middleware.push(...middleware);
    this.#handler = undefined;
    return this;
  }

  /**
   * Answers requests whose path matches `pattern` (see the module doc for the syntax).
   * Throws a `SyntaxError` for a pattern that starts with neither `/` nor `*`.
   */
  on(pattern: string, handler: AppHandler, options: RouteOptions = {}): this {
    return this.#add(compilePath(pattern), undefined, handler, options);
  }

  /**
   * Hands every request for `prefix` or below it (a directory such as `/files`; `/files/`
   * is the same, and `` or `/` is everything) to `handler` unchanged: for mounting static
   * files, CGI, Titan, a proxy or another router.
   */
  mount(prefix: string, handler: Handler | Router, options: RouteOptions = {}): this {
    const p = prefix.replace(/\/+$/, "");
    const h = handler instanceof Router ? handler.handler : handler;
    return this.#add(undefined, p, h as AppHandler, options);
  }

  #add(
    path: CompiledPattern | undefined,
    prefix: string | undefined,
    handler: AppHandler,
    options: RouteOptions,
  ): this {
    const wrapped = (options.use ?? []).reduceRight<AppHandler>(
      (next, m) => m(next as Handler) as AppHandler,
      handler,
    );
    const hosts = options.host === undefined ? [] : [options.host].flat();
    this.#routes.push({
      path,
      prefix,
      hosts: hosts.map(compileHost),
      schemes: options.schemes ?? ["gemini"],
      handler: wrapped,
    });
    this.#handler = undefined;
    return this;
  }

  /** Finds the route for `request` and runs it (without the router-wide middleware). */
  route(request: GeminiRequest): GeminiReply | Promise<GeminiReply> {
    const scheme = request.url.protocol.slice(0, -1);
    const host = request.host.toLowerCase();
    for (const route of this.#routes) {
      if (!route.schemes.includes(scheme)) continue;
      const params: Record<string, string> = {};
      if (route.hosts.length > 0 && !route.hosts.some((h) => matchPattern(h, host, params))) {
        continue;
      }
      if (route.path && !matchPattern(route.path, request.path, params)) continue;
      if (route.prefix !== undefined && !underPrefix(request.path, route.prefix)) continue;
      return route.handler(toAppRequest(request, params));
    }
    return this.#notFound(toAppRequest(request, {}));
  }

  /** The router as a {@linkcode Handler} (with the router-wide middleware applied). */
  get handler(): Handler {
    this.#handler ??= compose((request) => this.route(request), ...this.#middleware);
    return this.#handler;
  }
}

/** Whether `path` is `prefix` or below it (`""` is everything). */
function underPrefix(path: string, prefix: string): boolean {
  return prefix === "" || path === prefix || path.startsWith(prefix + "/");
}

function toAppRequest(request: GeminiRequest, params: Record<string, string>): AppRequest {
  const existing = (request as Partial<AppRequest>).params;
  return {
    ...request,
    params: existing ? { ...existing, ...params } : params,
    input: decodedInput(request.url),
  };
}
