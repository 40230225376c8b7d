import { assertEquals } from "../_helpers/assert.ts";
import { MemoryWatch } from "../../lib/cli/serve_supervisor.ts";

const MiB = 1024 * 1024;

/**
 * Feeds `readings` ([MiB, quiet], one a second, the server serving from the first) to a
 * 24 MiB watch warm from its first rest; the indexes where it says recycle.
 */
function recyclesAt(readings: [number, boolean][]): number[] {
  return recyclesOf(
    new MemoryWatch(24 * MiB, { warmUpMs: 0 }),
    readings.map(([rss, quiet]) => [rss, quiet, true]),
  );
}

/** Feeds readings ([MiB, quiet, served], one a second) to `watch`; where it says recycle. */
function recyclesOf(watch: MemoryWatch, readings: [number, boolean, boolean][]): number[] {
  const at: number[] = [];
  readings.forEach(([rss, quiet, served], i) => {
    if (watch.update(rss * MiB, quiet, served, i * 1000)) {
      at.push(i);
      watch.recycled();
    }
  });
  return at;
}

Deno.test("MemoryWatch: a quiet server 24 MiB over its rest recycles; 1 byte less does not; never while busy", () => {
  assertEquals(recyclesAt([[80, true], [104, true]]), [1]);
  const watch = new MemoryWatch(24 * MiB, { warmUpMs: 0 });
  watch.update(80 * MiB, true, true, 0);
  assertEquals(watch.update(104 * MiB - 1, true, true, 1000), false);
  assertEquals(recyclesAt([[80, true], [200, false], [200, false]]), []);
  assertEquals(new MemoryWatch(0).update(1e12, true, true, 0), false);
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

/** A minute of quiet readings at `rss` MiB, the server serving. */
function quietMinute(rss: number): [number, boolean, boolean][] {
  return Array.from({ length: 60 }, () => [rss, true, true]);
}

Deno.test("MemoryWatch: a fresh server that serves its first requests and goes quiet is not recycled (warm-up is not growth)", () => {
  // At rest before any request: 80 MiB. The first requests load code on first use: 110 MiB,
  // 30 over the size measured before them, and it stays there.
  const readings: [number, boolean, boolean][] = [
    [80, true, false],
    [80, true, false],
    [95, true, true],
    [110, true, true],
    ...quietMinute(110),
    ...quietMinute(110),
  ];
  assertEquals(recyclesOf(new MemoryWatch(24 * MiB), readings), []);
  // The old measure (the rest before any request) would have recycled at the first rest.
  assertEquals(
    recyclesOf(new MemoryWatch(24 * MiB, { warmUpMs: Infinity }), [[80, true, false], [
      110,
      true,
      false,
    ]]),
    [1],
  );
});

Deno.test("MemoryWatch: after the warm-up, growth over the warm size at rest is recycled, 1 MiB less is not", () => {
  const warm: [number, boolean, boolean][] = [
    [80, true, false],
    [110, true, true],
    ...quietMinute(110),
  ];
  assertEquals(
    recyclesOf(new MemoryWatch(24 * MiB), [...warm, [133, true, true], [133, true, true]]),
    [],
  );
  const after = warm.length;
  // A crawl after the warm-up leaves 25 MiB behind: recycled at the next rest.
  assertEquals(
    recyclesOf(new MemoryWatch(24 * MiB), [...warm, [150, false, true], [135, true, true]]),
    [after + 1],
  );
});

Deno.test("MemoryWatch: a flood right after start ends the warm-up: what it leaves is recycled at the first rest", () => {
  const readings: [number, boolean, boolean][] = [
    [80, true, false],
    [82, true, true],
    [140, false, true],
    [150, false, true],
    [120, true, true],
  ];
  assertEquals(recyclesOf(new MemoryWatch(24 * MiB), readings), [4]);
});
