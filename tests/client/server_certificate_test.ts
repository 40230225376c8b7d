import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_helpers/assert.ts";
import { certificateNames } from "../../lib/tls/certificate_names.ts";
import {
  certificateValidity,
  checkServerCertificate,
  formatInvalidCertificate,
  hostMatchesCertificate,
} from "../../lib/client/server_certificate.ts";
import { Client } from "../../lib/client/client.ts";
import {
  ClientError,
  type ClientOptions,
  type ClientWarning,
  type InvalidCertificate,
} from "../../lib/client/types.ts";
import { type CertificateInfo, generateCertificate } from "../../lib/tls/certificate.ts";
import { answer, startGeminiServer, withGeminiServer } from "../_helpers/gemini_server.ts";
import { MemoryIdentityStore, MemoryKnownHosts } from "../_helpers/memory_stores.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";

const NOT_BEFORE = new Date("2026-01-01T00:00:00.000Z");
const NOT_AFTER = new Date("2027-01-01T00:00:00.000Z");

function info(names: string[], commonName?: string): CertificateInfo {
  return {
    spkiSha256: "ab".repeat(32),
    certSha256: "cd".repeat(32),
    subject: commonName ? `CN=${commonName}` : "",
    commonName,
    issuer: commonName ? `CN=${commonName}` : "",
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    serialNumber: "01",
    altNames: names,
    keyType: "ec",
    selfSigned: true,
    pem: "",
  };
}

Deno.test("certificateValidity() honours both ends of the period, to the millisecond", () => {
  const at = (ms: number): Date => new Date(ms);
  assertEquals(certificateValidity(info([]), at(NOT_BEFORE.getTime() - 1)), "not-yet-valid");
  assertEquals(certificateValidity(info([]), NOT_BEFORE), "valid");
  assertEquals(certificateValidity(info([]), NOT_AFTER), "valid");
  assertEquals(certificateValidity(info([]), at(NOT_AFTER.getTime() + 1)), "expired");
});

// Edge case 60: which names cover which host (the policy of Lagrange).
const NAME_CASES: [string, string[], string | undefined, string, boolean][] = [
  ["the exact name", ["example.org"], undefined, "example.org", true],
  ["the name in another case, with a final dot", ["Example.ORG"], undefined, "example.org.", true],
  ["the common name when there are no alternative names", [], "example.org", "example.org", true],
  ["another name", ["other.example"], "other.example", "example.org", false],
  ["a wildcard, for one label", ["*.example.org"], undefined, "gemini.example.org", true],
  ["a wildcard, not for two labels", ["*.example.org"], undefined, "a.b.example.org", false],
  ["a wildcard, not for the domain itself", ["*.example.org"], undefined, "example.org", false],
  ["a wildcard over a top-level name, for nothing", ["*.org"], undefined, "example.org", false],
  ["the parent domain (implicit wildcard)", ["example.org"], undefined, "gemini.example.org", true],
  ["the parent domain, deeper", [], "example.org", "a.b.example.org", true],
  [
    "a parent that is only a suffix of the label",
    ["example.org"],
    undefined,
    "myexample.org",
    false,
  ],
  ["a child domain, not for its parent", ["gemini.example.org"], undefined, "example.org", false],
  ["a bare top-level name, not for what is below", ["localhost"], undefined, "a.localhost", false],
  [
    "an IP address for the same IP literal",
    ["localhost", "127.0.0.1"],
    undefined,
    "127.0.0.1",
    true,
  ],
  ["an IP address, not another one", ["127.0.0.2"], undefined, "127.0.0.1", false],
  ["no name, for an IP literal", ["localhost"], "localhost", "127.0.0.1", false],
  ["an IPv6 address in another spelling", ["0:0:0:0:0:0:0:1"], undefined, "[::1]", true],
  ["an IP address, not as a parent domain", ["0.0.1"], undefined, "127.0.0.1", false],
  ["a common name that is an IP address", [], "192.0.2.7", "192.0.2.7", true],
];

