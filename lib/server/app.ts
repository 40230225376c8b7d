/**
 * A small framework for writing Gemini apps in code: a {@linkcode Router} with host and
 * path patterns and parameters (`/users/:name`, `*.example.org`, `:user.example.org`),
 * middleware, a typed request ({@linkcode AppRequest}: URL, params, client certificate,
 * decoded input) and reply helpers. A router is a plain {@linkcode Handler}, so it runs
 * under `serve()` like everything else, and everything the daemon does (static files,
 * CGI, Titan, access control, rules, proxy) can be mounted on it.
 *
 * @example
 * ```ts
 * import { input, Router } from "./app.ts";
 * import { success } from "./types.ts";
 * const app = new Router()
 *   .on("/", () => success("# Hello\n"))
 *   .on("/greet/:name", (req) => success(`Hello, ${req.params.name}!\n`, "text/plain"))
 *   .on("/ask", (req) => req.input === undefined ? input("Your name?") : success(`Hi ${req.input}\n`));
 * const reply = await app.handler({
 *   url: new URL("gemini://localhost/greet/Ada"), path: "/greet/Ada", host: "localhost",
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * console.assert(reply.body === "Hello, Ada!\n");
 * ```
 *
 * @module
 */

import type { Logger } from "./logger.ts";
import type { GeminiReply, GeminiRequest, Handler, Middleware, ReplyBody } from "./types.ts";

/** A request as app handlers see it. */
export interface AppRequest extends GeminiRequest {
  /** Path and host parameters (`:name`), decoded; `*` holds what a trailing `*` matched. */
  params: Record<string, string>;
  /** The query, percent-decoded (the answer to a 10/11 prompt); `undefined` without one. */
  input: string | undefined;
}

/** A handler that receives an {@linkcode AppRequest}. */
export type AppHandler = (request: AppRequest) => GeminiReply | Promise<GeminiReply>;

/** Where a route applies besides its path. */
export interface RouteOptions {
  /** Host pattern: `example.org`, `*.example.org`, `:name.example.org`, `*`. Default any. */
  host?: string;
  /**
   * Schemes answered. Default `["gemini"]`; add `"titan"` for upload routes (e.g. a mounted
   * `titanHandler`).
   */
  schemes?: string[];
  /** Middleware applied to this route only, outermost first. */
  use?: Middleware[];
}

interface CompiledPattern {
  re: RegExp;
  names: string[];
}

function escapeRe(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Compiles a path pattern: `:name` matches one non-empty segment, a final `*` matches the
 * rest (possibly empty), everything else literally. A trailing `/` is significant.
 */
function compilePath(pattern: string): CompiledPattern {
  if (!pattern.startsWith("/")) throw new SyntaxError(`Path pattern ${pattern} must start with /`);
  const names: string[] = [];
  let source = "";
  const tokens = pattern.split(/(:[A-Za-z_][A-Za-z0-9_]*|\*$)/);
  for (const token of tokens) {
    if (token.startsWith(":")) {
      names.push(token.slice(1));
      source += "([^/]+)";
    } else if (token === "*") {
      names.push("*");
      source += "(.*)";
    } else {
      source += escapeRe(token);
    }
  }
  return { re: new RegExp(`^${source}$`, "s"), names };
}

/** Compiles a host pattern: `:name` matches one label, `*.` any subdomains, `*` any host. */
function compileHost(pattern: string): CompiledPattern {
  if (pattern === "*") return { re: /^.*$/s, names: [] };
  const names: string[] = [];
  let source = "";
  const labels = pattern.toLowerCase().split(".");
  labels.forEach((label, i) => {
    if (i > 0) source += "\\.";
    if (label.startsWith(":")) {
      names.push(label.slice(1));
      source += "([^.]+)";
    } else if (label === "*" && i === 0) {
      source += ".+";
    } else {
      source += escapeRe(label);
    }
  });
  return { re: new RegExp(`^${source}$`), names };
}

function matchPattern(
  compiled: CompiledPattern,
  text: string,
  into: Record<string, string>,
): boolean {
  const m = compiled.re.exec(text);
  if (!m) return false;
  compiled.names.forEach((name, i) => (into[name] = m[i + 1]));
  return true;
}

/**
 * The decoded query of a URL: `undefined` without `?`, else the percent-decoded text (`+`
 * stays a plus). Malformed escapes are kept as sent.
 *
 * @example
 * ```ts
 * import { decodedInput } from "./app.ts";
 * console.assert(decodedInput(new URL("gemini://h/?a%20b+c")) === "a b+c");
 * console.assert(decodedInput(new URL("gemini://h/")) === undefined);
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
  host: CompiledPattern | undefined;
  schemes: string[];
  handler: AppHandler;
}

/** Options for {@linkcode Router}. */
export interface RouterOptions {
  /** Answers requests no route matched. Default `51 Not found`. */
  notFound?: AppHandler;
}

/**
 * Routes requests by host and path pattern to handlers, with middleware around all of
 * them ({@linkcode Router.use}) or one route ({@linkcode RouteOptions.use}). Routes are
 * tried in the order they were added.
 */
export class Router {
  #routes: RouteEntry[] = [];
  #middleware: Middleware[] = [];
  #notFound: AppHandler;
  #handler: Handler | undefined;

  /** Makes an empty router. */
  constructor(options: RouterOptions = {}) {
    this.#notFound = options.notFound ?? ((): GeminiReply => ({ status: 51, meta: "Not found" }));
  }

  /** Adds middleware that wraps every route (the first added is outermost). */
  use(...middleware: Middleware[]): this {
    this.#middleware.push(...middleware);
    this.#handler = undefined;
    return this;
  }

  /** Answers requests whose path matches `pattern` (see the module doc for the syntax). */
  on(pattern: string, handler: AppHandler, options: RouteOptions = {}): this {
    return this.#add(compilePath(pattern), undefined, handler, options);
  }

  /**
   * Hands every request under `prefix` (a path such as `/files`) to `handler` unchanged:
   * for mounting static files, CGI, Titan, a proxy or another router.
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
    this.#routes.push({
      path,
      prefix,
      host: options.host ? compileHost(options.host) : undefined,
      schemes: options.schemes ?? ["gemini"],
      handler: wrapped,
    });
    this.#handler = undefined;
    return this;
  }

  /** Finds the route for `request` and runs it. */
  route(request: GeminiRequest): GeminiReply | Promise<GeminiReply> {
    const scheme = request.url.protocol.slice(0, -1);
    for (const route of this.#routes) {
      if (!route.schemes.includes(scheme)) continue;
      const params: Record<string, string> = {};
      if (route.host && !matchPattern(route.host, request.host.toLowerCase(), params)) continue;
      if (route.path && !matchPattern(route.path, request.path, params)) continue;
      if (
        route.prefix !== undefined && route.prefix !== "" && request.path !== route.prefix &&
        !request.path.startsWith(route.prefix + "/")
      ) continue;
      return route.handler(toAppRequest(request, params));
    }
    return this.#notFound(toAppRequest(request, {}));
  }

  /** The router as a {@linkcode Handler} (with the router-wide middleware applied). */
  get handler(): Handler {
    this.#handler ??= this.#middleware.reduceRight<Handler>(
      (next, m) => m(next),
      (request) => this.route(request),
    );
    return this.#handler;
  }
}

