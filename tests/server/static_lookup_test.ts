/**
 * fileServer() path lookup (one lstat per segment below the real root, realpath only for
 * symlinks): symlinks inside the root still work, symlinks out of it are still refused at
 * any depth and for index files, and small files come whole.
 */

import { join } from "node:path";
import { assertEquals } from "../_helpers/assert.ts";
import { fileServer } from "../../lib/server/static.ts";
import type { GeminiReply } from "../../lib/server/types.ts";
import { handlerRequest } from "./_request.ts";

async function get(
  handler: ReturnType<typeof fileServer>,
  path: string,
): Promise<{ status: number; text: string }> {
  const reply: GeminiReply = await handler(handlerRequest(`gemini://localhost${path}`));
  let text = "";
  if (reply.body && typeof reply.body !== "string" && !(reply.body instanceof Uint8Array)) {
    for await (const chunk of reply.body as AsyncIterable<Uint8Array>) {
      text += new TextDecoder().decode(chunk);
    }
  } else if (reply.body) {
    text = typeof reply.body === "string" ? reply.body : new TextDecoder().decode(reply.body);
  }
  return { status: reply.status, text };
}

Deno.test("fileServer() serves through symlinks inside the root and refuses those leaving it", async () => {
  const base = await Deno.makeTempDir({ prefix: "gemini-static-" });
  try {
    const root = join(base, "root");
    await Deno.mkdir(join(root, "sub", "deep"), { recursive: true });
    await Deno.mkdir(join(base, "outside"));
    await Deno.writeTextFile(join(root, "sub", "index.gmi"), "# Sub\n");
    await Deno.writeTextFile(join(root, "sub", "deep", "page.gmi"), "# Deep\n");
    await Deno.writeTextFile(join(base, "outside", "index.gmi"), "# Secret\n");
    await Deno.writeTextFile(join(base, "outside", "x.gmi"), "# Secret\n");
    await Deno.symlink(join(root, "sub"), join(root, "alias"));
    await Deno.symlink(join(base, "outside"), join(root, "sub", "deep", "out"));
    await Deno.mkdir(join(root, "evil"));
    await Deno.symlink(join(base, "outside", "index.gmi"), join(root, "evil", "index.gmi"));
    // The served root itself may be reached through a symlink.
    await Deno.symlink(root, join(base, "root-link"));
    const handler = fileServer({ root: join(base, "root-link") });
    assertEquals(await get(handler, "/alias/deep/page.gmi"), { status: 20, text: "# Deep\n" });
    assertEquals(await get(handler, "/alias/"), { status: 20, text: "# Sub\n" });
    assertEquals((await get(handler, "/sub/deep/out/x.gmi")).status, 51);
    assertEquals((await get(handler, "/alias/deep/out/x.gmi")).status, 51);
    assertEquals((await get(handler, "/evil/")).status, 51);
    assertEquals((await get(handler, "/sub/index.gmi/x")).status, 51);
    assertEquals((await get(handler, "/missing/x.gmi")).status, 51);
    const following = fileServer({ root, followSymlinks: true });
    assertEquals(await get(following, "/sub/deep/out/x.gmi"), { status: 20, text: "# Secret\n" });
    assertEquals(await get(following, "/evil/"), { status: 20, text: "# Secret\n" });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("fileServer() sends a file up to 64 KiB in one piece and a larger one in 256 KiB chunks", async () => {
  const root = await Deno.makeTempDir({ prefix: "gemini-static-" });
  try {
    await Deno.writeFile(join(root, "small.bin"), new Uint8Array(65_536).fill(1));
    await Deno.writeFile(join(root, "large.bin"), new Uint8Array(65_537).fill(2));
    await Deno.writeFile(join(root, "larger.bin"), new Uint8Array(262_145).fill(3));
    const handler = fileServer({ root });
    const chunks = async (path: string): Promise<number[]> => {
      const reply = await handler(handlerRequest(`gemini://localhost${path}`));
      if (reply.body instanceof Uint8Array) return [reply.body.length];
      const sizes: number[] = [];
      for await (const c of reply.body as AsyncIterable<Uint8Array>) sizes.push(c.length);
      return sizes;
    };
    assertEquals(await chunks("/small.bin"), [65_536]);
    assertEquals(await chunks("/large.bin"), [65_537]);
    assertEquals(await chunks("/larger.bin"), [262_144, 1]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
