import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { serve } from "../../lib/server/server.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl } from "./_client.ts";
import { request } from "./_harness.ts";

Deno.test("RunningServer.reload() swaps handler and certificates for new connections", async () => {
  const a = await generateCertificate("localhost");
  const b = await generateCertificate("localhost");
  const server = await serve({
    handler: () => ({ status: 20, meta: "text/plain", body: "one" }),
    certificates: [{ cert: a.cert, key: a.key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    backend: "node",
    limits: { rate: false },
  });
  const port = server.addrs[0].port;
  const url = `gemini://localhost:${port}/`;
  try {
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
  } finally {
    await server.shutdown(1000);
  }
});

Deno.test("RunningServer.reload() refuses new certificates on the deno backend and changes nothing", async () => {
  const a = await generateCertificate("localhost");
  const server = await serve({
    handler: () => ({ status: 20, meta: "text/plain", body: "one" }),
    certificates: [{ cert: a.cert, key: a.key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    backend: "deno",
    limits: { rate: false },
  });
  try {
    assertThrows(
      () =>
        server.reload({
          handler: () => ({ status: 51, meta: "x" }),
          certificates: [{ cert: a.cert, key: a.key }],
        }),
      TypeError,
    );
    const port = server.addrs[0].port;
    assertEquals((await fetchUrl(port, `gemini://localhost:${port}/`)).text, "one");
  } finally {
    await server.shutdown(1000);
  }
});

Deno.test("RunningServer.reload() starts and stops asking new connections for a client certificate", async () => {
  const a = await generateCertificate("localhost");
  const identity = await generateCertificate("alice");
  const server = await serve({
    handler: (req) => ({
      status: 20,
      meta: "text/plain",
      body: req.clientCertificate?.commonName ?? "none",
    }),
    certificates: [{ cert: a.cert, key: a.key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    backend: "node",
    limits: { rate: false },
  });
  const port = server.addrs[0].port;
  const url = `gemini://localhost:${port}/`;
  try {
    assertEquals((await request(port, url, { identity })).body, "none");
    server.reload({ requestClientCertificate: true });
    assertEquals((await request(port, url, { identity })).body, "alice");
    assertEquals((await request(port, url)).body, "none");
    server.reload({ requestClientCertificate: false });
    assertEquals((await request(port, url, { identity })).body, "none");
  } finally {
    await server.shutdown(1000);
  }
});

Deno.test("RunningServer.reload() cannot ask for client certificates on the deno backend", async () => {
  const a = await generateCertificate("localhost");
  const server = await serve({
    handler: () => ({ status: 20, meta: "text/plain", body: "one" }),
    certificates: [{ cert: a.cert, key: a.key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    backend: "deno",
    limits: { rate: false },
  });
  try {
    assertThrows(
      () =>
        server.reload({
          requestClientCertificate: true,
          handler: () => ({ status: 51, meta: "x" }),
        }),
      TypeError,
    );
    server.reload({ requestClientCertificate: false });
    const port = server.addrs[0].port;
    assertEquals((await fetchUrl(port, `gemini://localhost:${port}/`)).text, "one");
  } finally {
    await server.shutdown(1000);
  }
});