for (const [what, names, cn, host, expected] of NAME_CASES) {
  Deno.test(`hostMatchesCertificate() ${expected ? "accepts" : "refuses"} ${what}`, () => {
    assertEquals(hostMatchesCertificate(host, info(names, cn)), expected);
  });
}

Deno.test("certificateNames() lists the common name, then the alternative names, once each", () => {
  assertEquals(certificateNames(info(["a.example", "127.0.0.1"], "a.example")), [
    "a.example",
    "127.0.0.1",
  ]);
  assertEquals(certificateNames(info(["b.example", " 127.0.0.1 "], "a.example")), [
    "a.example",
    "b.example",
    "127.0.0.1",
  ]);
  assertEquals(certificateNames(info([], "b.example")), ["b.example"]);
  assertEquals(certificateNames(info([])), []);
});

Deno.test("formatInvalidCertificate() names host:port, the dates and what to do", () => {
  const invalid: InvalidCertificate = {
    host: "::1",
    port: 1965,
    reason: "expired",
    presented: info(["localhost"]),
    checkedAt: new Date("2028-01-01T00:00:00.000Z"),
  };
  const message = formatInvalidCertificate(invalid);
  assertStringIncludes(message, "[::1]:1965 expired on 2027-01-01T00:00:00Z");
  assertStringIncludes(message, "valid from 2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z");
  assertStringIncludes(message, "no request was sent");
  assertStringIncludes(message, "operator");
  // How to go on anyway (a flag of gemini get) is the application's to say.
  assertEquals(message.includes("--"), false, message);
  const early = formatInvalidCertificate({
    ...invalid,
    host: "example.org",
    reason: "not-yet-valid",
  });
  assertStringIncludes(early, "example.org:1965 is not valid until 2026-01-01T00:00:00Z");
  assertStringIncludes(early, "clock");
});

Deno.test("checkServerCertificate() by mode: strict refuses or asks, warn warns, off is silent", async () => {
  const cert = info(["example.org"]);
  const late = new Date("2028-01-01T00:00:00.000Z");
  const error = await assertRejects(
    () => checkServerCertificate("example.org", 1965, cert, { now: late }),
    ClientError,
  );
  assertEquals(error.code, "certificate-invalid");
  assertEquals(error.invalid?.reason, "expired");
  assertEquals(error.invalid?.host, "example.org");

  const asked: InvalidCertificate[] = [];
  const once = await checkServerCertificate("example.org", 1965, cert, {
    now: late,
    hooks: { onInvalidCertificate: (i) => (asked.push(i), Promise.resolve("once")) },
  });
  assertEquals(once, { validity: "expired", nameMatches: true });
  assertEquals(asked.map((i) => [i.reason, i.port, i.checkedAt]), [["expired", 1965, late]]);
  const aborted = await assertRejects(
    () =>
      checkServerCertificate("example.org", 1965, cert, {
        now: new Date("2025-01-01T00:00:00.000Z"),
        hooks: { onInvalidCertificate: () => Promise.resolve("abort") },
      }),
    ClientError,
  );
  assertEquals(aborted.invalid?.reason, "not-yet-valid");

  const warnings: string[] = [];
  const kinds: (ClientWarning | undefined)[] = [];
  const warned = await checkServerCertificate("example.org", 1965, cert, {
    mode: "warn",
    now: late,
    hooks: {
      onWarning: (m, w) => {
        warnings.push(m);
        kinds.push(w);
      },
      onInvalidCertificate: () => Promise.reject(new Error("not asked in warn mode")),
    },
  });
  assertEquals(warned.validity, "expired");
  assertEquals(warnings.length, 1);
  assertStringIncludes(warnings[0], "expired on 2027-01-01T00:00:00Z");
  assert(warnings[0].endsWith("; going on"), warnings[0]);
  assertEquals(kinds[0]?.code, "certificate-invalid");
  assertEquals([kinds[0]?.invalid?.reason, kinds[0]?.invalid?.presented], ["expired", cert]);

  const off = await checkServerCertificate("other.example", 1965, cert, {
    mode: "off",
    now: late,
    hooks: { onWarning: (m) => void warnings.push(m) },
  });
  assertEquals(off, { validity: "expired", nameMatches: false });
  assertEquals(warnings.length, 1);
});

