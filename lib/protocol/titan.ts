/**
 * Titan upload URLs: `titan://host/path;size=N;mime=type;token=T`. The parameters sit on
 * the last path segment, before any query; `size` is required, `mime` defaults to
 * `text/gemini`, `token` is optional, and their order is free.
 *
 * @module
 */

import { _encodeComponent } from "./_util.ts";
import { normalizeUrl, UrlError } from "./url.ts";

/** A parsed Titan URL. */
export interface TitanUrl {
  /** The URL without the Titan parameters (query kept, fragment removed). */
  url: URL;
  /** The number of body bytes that follow the request line; 0 means delete. */
  size: number;
  /** The media type of the body; `text/gemini` when absent. */
  mime: string;
  /** The authorisation token, when given. */
  token?: string;
  /** Every parameter as given (percent-decoded), including `size`, `mime` and `token`. */
  params: Record<string, string>;
}

/** Parameters for {@linkcode formatTitanUrl}. */
export interface TitanParams {
  /** Body size in bytes: a non-negative safe integer. Required. */
  size: number;
  /** Media type of the body. Default: omitted (the server assumes `text/gemini`). */
  mime?: string;
  /** Authorisation token. Default: none. */
  token?: string;
}

const PARAMS_RE = /^(?:;[A-Za-z0-9_.\-]+=[^;]*)+$/;

function decode(value: string, name: string): string {
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw new UrlError("titan-params", `Titan parameter ${name} has bad percent-encoding`, {
      cause,
      input: value,
    });
  }
}

/**
 * Splits a Titan URL into the target URL and its parameters. Throws a
 * {@linkcode UrlError}: `scheme` if it is not `titan:`, `titan-params` when `size` is
 * missing or not a non-negative integer, plus the errors of `normalizeUrl`.
 *
 * @example
 * ```ts
 * import { parseTitanUrl } from "./titan.ts";
 * import assert from "node:assert/strict";
 * const t = parseTitanUrl("titan://example.org/raw/Test;token=hello;mime=text/plain;size=10");
 * assert.equal(t.url.href, "titan://example.org/raw/Test");
 * assert.equal(t.size, 10);
 * assert.equal(t.mime, "text/plain");
 * assert.equal(t.token, "hello");
 * ```
 */
export function parseTitanUrl(url: string | URL): TitanUrl {
  const parsed = normalizeUrl(url, { schemes: ["titan"] });
  const path = parsed.pathname;
  let start = -1;
  for (let i = path.indexOf(";"); i !== -1; i = path.indexOf(";", i + 1)) {
    if (PARAMS_RE.test(path.slice(i))) {
      start = i;
      break;
    }
  }
  if (start === -1) {
    throw new UrlError("titan-params", `Titan URL ${parsed.href} has no ;size= parameter`, {
      input: parsed.href,
    });
  }
  const params: Record<string, string> = {};
  for (const pair of path.slice(start + 1).split(";")) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).toLowerCase();
    if (!Object.hasOwn(params, name)) {
      Object.defineProperty(params, name, {
        value: decode(pair.slice(eq + 1), name),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  if (params.size === undefined) {
    throw new UrlError("titan-params", `Titan URL ${parsed.href} has no size parameter`, {
      input: parsed.href,
    });
  }
  if (!/^[0-9]{1,15}$/.test(params.size)) {
    throw new UrlError(
      "titan-params",
      `Titan size ${JSON.stringify(params.size)} is not a non-negative integer`,
      { input: parsed.href },
    );
  }
  const target = new URL(parsed.href);
  target.pathname = path.slice(0, start) || "/";
  const result: TitanUrl = {
    url: target,
    size: Number(params.size),
    mime: params.mime || "text/gemini",
    params,
  };
  if (params.token !== undefined) result.token = params.token;
  return result;
}

/**
 * Builds a Titan request URL: `url` (a `titan:` or `gemini:` URL; its own Titan parameters,
 * if any, are replaced) with `;size=`, then `;mime=` and `;token=` when given, values
 * percent-encoded except `/` in the media type. Returns the href. Throws a
 * {@linkcode UrlError} `titan-params` for a bad size, plus the errors of `normalizeUrl`.
 *
 * @example
 * ```ts
 * import { formatTitanUrl } from "./titan.ts";
 * import assert from "node:assert/strict";
 * const href = formatTitanUrl("gemini://example.org/page", { size: 5, mime: "text/plain" });
 * assert.equal(href, "titan://example.org/page;size=5;mime=text/plain");
 * ```
 */
export function formatTitanUrl(url: string | URL, params: TitanParams): string {
  if (!Number.isSafeInteger(params.size) || params.size < 0) {
    throw new UrlError("titan-params", `Titan size ${params.size} is not a non-negative integer`);
  }
  let base = normalizeUrl(url, { schemes: ["titan", "gemini"] });
  if (base.protocol === "gemini:") {
    base = new URL(`titan:${base.href.slice("gemini:".length)}`);
  }
  try {
    base = parseTitanUrl(base).url;
  } catch {
    // no existing parameters
  }
  let suffix = `;size=${params.size}`;
  if (params.mime !== undefined) {
    suffix += `;mime=${_encodeComponent(params.mime, /[A-Za-z0-9\-._~/+]/)}`;
  }
  if (params.token !== undefined) suffix += `;token=${_encodeComponent(params.token)}`;
  base.pathname = `${base.pathname}${suffix}`;
  return normalizeUrl(base).href;
}
