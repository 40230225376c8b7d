/**
 * Reading a file that may not exist (a missing file is a normal case, not an error).
 *
 * @module
 */

/**
 * The text of `path`, or `undefined` when there is no such file. Other errors are thrown
 * as they are, or with `wrapErrors` as `Error("Cannot read PATH: ERROR")` (cause: the
 * error; with `what`, `Cannot read WHAT PATH: ERROR`).
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
  options: {
    /** Throw other errors as `Cannot read PATH: ERROR`. Default `false`: as they are. */
    wrapErrors?: boolean;
    /** What the file is, for that message (`the known-hosts file`). Default none. */
    what?: string;
  } = {},
): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (!options.wrapErrors) throw error;
    const what = options.what ? `${options.what} ` : "";
    throw new Error(`Cannot read ${what}${path}: ${String(error)}`, { cause: error });
  }
}
