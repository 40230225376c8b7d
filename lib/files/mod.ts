/**
 * File helpers shared by the client, the server and the CLI: atomic writes, cross-process
 * locks and the XDG locations of the toolkit's files.
 *
 * @module
 */

export * from "./atomic.ts";
export * from "./lock.ts";
export * from "./paths.ts";
