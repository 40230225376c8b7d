/**
 * Reading a file that may not exist. Internal (not exported by lib/files/mod.ts).
 *
 * @module
 */

/**
 * The text of `path`, or `undefined` when there is no such file. Other errors are thrown
 * as they are, or with `wrapErrors` as `Error("Cannot read PATH: ERROR")` (cause: the
 * error).
 */
export async function _readTextIfExists(
  path: string,
  options: { wrapErrors?: boolean } = {},
): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (!options.wrapErrors) throw error;
    throw new Error(`Cannot read ${path}: ${String(error)}`, { cause: error });
  }
}
