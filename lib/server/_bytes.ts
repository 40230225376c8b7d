/**
 * Growing a byte buffer. Internal to the server.
 *
 * @module
 */

/** `a` followed by `b`: `b` itself when `a` is empty, else a new array. */
export function _appendBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
