/**
 * Media types without the full table at start: the built-in table agrees with `mime-types`
 * for every extension it holds, and a file server answers an extension outside it with the
 * full table's type (loaded on that first request), over the real pipeline.
 */

import { join } from "node:path";
import mime from "mime-types";
import { assertEquals } from "../_helpers/assert.ts";
import { _BUILT_IN_MEDIA_TYPES } from "../../lib/server/_media_types.ts";
import { fileServer } from "../../lib/server/static.ts";
import { memoryServer } from "../../lib/server/memory.ts";
import { fetchUrl, PIPELINE_TEST, startServer } from "./_harness.ts";

Deno.test("the built-in media types are the ones mime-types gives", () => {
  for (const [ext, type] of Object.entries(_BUILT_IN_MEDIA_TYPES)) {
    assertEquals(type, mime.lookup(ext), ext);
  }
});

Deno.test("fileServer: an extension outside the built-in table gets the full table's type", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.wasm"), "x");
    await Deno.writeTextFile(join(dir, "b.png"), "x");
    await Deno.writeTextFile(join(dir, "c.unknownext"), "x");
    const s = await startServer(fileServer({ root: dir }), PIPELINE_TEST);
    try {
      const base = "gemini://localhost";
      assertEquals((await fetchUrl(s.port, `${base}/a.wasm`)).header, "20 application/wasm");
      assertEquals((await fetchUrl(s.port, `${base}/b.png`)).header, "20 image/png");
      assertEquals(
        (await fetchUrl(s.port, `${base}/c.unknownext`)).header,
        "20 application/octet-stream",
      );
    } finally {
      await s.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("memoryServer: an extension outside the built-in table gets the full table's type", async () => {
  const s = await startServer(
    memoryServer({ "/m.webmanifest": "{}", "/n.txt": "x" }),
    PIPELINE_TEST,
  );
  try {
    assertEquals(
      (await fetchUrl(s.port, "gemini://localhost/m.webmanifest")).header,
      "20 application/manifest+json",
    );
    assertEquals((await fetchUrl(s.port, "gemini://localhost/n.txt")).header, "20 text/plain");
  } finally {
    await s.close();
  }
});
