import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_helpers/assert.ts";
import { answer, type GeminiTestServer, startGeminiServer } from "../_helpers/gemini_server.ts";
import { MemoryIdentityStore, MemoryKnownHosts } from "../_helpers/memory_stores.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";
import { Client } from "../../lib/client/client.ts";
import { checkTrust } from "../../lib/client/trust.ts";
import {
  ClientError,
  type ClientOptions,
  type ClientWarning,
  type KnownHost,
} from "../../lib/client/types.ts";
import {
  type CertificateBundle,
  generateCertificate,
  renewCertificate,
} from "../../lib/tls/certificate.ts";
import { formatFingerprint } from "../../lib/tls/fingerprint.ts";

function client(knownHosts: MemoryKnownHosts, options: ClientOptions = {}): Client {
  return new Client({ knownHosts, identities: new MemoryIdentityStore(), ...options });
}

const ok = (
  { conn }: { conn: Parameters<typeof answer>[0] },
): Promise<void> => answer(conn, "20 text/plain\r\n", "ok\n");

/** Runs `body` against a fresh "ok" server (with `certificate`, if given) and an empty store. */
async function withServer(
  certificate: CertificateBundle | undefined,
  body: (server: GeminiTestServer, store: MemoryKnownHosts) => Promise<void>,
): Promise<void> {
  const server = await startGeminiServer(ok, { certificate });
  try {
    await body(server, new MemoryKnownHosts());
  } finally {
    await server.close();
  }
}

/** A whole-certificate pin for example.org:1965, first and last seen on 2025-01-01. */
function certPin(certSha256: string): KnownHost {
  return {
    host: "example.org",
    port: 1965,
    pin: "cert",
    spkiSha256: "",
    certSha256,
    firstSeen: "2025-01-01T00:00:00.000Z",
    lastSeen: "2025-01-01T00:00:00.000Z",
  };
}

Deno.test("Client pins the SPKI on first use and matches it afterwards", async () => {
  const bundle = await localhostCertificate();
  await withServer(undefined, async (server, store) => {
    const first = await client(store).fetch(server.url());
    assertEquals(first.trust, "first-use");
    await first.bytes();
    const pin = await store.get("localhost", server.port);
    assert(pin);
    assertEquals(pin.pin, "spki");
    assertEquals(pin.spkiSha256, bundle.info.spkiSha256);
    assertEquals(pin.certSha256, bundle.info.certSha256);
    assertEquals(pin.notAfter, bundle.info.notAfter.toISOString());
    const second = await client(store).fetch(server.url());
    assertEquals(second.trust, "match");
    assertEquals(second.certificate?.spkiSha256, bundle.info.spkiSha256);
    await second.bytes();
  });
});

