/**
 * File helpers shared by the client, the server and the CLI: atomic writes, cross-process
 * locks, reading a file that may be missing, saving a stream through a `.part` file, the XDG locations of the toolkit's files and TOML reading with file:line errors.
 *
 * @module
 */

export { atomicWriteFile, type AtomicWriteOptions } from "./atomic.ts";
export { withFileLock } from "./lock.ts";
export { readTextIfExists } from "./read.ts";
export { saveThroughPart, type SaveThroughPartOptions } from "./part_file.ts";
export { type EnvReader, type Paths, resolvePaths } from "./paths.ts";
export {
  formatTomlPath,
  parseTomlFile,
  type ParseTomlFileOptions,
  TomlFileError,
  tomlLine,
  type TomlPath,
} from "./toml.ts";
