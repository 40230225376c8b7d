import { assert, assertEquals } from "../_helpers/assert.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { dial } from "../../lib/tls/dial.ts";
import { Router } from "../../lib/server/router.ts";
import { success } from "../../lib/server/reply.ts";
import { fetchUrl, PIPELINE_TEST, startServer } from "./_harness.ts";

Deno.test("serve() answers each virtual host with its own certificate (SNI) and content", async () => {
  const a = await generateCertificate("a.example", { altNames: ["a.example"] });
  const b = await generateCertificate("b.example", { altNames: ["b.example", "www.b.example"] });
  const { server, port, close } = await startServer(
    new Router({ notFound: () => ({ status: 53, meta: "Not served here" }) })
      .on("/*", () => success("site A\n"), { host: "a.example" })
      .on("/about", () => success("about B\n"), { host: ["b.example", "www.b.example"] })
      .on("/*", () => success("site B\n"), { host: ["b.example", "www.b.example"] })
      .handler,
    {
      certificates: [{ cert: a.cert, key: a.key }, { cert: b.cert, key: b.key }],
      publicPort: 1965,
    },
  );
  try {
    assertEquals(server.certificates.map((c) => c.names), [["a.example"], [
      "b.example",
      "www.b.example",
    ]]);
    const ra = await fetchUrl(port, "gemini://a.example/", { servername: "a.example" });
    assertEquals([ra.text, ra.peerCertificate.certSha256], ["site A\n", a.info.certSha256]);
    const rb = await fetchUrl(port, "gemini://b.example/", { servername: "b.example" });
    assertEquals([rb.text, rb.peerCertificate.certSha256], ["site B\n", b.info.certSha256]);
    const alias = await fetchUrl(port, "gemini://www.b.example/about", {
      servername: "www.b.example",
    });
    assertEquals([alias.text, alias.peerCertificate.certSha256], ["about B\n", b.info.certSha256]);
    const other = await fetchUrl(port, "gemini://c.example/", { servername: "c.example" });
    assertEquals(other.status, 53);
  } finally {
    await close();
  }
});

Deno.test("shutdown() lets an in-flight 10 MiB download finish, then refuses new connections", async () => {
  const CHUNK = 64 * 1024;
  const TOTAL = 10 * 1024 * 1024;
  const s = await startServer(() => ({
    status: 20,
    meta: "application/octet-stream",
    body: (async function* (): AsyncGenerator<Uint8Array> {
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        yield new Uint8Array(CHUNK).fill((sent / CHUNK) & 0xff);
      }
    })(),
  }), PIPELINE_TEST);
  const conn = await dial("127.0.0.1", { port: s.port });
  await conn.write("gemini://localhost/big\r\n");
  const first = await conn.read();
  assert(first && first.length > 0);
  const stopped = s.server.shutdown(20_000);
  let received = first.length;
  let last = first;
  for (let i = 0; i < 100_000; i++) {
    const chunk = await conn.read();
    if (chunk === null) break;
    received += chunk.length;
    last = chunk;
  }
  await stopped;
  const header = "20 application/octet-stream\r\n".length;
  assertEquals(received, header + TOTAL);
  assertEquals(last[last.length - 1], (TOTAL / CHUNK - 1) & 0xff);
  assertEquals(conn.closeNotify, true);
  conn.destroy();
  let refused = false;
  try {
    await fetchUrl(s.port, "gemini://localhost/");
  } catch {
    refused = true;
  }
  assert(refused, "no new connections after shutdown");
});

Deno.test("shutdown() cuts responses that outlive its deadline", async () => {
  const s = await startServer(() => ({
    status: 20,
    meta: "text/plain",
    body: (async function* (): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode("start\n");
      await new Promise((r) => setTimeout(r, 60_000));
    })(),
  }), PIPELINE_TEST);
  const conn = await dial("127.0.0.1", { port: s.port });
  await conn.write("gemini://localhost/\r\n");
  await conn.read();
  await s.server.shutdown(200);
  let end: Uint8Array | null = new Uint8Array(1);
  try {
    for (let i = 0; i < 10 && end !== null; i++) end = await conn.read();
  } catch {
    end = null;
  }
  assertEquals(end, null);
  assertEquals(conn.closeNotify, false, "a cut response does not look complete");
  conn.destroy();
});

Deno.test("serve() listens on several addresses including IPv6 loopback", async () => {
  const s = await startServer(() => success("hi\n"), {
    ...PIPELINE_TEST,
    listen: [{ hostname: "127.0.0.1", port: 0 }, { hostname: "::1", port: 0 }],
  });
  try {
    assertEquals(s.server.addrs.length, 2);
    const v6 = s.server.addrs[1];
    const r = await fetchUrl(v6.port, "gemini://localhost/", { host: "::1" });
    assertEquals(r.text, "hi\n");
  } finally {
    await s.close();
  }
});

Deno.test("serve() runs the same pipeline on the deno backend when asked", async () => {
  const s = await startServer((r) => success(`deno ${r.path}\n`), {
    ...PIPELINE_TEST,
    backend: "deno",
  });
  try {
    assertEquals(s.server.backend, "deno");
    const r = await fetchUrl(s.port, "gemini://localhost/x");
    assertEquals([r.header, r.text, r.closeNotify], [
      "20 text/gemini; charset=utf-8",
      "deno /x\n",
      true,
    ]);
    assertEquals((await fetchUrl(s.port, "gemini://localhost/a#b")).status, 59);
  } finally {
    await s.close();
  }
});

Deno.test("serve() takes the client address a pre-TLS hook reports (for the PROXY protocol)", async () => {
  const seen: string[] = [];
  const s = await startServer((r) => {
    seen.push(r.remoteAddress.hostname);
    return success("ok\n");
  }, {
    ...PIPELINE_TEST,
    beforeTls: () => Promise.resolve({ remoteAddress: { hostname: "203.0.113.9", port: 4242 } }),
  });
  try {
    assertEquals((await fetchUrl(s.port, "gemini://localhost/")).status, 20);
    assertEquals(seen, ["203.0.113.9"]);
  } finally {
    await s.close();
  }
});
