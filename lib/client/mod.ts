/**
 * The client layer: `Client` with its policies (trust on first use, identities by scope,
 * input, redirects, retries, proxies, charsets, limits, gopher), the trust check, the
 * known-hosts store, the identity store (client certificates by URL scope), the
 * `config.toml` loader and the contract types shared by `Client`, `get`, `browse` and `cert`.
 *
 * @example
 * ```ts
 * import { Client, ClientError, scopeCovers } from "./mod.ts";
 * import assert from "node:assert";
 * assert.ok(scopeCovers("gemini://example.org/alice", new URL("gemini://example.org/alice/x")));
 * const client = new Client({ maxRedirects: 2 });
 * await assert.rejects(
 *   () => client.fetch("https://example.org/"),
 *   (error) => error instanceof ClientError && error.code === "unsupported-scheme",
 * );
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./client.ts";
export * from "./trust.ts";
export * from "./retry.ts";
export * from "./server_certificate.ts";
export * from "./known_hosts.ts";
export * from "./identities.ts";
export * from "./config.ts";
export * from "./known_hosts_import.ts";
export * from "./titan.ts";
