import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_helpers/assert.ts";
import { parseUpstream, proxyHandler, UpstreamTrust } from "../../lib/server/proxy.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { formatFingerprint } from "../../lib/tls/fingerprint.ts";
import { localhostCertificate, startTestServer } from "../_helpers/tls_server.ts";
import { fetchUrl, HANDLER_TEST, memoryLogger, startServer } from "./_harness.ts";

Deno.test("parseUpstream() reads host, port and IPv6 literals", () => {
  assertEquals(parseUpstream("example.org"), { host: "example.org", port: 1965 });
  assertEquals(parseUpstream("127.0.0.1:1966"), { host: "127.0.0.1", port: 1966 });
  assertEquals(parseUpstream("[::1]:7000"), { host: "::1", port: 7000 });
  assertThrows(() => parseUpstream("a:b:c"), SyntaxError);
  assertThrows(() => parseUpstream("host:70000"), RangeError);
});

Deno.test("UpstreamTrust: pins by SPKI or certificate, TOFU per host and port", async () => {
  const a = await generateCertificate("a");
  const b = await generateCertificate("b");
  const pinned = new UpstreamTrust([`SHA256:${formatFingerprint(a.info.certSha256)}`]);
  assert(pinned.check("h", 1, a.info));
  assert(!pinned.check("h", 1, b.info));
  const tofu = new UpstreamTrust();
  assert(tofu.check("h", 1, a.info));
  assert(tofu.check("h", 2, b.info));
  assert(!tofu.check("h", 1, b.info));
  assert(tofu.check("H", 1, a.info));
  assertThrows(() => new UpstreamTrust(["zz"]), SyntaxError);
});

async function upstreamServer(): Promise<{ port: number; close(): Promise<void> }> {
  const big = "0123456789abcdef".repeat(64 * 1024); // 1 MiB
  return await startServer((req) => {
    if (req.path === "/big") return { status: 20, meta: "application/octet-stream", body: big };
    if (req.path === "/who") {
      return {
        status: 20,
        meta: "text/plain",
        body: req.clientCertificate?.commonName ?? "anonymous",
      };
    }
    if (req.path === "/input") return { status: 10, meta: "Your name?" };
    return { status: 20, meta: "text/gemini; lang=en", body: `upstream saw ${req.url.href}` };
  }, { ...HANDLER_TEST, hosts: ["localhost", "127.0.0.1"] });
}

Deno.test("proxy: relays to a second server instance and streams the body", async () => {
  const upstream = await upstreamServer();
  const { info } = await localhostCertificate();
  const proxyIdentity = await generateCertificate("the-proxy");
  const front = await startServer(
    proxyHandler({
      upstream: `127.0.0.1:${upstream.port}`,
      servername: "localhost",
      rewriteUrl: true,
      fingerprints: [info.spkiSha256],
      identity: proxyIdentity,
    }),
    HANDLER_TEST,
  );
  try {
    const res = await fetchUrl(front.port, `gemini://localhost:${front.port}/page?q=1`);
    assertEquals([res.status, res.meta], [20, "text/gemini; lang=en"]);
    assertEquals(res.text, `upstream saw gemini://localhost:${upstream.port}/page?q=1`);
    const big = await fetchUrl(front.port, `gemini://localhost:${front.port}/big`);
    assertEquals(big.body.length, 1024 * 1024);
    assertEquals(big.text.slice(0, 20), "0123456789abcdef0123");
    const who = await fetchUrl(front.port, `gemini://localhost:${front.port}/who`);
    assertEquals(who.text, "the-proxy");
    const input = await fetchUrl(front.port, `gemini://localhost:${front.port}/input`);
    assertEquals([input.status, input.meta, input.text], [10, "Your name?", ""]);
  } finally {
    await front.close();
    await upstream.close();
  }
});

Deno.test("proxy: 43 when the upstream is down, untrusted, silent or answers garbage", async () => {
  const upstream = await upstreamServer();
  const logger = memoryLogger();
  const other = await generateCertificate("other");
  // A port with nothing listening: take a free one and close it.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const silent = await startTestServer(() => {/* never answers */});
  const garbage = await startTestServer(({ socket }) => {
    socket.end("HTTP/1.1 200 OK\r\n\r\n");
  });
  const front = await startServer((req) => {
    const name = req.path.split("/")[1];
    const upstreams: Record<string, string> = {
      down: `127.0.0.1:${deadPort}`,
      pinned: `127.0.0.1:${upstream.port}`,
      silent: `127.0.0.1:${silent.port}`,
      garbage: `127.0.0.1:${garbage.port}`,
    };
    return proxyHandler({
      upstream: upstreams[name],
      servername: "localhost",
      rewriteUrl: true,
      timeoutMs: 500,
      fingerprints: name === "pinned" ? [other.info.spkiSha256] : undefined,
      logger,
    })(req);
  }, HANDLER_TEST);
  try {
    for (const name of ["down", "pinned", "silent", "garbage"]) {
      const res = await fetchUrl(front.port, `gemini://localhost:${front.port}/${name}`);
      assertEquals(res.status, 43, name);
    }
    const log = logger.lines.join("\n");
    assertStringIncludes(log, "untrusted certificate");
    assertStringIncludes(log, "no response header within 500 ms");
    await upstream.close();
    const res = await fetchUrl(front.port, `gemini://localhost:${front.port}/pinned`);
    assertEquals(res.status, 43, "after the upstream stopped");
  } finally {
    await front.close();
    await silent.close();
    await garbage.close();
  }
});
