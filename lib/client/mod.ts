/**
 * The client layer: the contract types shared by `Client`, `get`, `browse` and `cert`, the
 * known-hosts store (trust on first use), the identity store (client certificates by URL
 * scope) and the `config.toml` loader.
 *
 * @example
 * ```ts
 * import { scopeCovers } from "./mod.ts";
 * console.assert(scopeCovers("gemini://example.org/alice", new URL("gemini://example.org/alice/x")));
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./known_hosts.ts";
export * from "./identities.ts";
export * from "./config.ts";
export * from "./known_hosts_import.ts";
