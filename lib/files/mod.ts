/**
 * File helpers shared by the client, the server and the CLI: atomic writes, cross-process
 * locks, the XDG locations of the toolkit's files and TOML reading with file:line errors.
 *
 * @module
 */

export * from "./atomic.ts";
export * from "./lock.ts";
export * from "./paths.ts";
export * from "./toml.ts";