function toAppRequest(request: GeminiRequest, params: Record<string, string>): AppRequest {
  const existing = (request as Partial<AppRequest>).params;
  return {
    ...request,
    params: existing ? { ...existing, ...params } : params,
    input: decodedInput(request.url),
  };
}

/**
 * Middleware: one log line per request with its status and duration.
 *
 * @example
 * ```ts
 * import { logging } from "./app.ts";
 * import { silentLogger } from "./logger.ts";
 * const handler = logging(silentLogger)(() => ({ status: 20, meta: "text/plain" }));
 * console.assert(typeof handler === "function");
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

/**
 * `10`: ask for a line of input.
 *
 * @example
 * ```ts
 * import { input } from "./app.ts";
 * console.assert(input("Search").status === 10);
 * ```
 */
export function input(prompt: string): GeminiReply {
  return { status: 10, meta: prompt };
}

/** `11`: ask for sensitive input (not echoed). */
export function sensitiveInput(prompt: string): GeminiReply {
  return { status: 11, meta: prompt };
}

/** A `20` reply with a `text/gemini; charset=utf-8` body built from lines. */
export function gemtext(...lines: string[]): GeminiReply {
  return { status: 20, meta: "text/gemini; charset=utf-8", body: lines.join("\n") + "\n" };
}

/** A `20` reply with a body of any media type. */
export function content(body: ReplyBody, mediaType: string): GeminiReply {
  return { status: 20, meta: mediaType, body };
}

/** `40` (or another 4x): a temporary failure. */
export function temporaryFailure(meta = "Temporary failure", status = 40): GeminiReply {
  return { status, meta };
}

/** `44`: ask the client to wait `seconds`. */
export function slowDown(seconds: number): GeminiReply {
  return { status: 44, meta: String(Math.max(1, Math.ceil(seconds))) };
}

/** `50` (or another 5x): a permanent failure. */
export function permanentFailure(meta = "Permanent failure", status = 50): GeminiReply {
  return { status, meta };
}

/** `52`: gone for good. */
export function gone(meta = "Gone"): GeminiReply {
  return { status: 52, meta };
}

/** `59`: bad request. */
export function badRequest(meta = "Bad request"): GeminiReply {
  return { status: 59, meta };
}

/** `60`: a client certificate is needed; `meta` says why. */
export function certificateRequired(meta = "Client certificate required"): GeminiReply {
  return { status: 60, meta };
}

/** `61`: the certificate is not authorised here. */
export function certificateNotAuthorised(meta = "Certificate not authorised"): GeminiReply {
  return { status: 61, meta };
}

/** `62`: the certificate is not valid. */
export function certificateNotValid(meta = "Certificate not valid"): GeminiReply {
  return { status: 62, meta };
}