Deno.test("Client pins host and port separately and keys IP literals without brackets", async () => {
  const a = await startGeminiServer(ok);
  const b = await startGeminiServer(ok);
  const store = new MemoryKnownHosts();
  try {
    for (const url of [a.url(), b.url(), `gemini://127.0.0.1:${a.port}/`]) {
      const response = await client(store).fetch(url);
      assertEquals(response.trust, "first-use");
      await response.bytes();
    }
    assertEquals(
      (await store.list()).map((e) => `${e.host}:${e.port}`).sort(),
      [
        `127.0.0.1:${a.port}`,
        `localhost:${a.port}`,
        `localhost:${b.port}`,
      ].sort(),
    );
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("Client treats a renewed certificate with the same key as a match", async () => {
  const old = await generateCertificate("localhost", { altNames: ["localhost"] });
  await withServer(old, async (server, store) => {
    await (await client(store).fetch(server.url())).bytes();
    const renewed = await renewCertificate(old.cert, old.key, { days: 30 });
    server.listener.setCertificates([{ cert: renewed.cert, key: renewed.key }]);
    const response = await client(store).fetch(server.url());
    assertEquals(response.trust, "match");
    assertEquals(response.certificate?.certSha256, renewed.info.certSha256);
    await response.bytes();
    assertEquals((await store.get("localhost", server.port))?.certSha256, renewed.info.certSha256);
  });
});

Deno.test("Client aborts on a changed key BEFORE writing the request (certificate rotation)", async () => {
  const old = await generateCertificate("localhost", { altNames: ["localhost"] });
  const next = await generateCertificate("localhost", { altNames: ["localhost"] });
  await withServer(old, async (server, store) => {
    await (await client(store).fetch(server.url("/before"))).bytes();
    server.listener.setCertificates([{ cert: next.cert, key: next.key }]);
    const error = await assertRejects(
      () => client(store).fetch(server.url("/after-change")),
      ClientError,
    );
    assertEquals(error.code, "trust-changed");
    assertStringIncludes(error.message, `localhost:${server.port}`);
    assertStringIncludes(error.message, formatFingerprint(old.info.spkiSha256));
    assertStringIncludes(error.message, formatFingerprint(next.info.spkiSha256));
    assertStringIncludes(error.message, old.info.notAfter.toISOString().slice(0, 19));
    // How to accept the key (gemini get's flag and command) is the application's to say.
    assert(error.message.endsWith("\nNo request was sent."), error.message);
    assertEquals(error.message.includes("--"), false, error.message);
    assertEquals(error.change?.port, server.port);
    assertEquals(error.change?.presented.spkiSha256, next.info.spkiSha256);
    // The pin is unchanged.
    assertEquals((await store.get("localhost", server.port))?.spkiSha256, old.info.spkiSha256);
    // Accepting the new key works; the server never saw the refused request line.
    const accepted = await client(store, { trustNew: true }).fetch(server.url("/accepted"));
    assertEquals(accepted.trust, "changed-accepted");
    await accepted.bytes();
    assertEquals(server.handshakes, 3);
    assertEquals(server.lines, [server.url("/before"), server.url("/accepted")]);
    assertEquals((await store.get("localhost", server.port))?.spkiSha256, next.info.spkiSha256);
  });
});

Deno.test("Client tofu modes: warn goes on without saving, off does not check", async () => {
  const other = await generateCertificate("localhost");
  const server = await startGeminiServer(ok, { certificate: other });
  const store = new MemoryKnownHosts();
  const pinned = await localhostCertificate();
  await store.put({
    host: "localhost",
    port: server.port,
    pin: "spki",
    spkiSha256: pinned.info.spkiSha256,
    certSha256: pinned.info.certSha256,
    notAfter: pinned.info.notAfter.toISOString(),
    firstSeen: "2026-01-01T00:00:00.000Z",
    lastSeen: "2026-01-01T00:00:00.000Z",
  });
  try {
    const warnings: string[] = [];
    const kinds: (ClientWarning | undefined)[] = [];
    const warned = await client(store, {
      tofu: "warn",
      hooks: {
        onWarning: (m, w) => {
          warnings.push(m);
          kinds.push(w);
        },
      },
    }).fetch(server.url());
    assertEquals(warned.trust, "changed-warned");
    await warned.bytes();
    assertEquals(warnings.length, 1);
    assertStringIncludes(warnings[0], "Going on (mode warn); the pin was not changed.");
    assertEquals(kinds[0]?.code, "trust-changed");
    assertEquals(kinds[0]?.change?.pinned.spkiSha256, pinned.info.spkiSha256);
    assertEquals(kinds[0]?.change?.presented.spkiSha256, other.info.spkiSha256);
    assertEquals((await store.get("localhost", server.port))?.spkiSha256, pinned.info.spkiSha256);
    const off = await client(store, { tofu: "off" }).fetch(server.url());
    assertEquals(off.trust, "unchecked");
    await off.bytes();
    const once = await client(store, {
      hooks: { onCertificateChange: () => Promise.resolve("once") },
    })
      .fetch(server.url());
    assertEquals(once.trust, "changed-once");
    await once.bytes();
    assertEquals((await store.get("localhost", server.port))?.spkiSha256, pinned.info.spkiSha256);
    const saved = await client(store, {
      hooks: { onCertificateChange: () => Promise.resolve("save") },
    })
      .fetch(server.url());
    assertEquals(saved.trust, "changed-accepted");
    await saved.bytes();
    assertEquals((await store.get("localhost", server.port))?.spkiSha256, other.info.spkiSha256);
  } finally {
    await server.close();
  }
});

Deno.test("checkTrust() replaces a pin whose certificate has expired", async () => {
  const store = new MemoryKnownHosts();
  const { info } = await generateCertificate("example.org");
  await store.put({
    host: "example.org",
    port: 1965,
    pin: "spki",
    spkiSha256: "00".repeat(32),
    certSha256: "11".repeat(32),
    notAfter: "2020-01-01T00:00:00.000Z",
    firstSeen: "2019-01-01T00:00:00.000Z",
    lastSeen: "2019-06-01T00:00:00.000Z",
  });
  assertEquals(await checkTrust(store, "Example.ORG", 1965, info), "expired-replaced");
  assertEquals((await store.get("example.org", 1965))?.spkiSha256, info.spkiSha256);
  assertEquals(await checkTrust(store, "example.org", 1965, info), "match");
});

Deno.test("checkTrust() upgrades a whole-certificate pin to an SPKI pin when it matches", async () => {
  const store = new MemoryKnownHosts();
  const { info } = await generateCertificate("example.org");
  await store.put(certPin(info.certSha256));
  assertEquals(await checkTrust(store, "example.org", 1965, info), "match");
  const entry = await store.get("example.org", 1965);
  assertEquals(entry?.pin, "spki");
  assertEquals(entry?.spkiSha256, info.spkiSha256);
  assertEquals(entry?.firstSeen, "2025-01-01T00:00:00.000Z");
  assertEquals(entry?.notAfter, info.notAfter.toISOString());
});

Deno.test("checkTrust() refuses a whole-certificate pin that does not match", async () => {
  const store = new MemoryKnownHosts();
  const { info } = await generateCertificate("example.org");
  await store.put(certPin("ab".repeat(32)));
  const error = await assertRejects(
    () => checkTrust(store, "example.org", 1965, info),
    ClientError,
    "certificate SHA-256 AB:AB",
  );
  assertEquals(error.code, "trust-changed");
  assertStringIncludes(error.message, "The certificate of example.org has changed");
  assertEquals(error.change?.host, "example.org");
});

Deno.test("checkTrust() does not rewrite an unchanged pin on every visit", async () => {
  const store = new MemoryKnownHosts();
  const { info } = await generateCertificate("example.org");
  const now = new Date("2026-06-01T00:00:00Z");
  assertEquals(await checkTrust(store, "example.org", 1965, info, { now }), "first-use");
  assertEquals(store.puts, 1);
  await checkTrust(store, "example.org", 1965, info, { now: new Date(now.getTime() + 1000) });
  assertEquals(store.puts, 1);
  await checkTrust(store, "example.org", 1965, info, { now: new Date(now.getTime() + 3600_000) });
  assertEquals(store.puts, 2);
  assertEquals((await store.get("example.org", 1965))?.lastSeen, "2026-06-01T01:00:00.000Z");
});
