/**
 * Joining byte chunks. Internal to the client and the CLI.
 *
 * @module
 */

/** The chunks one after the other, in a new array. */
export function _concatBytes(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
