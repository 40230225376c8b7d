import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { saveThroughPart } from "../../lib/files/part_file.ts";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/** Three chunks of `size` bytes, then `end` (an error thrown by the stream, or none). */
async function* chunks(size: number, end?: Error): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 3; i++) yield bytes(size, 0x61 + i);
  if (end) throw end;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("saveThroughPart() replaces the target only once the stream has ended, and counts every byte", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.bin`;
    await Deno.writeTextFile(path, "old");
    const seen: number[] = [];
    assertEquals(
      await saveThroughPart(chunks(1000), path, { onChunk: (n) => void seen.push(n) }),
      3000,
    );
    assertEquals(seen, [1000, 2000, 3000]);
    assertEquals((await Deno.readFile(path)).length, 3000);
    assertEquals(await exists(`${path}.part`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveThroughPart() leaves the target as it was when the stream fails: the .part file keeps what came, or goes with removePartial", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.bin`;
    await Deno.writeTextFile(path, "old");
    await assertRejects(
      () => saveThroughPart(chunks(10, new Error("reset")), path),
      Error,
      "reset",
    );
    assertEquals(await Deno.readTextFile(path), "old");
    assertEquals((await Deno.readFile(`${path}.part`)).length, 30);
    await assertRejects(
      () => saveThroughPart(chunks(10, new Error("reset")), path, { removePartial: true }),
      Error,
      "reset",
    );
    assertEquals(await Deno.readTextFile(path), "old");
    assertEquals(await exists(`${path}.part`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveThroughPart() stops after the chunk during which the signal aborted; direct writes need no .part", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stop = new AbortController();
    const path = `${dir}/stopped.bin`;
    await assertRejects(
      () =>
        saveThroughPart(chunks(10), path, {
          signal: stop.signal,
          removePartial: true,
          onChunk: (n) => void (n === 20 && stop.abort()),
        }),
      Error,
      "cancelled",
    );
    assertEquals([await exists(path), await exists(`${path}.part`)], [false, false]);
    const direct = `${dir}/direct.bin`;
    assertEquals(
      await saveThroughPart(chunks(5), direct, {
        direct: true,
        onChunk: async () => assertEquals(await exists(`${direct}.part`), false),
      }),
      15,
    );
    assertEquals((await Deno.readFile(direct)).length, 15);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
