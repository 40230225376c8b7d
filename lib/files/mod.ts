/**
 * File helpers shared by the client, the server and the CLI: atomic writes, cross-process
 * locks, reading a file that may be missing, the XDG locations of the toolkit's files and TOML reading with file:line errors.
 *
 * @module
 */

export { atomicWriteFile, type AtomicWriteOptions } from "./atomic.ts";
export { withFileLock } from "./lock.ts";
export { readTextIfExists } from "./read.ts";
export { type EnvReader, type Paths, resolvePaths } from "./paths.ts";
export {
  formatTomlPath,
  parseTomlFile,
  type ParseTomlFileOptions,
  TomlFileError,
  tomlLine,
  type TomlPath,
} from "./toml.ts";
