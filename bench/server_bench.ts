/**
 * Requests per second through the whole server pipeline (`deno bench -A bench/server_bench.ts`):
 * a new TLS connection per request, as Gemini requires, against `serve()` with a 1 KiB
 * static page, on each listener backend, plus the same with the rate limiter and access
 * log on. Compare lines of one run, never across runs. Deno.bench bounds the iteration
 * count and time. The full comparison with molly-brown is `make bench-server` (issue 6).
 */

import { join } from "node:path";
import { generateCertificate } from "../lib/tls/certificate.ts";
import { dial } from "../lib/tls/dial.ts";
import { AccessLog } from "../lib/server/access_log.ts";
import { serve } from "../lib/server/server.ts";
import { fileServer } from "../lib/server/static.ts";

const certificate = await generateCertificate("localhost", { altNames: ["localhost"] });
const root = await Deno.makeTempDir({ prefix: "gemini-bench-" });
await Deno.writeTextFile(join(root, "index.gmi"), "# Bench\n" + "x".repeat(1015) + "\n");
const handler = fileServer({ root });
const common = {
  handler,
  certificates: [{ cert: certificate.cert, key: certificate.key }],
  listen: [{ hostname: "127.0.0.1", port: 0 }],
  publicPort: 1965,
};
const servers = {
  node: await serve({ ...common, backend: "node", limits: { rate: false } }),
  deno: await serve({ ...common, backend: "deno", limits: { rate: false } }),
  nodeLimited: await serve({
    ...common,
    backend: "node",
    limits: { rate: { burst: 1e9, perSecond: 1e9 } },
    accessLog: new AccessLog({ write: () => {} }),
  }),
};

async function fetchOnce(port: number): Promise<void> {
  const conn = await dial("127.0.0.1", { port, servername: "localhost" });
  try {
    await conn.write("gemini://localhost/\r\n");
    let size = 0;
    for (let chunk = await conn.read(); chunk; chunk = await conn.read()) size += chunk.length;
    if (size < 1024) throw new Error(`short response: ${size} bytes`);
  } finally {
    conn.destroy();
  }
}

Deno.bench("serve(): 1 KiB page, node backend", { group: "page", baseline: true }, async () => {
  await fetchOnce(servers.node.addrs[0].port);
});

Deno.bench("serve(): 1 KiB page, deno backend", { group: "page" }, async () => {
  await fetchOnce(servers.deno.addrs[0].port);
});

Deno.bench("serve(): 1 KiB page, node backend, rate limit and access log", {
  group: "page",
}, async () => {
  await fetchOnce(servers.nodeLimited.addrs[0].port);
});

globalThis.addEventListener("unload", () => {
  for (const s of Object.values(servers)) void s.shutdown(100);
  Deno.removeSync(root, { recursive: true });
});
