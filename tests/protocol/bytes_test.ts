import { assert, assertEquals } from "../_helpers/assert.ts";
import { concatBytes } from "../../lib/protocol/bytes.ts";

Deno.test("concatBytes() joins chunks in order into a new array", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4]);
  const joined = concatBytes([a, new Uint8Array(0), b, a.subarray(1)]);
  assertEquals([...joined], [1, 2, 3, 4, 2, 3]);
  // A copy: changing the result leaves the chunks alone, and the other way round.
  joined[0] = 9;
  a[1] = 7;
  assertEquals([a[0], joined[1]], [1, 2]);
});

Deno.test("concatBytes() of no chunks, or of one, is a fresh array", () => {
  assertEquals(concatBytes([]).length, 0);
  const one = new Uint8Array([5, 6]);
  const copy = concatBytes([one]);
  assertEquals([...copy], [5, 6]);
  assert(copy !== one && copy.buffer !== one.buffer);
});
