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

Deno.test("serving gemtext, or an extension the options name, does not load the full table (a fresh isolate)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "index.gmi"), "# Home\n");
    await Deno.writeTextFile(join(dir, "notes.gemini"), "# Notes\n");
    await Deno.writeTextFile(join(dir, "data.xyz"), "x\n");
    await Deno.writeTextFile(join(dir, "app.wasm"), "w\n");
    const lib = new URL("../../lib/server/", import.meta.url).href;
    const script = `
      import { fileServer } from "${lib}static.ts";
      import { memoryServer } from "${lib}memory.ts";
      import { needsFullTable } from "${lib}_media_types.ts";
      const request = (path) => ({ url: new URL("gemini://h" + path), path, host: "h",
        remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "t",
        signal: new AbortController().signal });
      const files = fileServer({ root: ${JSON.stringify(dir)}, mediaTypes: { xyz: "text/x-xyz" } });
      const memory = memoryServer({ "/index.gmi": "# Home\\n" });
      const metas = [];
      for (const path of ["/", "/notes.gemini", "/data.xyz"]) metas.push((await files(request(path))).meta);
      metas.push((await memory(request("/"))).meta);
      const before = needsFullTable("wasm");
      metas.push((await files(request("/app.wasm"))).meta);
      console.log(JSON.stringify({ metas, before, after: needsFullTable("wasm") }));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--quiet",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), {
      metas: ["text/gemini", "text/gemini", "text/x-xyz", "text/gemini", "application/wasm"],
      before: true,
      after: false,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
