/**
 * Saving a download in `gemini browse`: free names, progress every 64 KiB, the `.part` file
 * renamed when complete and removed when the download stops or fails.
 */

import { assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { saveBody } from "../../../lib/cli/browse/downloads.ts";

/** A body of `chunks` chunks of `size` bytes; `onPull` runs before each chunk. */
function body(
  chunks: number,
  size: number,
  onPull: (index: number) => void = () => {},
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller): void {
      if (i >= chunks) return controller.close();
      onPull(i);
      controller.enqueue(new Uint8Array(size).fill(i++ % 256));
    },
  });
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("saveBody() writes the body under a free name and reports progress every 64 KiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const progress: number[] = [];
    const first = await saveBody(body(5, 32 * 1024), {
      dir: `${dir}/downloads`,
      name: "a.bin",
      signal: new AbortController().signal,
      onProgress: (bytes) => progress.push(bytes),
    });
    assertEquals(first, { path: `${dir}/downloads/a.bin`, bytes: 160 * 1024 });
    assertEquals(progress, [64 * 1024, 128 * 1024]);
    assertEquals((await Deno.readFile(first.path)).length, 160 * 1024);
    const second = await saveBody(body(1, 10), {
      dir: `${dir}/downloads`,
      name: "a.bin",
      signal: new AbortController().signal,
    });
    assertEquals(second, { path: `${dir}/downloads/a-1.bin`, bytes: 10 });
    assertEquals(await names(`${dir}/downloads`), ["a-1.bin", "a.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveBody() leaves nothing behind when the download is stopped or fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stop = new AbortController();
    await assertRejects(
      () =>
        saveBody(body(10, 1024, (i) => i === 3 && stop.abort()), {
          dir,
          name: "stopped.bin",
          signal: stop.signal,
        }),
      Error,
      "cancelled",
    );
    const broken = new ReadableStream<Uint8Array>({
      start(controller): void {
        controller.enqueue(new Uint8Array(100));
        controller.error(new Error("connection reset"));
      },
    });
    await assertRejects(
      () => saveBody(broken, { dir, name: "broken.bin", signal: new AbortController().signal }),
      Error,
      "connection reset",
    );
    assertEquals(await names(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
