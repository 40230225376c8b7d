/**
 * gemini: a toolkit for the Gemini protocol. This module is the library: the pure wire
 * format and gemtext model, TLS connections with certificate access, the client and the
 * server building blocks.
 *
 * @example
 * ```ts
 * import { Status, statusClass } from "./mod.ts";
 * console.assert(statusClass(Status.SlowDown) === 40);
 * ```
 *
 * @module
 */

export * from "./lib/protocol/mod.ts";
export * from "./lib/files/mod.ts";
export * from "./lib/tls/mod.ts";
export * from "./lib/server/mod.ts";
export * from "./lib/gemtext/mod.ts";
