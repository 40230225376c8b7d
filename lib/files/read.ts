/**
 * Reading a file that may not exist (a missing file is a normal case, not an error).
 *
 * @module
 */

/**
 * The text of `path`, or `undefined` when there is no such file. Other errors are thrown
 * as they are, or with `wrapErrors` as `Error("Cannot read PATH: ERROR")` (cause: the
 * error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTextIfExists } from "./read.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hello");
 * assert.equal(await readTextIfExists(`${dir}/a.txt`), "hello");
 * assert.equal(await readTextIfExists(`${dir}/missing.txt`), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTextIfExists(
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
