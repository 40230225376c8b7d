/**
 * Trust is a callback: `ClientOptions.trustCertificate` decides for each connection, after
 * the handshake and before the request line is written; trust on first use over the
 * known-hosts store (`tofuTrust`) is the default.
 */

import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { answer, withGeminiServer } from "../_helpers/gemini_server.ts";
import { MemoryIdentityStore, MemoryKnownHosts } from "../_helpers/memory_stores.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";
import { Client } from "../../lib/client/client.ts";
import { tofuTrust } from "../../lib/client/trust.ts";
import { ClientError, type TrustRequest } from "../../lib/client/types.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

const ok = (
  { conn }: { conn: Parameters<typeof answer>[0] },
): Promise<void> => answer(conn, "20 text/plain\r\n", "ok\n");

Deno.test("Client asks trustCertificate with the URL, host, port and certificate; its verdict is the response's", async () => {
  const bundle = await localhostCertificate();
  await withGeminiServer(ok, async (server) => {
    const asked: TrustRequest[] = [];
    const store = new MemoryKnownHosts();
    const client = new Client({
      knownHosts: store,
      identities: new MemoryIdentityStore(),
      trustCertificate: (request) => {
        asked.push(request);
        return { verdict: "match", firstSeen: "2020-01-01T00:00:00.000Z" };
      },
    });
    const response = await client.fetch(server.url("/page"));
    assertEquals(await response.text(), "ok\n");
    assertEquals(response.trust, "match");
    assertEquals(response.trustReport, { verdict: "match", firstSeen: "2020-01-01T00:00:00.000Z" });
    assertEquals(asked.length, 1);
    assertEquals(asked[0].url.href, server.url("/page"));
    assertEquals([asked[0].host, asked[0].port], ["localhost", server.port]);
    assertEquals(asked[0].certificate.spkiSha256, bundle.info.spkiSha256);
    // The known-hosts store only serves the default decision: nothing was pinned.
    assertEquals(await store.list(), []);
  });
});

Deno.test("Client: a trustCertificate that throws refuses BEFORE the request line, with the connection's context", async () => {
  await withGeminiServer(ok, async (server) => {
    const client = new Client({
      knownHosts: new MemoryKnownHosts(),
      identities: new MemoryIdentityStore(),
      trustCertificate: ({ url }) => {
        if (url.pathname === "/secret") {
          throw new ClientError("trust-changed", "Not the key I expected");
        }
        return { verdict: "match" };
      },
    });
    const error = await assertRejects(() => client.fetch(server.url("/secret")), ClientError);
    assertEquals([error.code, error.message], ["trust-changed", "Not the key I expected"]);
    assertEquals(error.context?.url.href, server.url("/secret"));
    assert(error.context?.certificate !== undefined, "the certificate is in the context");
    assert(error.context?.tls !== undefined, "the TLS details are in the context");
    // The next request gets through: the server never saw the refused one.
    await (await client.fetch(server.url("/public"))).bytes();
    assertEquals(server.lines, [server.url("/public")]);
  });
});

Deno.test("Client: the dates of the certificate are checked before trustCertificate is asked", async () => {
  const now = Date.now();
  const expired = await generateCertificate("localhost", {
    altNames: ["localhost"],
    notBefore: new Date(now - 10 * 86_400_000),
    notAfter: new Date(now - 86_400_000),
  });
  await withGeminiServer(ok, async (server) => {
    let asked = 0;
    const client = new Client({
      knownHosts: new MemoryKnownHosts(),
      identities: new MemoryIdentityStore(),
      trustCertificate: () => {
        asked++;
        return { verdict: "match" };
      },
    });
    const error = await assertRejects(() => client.fetch(server.url("/")), ClientError);
    assertEquals([error.code, asked, server.lines.length], ["certificate-invalid", 0, 0]);
  }, { certificate: expired });
});

Deno.test("tofuTrust() is the default decision: the same verdicts as the Client gives without one", async () => {
  await withGeminiServer(ok, async (server) => {
    const store = new MemoryKnownHosts();
    const explicit = new Client({
      identities: new MemoryIdentityStore(),
      trustCertificate: tofuTrust(store),
    });
    const first = await explicit.fetch(server.url("/"));
    await first.bytes();
    assertEquals(first.trust, "first-use");
    assertEquals((await store.list()).length, 1);
    // A Client with the same store and no decision of its own agrees with the pin.
    const implicit = new Client({ knownHosts: store, identities: new MemoryIdentityStore() });
    const again = await implicit.fetch(server.url("/"));
    await again.bytes();
    assertEquals(again.trust, "match");
    assertEquals(again.trustReport?.pinned?.spkiSha256, first.certificate?.spkiSha256);
  });
});
