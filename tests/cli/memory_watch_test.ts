import { assertEquals } from "../_helpers/assert.ts";
import { MemoryWatch } from "../../lib/cli/serve_supervisor.ts";

const MiB = 1024 * 1024;

/** Feeds `readings` ([MiB, quiet]) to a 24 MiB watch; the indexes where it says recycle. */
function recyclesAt(readings: [number, boolean][]): number[] {
  const watch = new MemoryWatch(24 * MiB);
  const at: number[] = [];
  readings.forEach(([rss, quiet], i) => {
    if (watch.update(rss * MiB, quiet)) {
      at.push(i);
      watch.recycled();
    }
  });
  return at;
}

Deno.test("MemoryWatch: a quiet server 24 MiB over its rest recycles; 1 byte less does not; never while busy", () => {
  assertEquals(recyclesAt([[80, true], [104, true]]), [1]);
  const watch = new MemoryWatch(24 * MiB);
  watch.update(80 * MiB, true);
  assertEquals(watch.update(104 * MiB - 1, true), false);
  assertEquals(recyclesAt([[80, true], [200, false], [200, false]]), []);
  assertEquals(new MemoryWatch(0).update(1e12, true), false);
});

Deno.test("MemoryWatch: a recycle that gives nothing back sets the new rest, once, not in a loop", () => {
  assertEquals(recyclesAt([[80, true], [110, true], [110, true], [110, true], [111, true]]), [1]);
});

Deno.test("MemoryWatch: a recycle in the middle of a flood is followed by another at rest (the flood's growth after it is not the new rest)", () => {
  // Recycled at the flood's start (stats lag), the replacement grows through the flood: at rest
  // it holds 42 MiB over the old rest, and that is recycled too; then it is quiet and small.
  const readings: [number, boolean][] = [
    [82, true],
    [108, true],
    [130, false],
    [124, false],
    [124, true],
    [84, true],
    [84, true],
  ];
  assertEquals(recyclesAt(readings), [1, 4]);
});
