/**
 * Handshake-plus-small-response cost of the two listener backends, side by side in one run
 * (`deno bench -A bench/tls_bench.ts`). The `deno` backend (Deno.listenTls) is expected to
 * be the cheaper of the two; compare the two lines of the same run, never across runs.
 */

import { dial } from "../lib/tls/dial.ts";
import { listen, type Listener, type ListenerBackend } from "../lib/tls/listen.ts";
import { generateCertificate } from "../lib/tls/certificate.ts";

const certificate = await generateCertificate("localhost", {
  altNames: ["localhost", "127.0.0.1"],
});
const page = "20 text/gemini\r\n" + "# Hello\n".repeat(128);

async function serve(backend: ListenerBackend): Promise<Listener> {
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [certificate],
    backend,
  });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        try {
          await conn.handshake();
          await conn.read();
          await conn.write(page);
          await conn.close();
        } catch {
          conn.destroy();
        }
      })();
    }
  })();
  return listener;
}

const listeners = {
  node: await serve("node"),
  deno: await serve("deno"),
};

async function fetchOnce(port: number): Promise<void> {
  const conn = await dial("127.0.0.1", { port });
  await conn.write("gemini://127.0.0.1/\r\n");
  while ((await conn.read()) !== null) { /* drain */ }
  await conn.close();
}

for (const backend of ["node", "deno"] as const) {
  Deno.bench({
    name: `listener backend ${backend}: handshake + 1 KiB response`,
    group: "listener",
    baseline: backend === "node",
    async fn(): Promise<void> {
      await fetchOnce(listeners[backend].addr.port);
    },
  });
}

globalThis.addEventListener("unload", () => {
  listeners.node.close();
  listeners.deno.close();
});
