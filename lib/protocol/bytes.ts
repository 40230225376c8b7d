/**
 * Byte chunks joined into one array: what every reader of a stream or socket needs once it
 * has collected the chunks it was given. Pure; used by the client, the CLI and the tests.
 *
 * @module
 */

/**
 * The bytes of `chunks`, one after the other, in a new array (the chunks are not kept).
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * import assert from "node:assert";
 * const joined = concatBytes([new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
 * assert.deepEqual([...joined], [1, 2, 3]);
 * assert.equal(concatBytes([]).length, 0);
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