Deno.test("checkServerCertificate() warns about a name mismatch and goes on, in strict mode too", async () => {
  const warnings: string[] = [];
  const hooks = { onWarning: (m: string) => void warnings.push(m) };
  const now = new Date("2026-06-01T00:00:00.000Z");
  const mismatch = await checkServerCertificate("127.0.0.1", 1965, info(["other.example"]), {
    now,
    hooks,
  });
  assertEquals(mismatch, { validity: "valid", nameMatches: false });
  assertEquals(warnings.length, 1);
  assertStringIncludes(warnings[0], "127.0.0.1:1965 is for other.example, not for 127.0.0.1");
  assertStringIncludes(warnings[0], "pins the key");
  // The server's names are shown without control characters, at most five of them.
  const many = Array.from({ length: 8 }, (_, i) => `n${i}.example`);
  await checkServerCertificate("x.test", 1965, info(["evil\x1b[2J.example", ...many]), {
    now,
    hooks,
  });
  assertStringIncludes(warnings[1], "evil?[2J.example, n0.example");
  assertStringIncludes(warnings[1], "n3.example and 4 more");
  assertEquals(warnings[1].includes("\x1b"), false);
  await checkServerCertificate("127.0.0.1", 1965, info(["127.0.0.1"]), { now, hooks });
  assertEquals(warnings.length, 2);
});

// ---------------------------------------------------------------------------------------
// Over real TLS on 127.0.0.1: the Client

const DAY = 86_400_000;

function expiredCertificate(): ReturnType<typeof generateCertificate> {
  return generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
}

function futureCertificate(): ReturnType<typeof generateCertificate> {
  return generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
    notBefore: new Date(Date.now() + DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
  });
}

const ok = ({ conn }: { conn: Parameters<typeof answer>[0] }): Promise<void> =>
  answer(conn, "20 text/plain\r\n", "ok\n");

function client(knownHosts: MemoryKnownHosts, options: ClientOptions = {}): Client {
  return new Client({ knownHosts, identities: new MemoryIdentityStore(), ...options });
}

Deno.test("Client refuses an expired server certificate BEFORE writing the request, and pins nothing", async () => {
  const bundle = await expiredCertificate();
  const server = await startGeminiServer(ok, { certificate: bundle });
  const store = new MemoryKnownHosts();
  try {
    const url = `gemini://127.0.0.1:${server.port}/secret`;
    const error = await assertRejects(() => client(store).fetch(url), ClientError);
    assertEquals(error.code, "certificate-invalid");
    assertStringIncludes(error.message, `127.0.0.1:${server.port} expired on`);
    assertStringIncludes(error.message, bundle.info.notAfter.toISOString().slice(0, 19));
    assertStringIncludes(error.message, bundle.info.notBefore.toISOString().slice(0, 19));
    assertEquals(error.message.includes("--"), false, error.message);
    assertStringIncludes(error.message, "operator");
    assertEquals(error.invalid?.presented.certSha256, bundle.info.certSha256);
    // Nothing was pinned, and the request line never left: the server saw only the next one.
    assertEquals(await store.list(), []);
    const later = await client(store, { tofu: "warn" }).fetch(
      `gemini://127.0.0.1:${server.port}/later`,
    );
    await later.bytes();
    assertEquals(server.lines, [`gemini://127.0.0.1:${server.port}/later`]);
  } finally {
    await server.close();
  }
});

Deno.test("Client refuses a server certificate that is not valid yet", async () => {
  const server = await startGeminiServer(ok, { certificate: await futureCertificate() });
  const store = new MemoryKnownHosts();
  try {
    const error = await assertRejects(() => client(store).fetch(server.url()), ClientError);
    assertEquals(error.code, "certificate-invalid");
    assertStringIncludes(error.message, `localhost:${server.port} is not valid until`);
    assertEquals(error.invalid?.reason, "not-yet-valid");
    assertEquals(server.lines, []);
    assertEquals(await store.list(), []);
  } finally {
    await server.close();
  }
});

