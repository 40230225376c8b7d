import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import type { RunningServer } from "../../lib/server/server.ts";
import type { Handler } from "../../lib/server/types.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl, startServer } from "./_harness.ts";

const one: Handler = () => ({ status: 20, meta: "text/plain", body: "one" });

/**
 * Serves `handler` with `cert` on 127.0.0.1 port 0 on `backend` (rate limit off), runs `body`
 * with the server, its port and its `gemini://localhost:<port>/` URL, then shuts it down.
 */
async function withServer(
  backend: "node" | "deno",
  handler: Handler,
  cert: { cert: string; key: string },
  body: (server: RunningServer, port: number, url: string) => Promise<void>,
): Promise<void> {
  const { server, port, close } = await startServer(handler, {
    certificates: [{ cert: cert.cert, key: cert.key }],
    backend,
    limits: { rate: false },
  });
  try {
    await body(server, port, `gemini://localhost:${port}/`);
  } finally {
    await close();
  }
}

Deno.test("RunningServer.reload() swaps handler and certificates for new connections", async () => {
  const a = await generateCertificate("localhost");
  const b = await generateCertificate("localhost");
  await withServer("node", one, a, async (server, port, url) => {
    const before = await fetchUrl(port, url, { servername: "localhost" });
    assertEquals([before.text, before.peerCertificate.spkiSha256], ["one", a.info.spkiSha256]);
    server.reload({
      handler: () => ({ status: 20, meta: "text/plain", body: "two" }),
      certificates: [{ cert: b.cert, key: b.key }],
    });
    const after = await fetchUrl(port, url, { servername: "localhost" });
    assertEquals([after.text, after.peerCertificate.spkiSha256], ["two", b.info.spkiSha256]);
    assertEquals(server.certificates[0].spkiSha256, b.info.spkiSha256);
    server.reload({ hosts: ["other.example"] });
    assertEquals((await fetchUrl(port, url, { servername: "localhost" })).status, 53);
  });
});

Deno.test("RunningServer.reload() refuses new certificates on the deno backend and changes nothing", async () => {
  const a = await generateCertificate("localhost");
  await withServer("deno", one, a, async (server, port, url) => {
    assertThrows(
      () =>
        server.reload({
          handler: () => ({ status: 51, meta: "x" }),
          certificates: [{ cert: a.cert, key: a.key }],
        }),
      TypeError,
    );
    assertEquals((await fetchUrl(port, url)).text, "one");
  });
});

Deno.test("RunningServer.reload() starts and stops asking new connections for a client certificate", async () => {
  const a = await generateCertificate("localhost");
  const identity = await generateCertificate("alice");
  const handler: Handler = (req) => ({
    status: 20,
    meta: "text/plain",
    body: req.clientCertificate?.commonName ?? "none",
  });
  await withServer("node", handler, a, async (server, port, url) => {
    assertEquals((await fetchUrl(port, url, { identity })).text, "none");
    server.reload({ requestClientCertificate: true });
    assertEquals((await fetchUrl(port, url, { identity })).text, "alice");
    assertEquals((await fetchUrl(port, url)).text, "none");
    server.reload({ requestClientCertificate: false });
    assertEquals((await fetchUrl(port, url, { identity })).text, "none");
  });
});

Deno.test("RunningServer.reload() cannot ask for client certificates on the deno backend", async () => {
  const a = await generateCertificate("localhost");
  await withServer("deno", one, a, async (server, port, url) => {
    assertThrows(
      () =>
        server.reload({
          requestClientCertificate: true,
          handler: () => ({ status: 51, meta: "x" }),
        }),
      TypeError,
    );
    server.reload({ requestClientCertificate: false });
    assertEquals((await fetchUrl(port, url)).text, "one");
  });
});
