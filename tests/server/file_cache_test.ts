/**
 * The file server's cache of small files (lib/server/_file_read.ts): a kept copy is served
 * only while the file's lstat is unchanged, files that changed in the last 2 s are not kept,
 * and the cache stays within its bounds. Over TLS: a page rewritten in place with the same
 * size and its modification time set back is served new on the next request.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { join } from "node:path";
import { _FileCache, SETTLED_MS } from "../../lib/server/_file_read.ts";
import { fileServer } from "../../lib/server/static.ts";
import { serve } from "../../lib/server/server.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl } from "./_harness.ts";
import { waitFor } from "../_helpers/wait.ts";
import { handlerRequest } from "./_request.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A clock far enough ahead that every file on disk counts as settled. */
const settledClock = (): number => Date.now() + 10 * SETTLED_MS;

/**
 * Waits (polling, bounded) until a file written now gets a later change time than `path`'s
 * as Deno reports it (whole seconds in Deno 2.9.6), so that the next write to `path` shows.
 */
async function pastChangeTime(path: string): Promise<void> {
  const ctime = Deno.lstatSync(path).ctime!.getTime();
  const probe = `${path}.probe`;
  await waitFor(
    () => {
      Deno.writeTextFileSync(probe, "");
      return Deno.lstatSync(probe).ctime!.getTime() > ctime;
    },
    "a later change time",
    { timeoutMs: 5000 },
  );
  Deno.removeSync(probe);
}

Deno.test("file cache: a kept file is read again when only its change time differs (same inode, size and modification time)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "page.gmi");
    await Deno.writeTextFile(path, "AAAA\n");
    const cache = new _FileCache({ maxFileBytes: 1024, maxBytes: 4096 });
    const first = cache.read(path, Deno.lstatSync(path), settledClock());
    assertEquals(text(first), "AAAA\n");
    assertEquals(cache.size, 5, "kept");
    assert(cache.read(path, Deno.lstatSync(path), settledClock()) === first, "served from memory");

    const before = Deno.lstatSync(path);
    await pastChangeTime(path);
    await Deno.writeTextFile(path, "BBBB\n"); // in place: same inode, same size
    Deno.utimeSync(path, before.atime!, before.mtime!); // modification time set back
    const after = Deno.lstatSync(path);
    assertEquals([after.ino, after.size, after.mtime?.getTime()], [
      before.ino,
      before.size,
      before.mtime?.getTime(),
    ]);
    assertEquals(text(cache.read(path, after, settledClock())), "BBBB\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file cache: a file replaced by rename, or changed to another size, is read again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "page.gmi");
    await Deno.writeTextFile(path, "one\n");
    const cache = new _FileCache({ maxFileBytes: 1024, maxBytes: 4096 });
    assertEquals(text(cache.read(path, Deno.lstatSync(path), settledClock())), "one\n");
    await Deno.writeTextFile(join(dir, "new"), "two\n");
    await Deno.rename(join(dir, "new"), path);
    assertEquals(text(cache.read(path, Deno.lstatSync(path), settledClock())), "two\n");
    await Deno.writeTextFile(path, "three\n");
    assertEquals(text(cache.read(path, Deno.lstatSync(path), settledClock())), "three\n");
    assertEquals(cache.size, 6, "only the current contents are held");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file cache: a file changed less than 2 s ago is read from disk every time, not kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "page.gmi");
    await Deno.writeTextFile(path, "fresh\n");
    const cache = new _FileCache({ maxFileBytes: 1024, maxBytes: 4096 });
    const a = cache.read(path, Deno.lstatSync(path));
    const b = cache.read(path, Deno.lstatSync(path));
    assertEquals([text(a), text(b)], ["fresh\n", "fresh\n"]);
    assert(a !== b, "read twice");
    assertEquals(cache.size, 0);
    // The same file counts as settled 2 s after its change time, which Deno gives in whole
    // seconds (so 2 s after the end of that second).
    const ctime = Deno.lstatSync(path).ctime!.getTime();
    cache.read(path, Deno.lstatSync(path), ctime + 1000 + SETTLED_MS - 1);
    assertEquals(cache.size, 0, "1 ms too early");
    cache.read(path, Deno.lstatSync(path), ctime + 1000 + SETTLED_MS);
    assertEquals(cache.size, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file cache: files over the per-file limit are not kept, and the total stays within its bound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cache = new _FileCache({ maxFileBytes: 100, maxBytes: 250 });
    const file = async (name: string, size: number): Promise<string> => {
      const path = join(dir, name);
      await Deno.writeFile(path, new Uint8Array(size).fill(0x61));
      return path;
    };
    const big = await file("big", 101);
    assertEquals(cache.read(big, Deno.lstatSync(big), settledClock()).length, 101);
    assertEquals(cache.size, 0, "101 bytes is over the per-file limit of 100");
    const exact = await file("exact", 100);
    cache.read(exact, Deno.lstatSync(exact), settledClock());
    assertEquals(cache.size, 100, "100 bytes is kept");
    for (const name of ["a", "b", "c", "d", "e"]) {
      const path = await file(name, 90);
      cache.read(path, Deno.lstatSync(path), settledClock());
      assert(cache.size <= 250, `within the bound after ${name}: ${cache.size}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file server over TLS: a cached page rewritten in place (same size, modification time set back) is served new", async () => {
  const root = await Deno.makeTempDir();
  const { cert, key } = await generateCertificate("localhost");
  const server = await serve({
    handler: fileServer({ root, clock: settledClock }),
    hosts: ["localhost"],
    certificates: [{ cert, key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    publicPort: 1965,
  });
  try {
    const port = server.addrs[0].port;
    const path = join(root, "index.gmi");
    await Deno.writeTextFile(path, "# Old\n");
    const get = async (): Promise<string> => {
      const reply = await fetchUrl(port, "gemini://localhost/", { servername: "localhost" });
      assertEquals(reply.header, "20 text/gemini");
      return reply.text;
    };
    assertEquals(await get(), "# Old\n");
    assertEquals(await get(), "# Old\n");
    const before = Deno.lstatSync(path);
    await pastChangeTime(path);
    await Deno.writeTextFile(path, "# New\n");
    Deno.utimeSync(path, before.atime!, before.mtime!);
    assertEquals(await get(), "# New\n");
    await Deno.writeTextFile(path, "# Newer, longer\n");
    assertEquals(await get(), "# Newer, longer\n");
    await Deno.remove(path);
    const gone = await fetchUrl(port, "gemini://localhost/", { servername: "localhost" });
    assertEquals(gone.status, 51);
  } finally {
    await server.shutdown(2000);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("file servers share one cache by default, have their own with cacheBytes, and none with 0", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(root, "index.gmi"), "# Shared\n");
    const request = handlerRequest("gemini://localhost/");
    const body = async (server: ReturnType<typeof fileServer>): Promise<Uint8Array> =>
      (await server(request)).body as Uint8Array;
    // Two servers of one root without a size of their own: the second gets the bytes the
    // first kept (the same array), read once.
    const a = fileServer({ root, clock: settledClock });
    const b = fileServer({ root, clock: settledClock });
    const first = await body(a);
    assert(await body(b) === first, "one shared cache");
    const own = fileServer({ root, clock: settledClock, cacheBytes: 1024 });
    const mine = await body(own);
    assert(mine !== first, "its own cache");
    assert(await body(own) === mine, "and it keeps the file");
    const none = fileServer({ root, clock: settledClock, cacheBytes: 0 });
    assert(await body(none) !== await body(none), "read every time");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