Deno.test("Client asks onInvalidCertificate in strict mode: abort pins nothing, once goes on", async () => {
  const bundle = await expiredCertificate();
  const server = await startGeminiServer(ok, { certificate: bundle });
  const store = new MemoryKnownHosts();
  try {
    const asked: string[] = [];
    const abort = await assertRejects(
      () =>
        client(store, {
          hooks: {
            onInvalidCertificate: (
              i,
            ) => (asked.push(`${i.host}:${i.port} ${i.reason}`), Promise.resolve("abort")),
          },
        }).fetch(server.url("/aborted")),
      ClientError,
    );
    assertEquals(abort.code, "certificate-invalid");
    assertEquals(asked, [`localhost:${server.port} expired`]);
    assertEquals(await store.list(), []);
    const once = await client(store, {
      hooks: { onInvalidCertificate: () => Promise.resolve("once") },
    }).fetch(server.url("/once"));
    assertEquals(once.status, 20);
    assertEquals(once.trust, "first-use");
    assertEquals(await once.text(), "ok\n");
    // The person chose to go on: the key is pinned as on any first visit.
    assertEquals((await store.get("localhost", server.port))?.spkiSha256, bundle.info.spkiSha256);
    assertEquals(server.lines, [server.url("/once")]);
  } finally {
    await server.close();
  }
});

Deno.test("Client tofu modes and an expired certificate: warn goes on with a warning, off says nothing", async () => {
  await withGeminiServer(ok, async (server) => {
    const warnings: string[] = [];
    const kinds: (string | undefined)[] = [];
    const warned = await client(new MemoryKnownHosts(), {
      tofu: "warn",
      hooks: {
        onWarning: (m, w) => {
          warnings.push(m);
          kinds.push(w?.code);
        },
      },
    }).fetch(server.url("/warn"));
    assertEquals(warned.status, 20);
    await warned.bytes();
    assertEquals(warnings.length, 1);
    assertStringIncludes(warnings[0], `localhost:${server.port} expired on`);
    assert(warnings[0].endsWith("; going on"), warnings[0]);
    assertEquals(kinds, ["certificate-invalid"]);
    const quiet: string[] = [];
    const off = await client(new MemoryKnownHosts(), {
      tofu: "off",
      hooks: { onWarning: (m) => void quiet.push(m) },
    }).fetch(server.url("/off"));
    assertEquals(off.trust, "unchecked");
    await off.bytes();
    assertEquals(quiet, []);
    assertEquals(server.lines, [server.url("/warn"), server.url("/off")]);
  }, { certificate: await expiredCertificate() });
});

Deno.test("Client warns once when the certificate is for another host (other.example at 127.0.0.1), and goes on", async () => {
  const other = await generateCertificate("other.example", { altNames: ["other.example"] });
  const server = await startGeminiServer(ok, { certificate: other });
  const store = new MemoryKnownHosts();
  try {
    const warnings: string[] = [];
    const c = client(store, { hooks: { onWarning: (m) => void warnings.push(m) } });
    const url = `gemini://127.0.0.1:${server.port}/`;
    const first = await c.fetch(url);
    assertEquals(first.status, 20);
    assertEquals(first.trust, "first-use");
    await first.bytes();
    assertEquals(warnings.length, 1);
    assertStringIncludes(
      warnings[0],
      `127.0.0.1:${server.port} is for other.example, not for 127.0.0.1`,
    );
    // Said once for the life of the client.
    await (await c.fetch(url)).bytes();
    assertEquals(warnings.length, 1);
    assertEquals(server.lines.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("Client does not warn when a SAN covers the host (127.0.0.1, localhost)", async () => {
  await withGeminiServer(ok, async (server) => {
    const warnings: string[] = [];
    const c = client(new MemoryKnownHosts(), {
      hooks: { onWarning: (m) => void warnings.push(m) },
    });
    for (const url of [`gemini://127.0.0.1:${server.port}/`, server.url()]) {
      const response = await c.fetch(url);
      assertEquals(response.status, 20);
      await response.bytes();
    }
    assertEquals(warnings, []);
  }, { certificate: await localhostCertificate() });
});
