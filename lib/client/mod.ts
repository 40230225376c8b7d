/**
 * The client layer: `Client` with its policies (trust on first use, identities by scope,
 * input, redirects, retries, proxies, charsets, limits, gopher), the trust check and the
 * contract types shared with `gemini get`, `browse` and `cert`.
 *
 * @example
 * ```ts
 * import { Client, ClientError } from "./mod.ts";
 * const client = new Client({ maxRedirects: 2 });
 * try {
 *   await client.fetch("https://example.org/");
 * } catch (error) {
 *   console.assert(error instanceof ClientError && error.code === "unsupported-scheme");
 * }
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./client.ts";
export * from "./trust.ts";
