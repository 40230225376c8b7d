/**
 * The static file handler alone, without TLS (`deno bench -A bench/static_bench.ts`): a
 * 1 KiB page two directories down, in a tree without `.meta` files, with one (a `params`
 * line matching the page), and with `.meta` reading turned off. What `.meta` support costs
 * on the hot path: a clock read and a map lookup per request, one lstat per directory per
 * second. The page was just written, so the small-file cache does not keep it in those;
 * two more lines show the page served from the cache (a clock 10 s ahead makes it count as
 * settled) and with the cache turned off. Compare lines of one run, never across runs.
 */

import { join } from "node:path";
import { fileServer } from "../lib/server/static.ts";
import type { GeminiRequest } from "../lib/server/types.ts";

const page = "# Bench\n" + "x".repeat(1015) + "\n";
async function tree(meta: string | undefined): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "gemini-static-bench-" });
  await Deno.mkdir(join(root, "a", "b"), { recursive: true });
  await Deno.writeTextFile(join(root, "a", "b", "page.gmi"), page);
  if (meta !== undefined) await Deno.writeTextFile(join(root, "a", "b", ".meta"), meta);
  return root;
}

const plain = fileServer({ root: await tree(undefined) });
const withMeta = fileServer({ root: await tree("*.gmi: ;lang=de\nold.gmi: 31 page.gmi\n") });
const off = fileServer({ root: await tree(undefined), metaFiles: false });
const settled = (): number => Date.now() + 10_000;
const cached = fileServer({ root: await tree(undefined), clock: settled });
const uncached = fileServer({ root: await tree(undefined), clock: settled, cacheBytes: 0 });

function request(path: string): GeminiRequest {
  return {
    url: new URL(`gemini://localhost${path}`),
    path,
    host: "localhost",
    clientCertificate: undefined,
    remoteAddress: { hostname: "127.0.0.1", port: 1 },
    requestId: "bench",
    signal: new AbortController().signal,
  };
}
const req = request("/a/b/page.gmi");

Deno.bench(
  "fileServer(): 1 KiB page, no .meta file",
  { group: "static", baseline: true },
  async () => {
    const reply = await plain(req);
    if (reply.status !== 20) throw new Error(`status ${reply.status}`);
  },
);

Deno.bench("fileServer(): 1 KiB page, a .meta line applies", { group: "static" }, async () => {
  const reply = await withMeta(req);
  if (reply.meta !== "text/gemini; lang=de") throw new Error(`meta ${reply.meta}`);
});

Deno.bench("fileServer(): 1 KiB page, metaFiles: false", { group: "static" }, async () => {
  const reply = await off(req);
  if (reply.status !== 20) throw new Error(`status ${reply.status}`);
});

Deno.bench("fileServer(): 1 KiB page, from the small-file cache", { group: "static" }, async () => {
  const reply = await cached(req);
  if (reply.status !== 20) throw new Error(`status ${reply.status}`);
});

Deno.bench("fileServer(): 1 KiB page, cacheBytes: 0", { group: "static" }, async () => {
  const reply = await uncached(req);
  if (reply.status !== 20) throw new Error(`status ${reply.status}`);
});
