/**
 * The identity store and scope rules: segment-aware scope matching, longest prefix wins,
 * files on disk with the documented names and modes, encrypted keys, corrupt metadata.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "../_helpers/assert.ts";
import {
  bestIdentity,
  checkIdentityName,
  decryptKey,
  encryptKey,
  FileIdentityStore,
  isEncryptedKey,
  makeIdentity,
  normalizeScope,
  openIdentityStore,
  PassphraseError,
  scopeCovers,
  toPkcs8,
} from "../../lib/client/identities.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { resolvePaths } from "../../lib/files/paths.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gemini-id-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("scopeCovers() matches host, port and path at segment boundaries", () => {
  const table: [string, string, boolean][] = [
    ["gemini://example.org/alice", "gemini://example.org/alice", true],
    ["gemini://example.org/alice", "gemini://example.org/alice/", true],
    ["gemini://example.org/alice", "gemini://example.org/alice/x/y", true],
    ["gemini://example.org/alice", "gemini://example.org/alice-bob", false],
    ["gemini://example.org/alice", "gemini://example.org/alicex", false],
    ["gemini://example.org/alice", "gemini://example.org/", false],
    ["gemini://example.org/alice", "gemini://example.org/ALICE", false],
    ["gemini://example.org/alice/", "gemini://example.org/alice", true],
    ["gemini://example.org/alice/", "gemini://example.org/alice-bob", false],
    ["gemini://example.org/", "gemini://example.org/anything", true],
    ["gemini://example.org", "gemini://example.org", true],
    ["gemini://example.org/", "gemini://example.org:1965/x", true],
    ["gemini://example.org:1965/", "gemini://example.org/x", true],
    ["gemini://example.org/", "gemini://example.org:1966/x", false],
    ["gemini://example.org:1966/", "gemini://example.org:1966/x", true],
    ["gemini://Example.ORG/a", "gemini://example.org/a/b", true],
    ["gemini://example.org/", "gemini://sub.example.org/", false],
    ["gemini://example.org/", "titan://example.org/", false],
    ["example.org/alice", "gemini://example.org/alice/x", true],
    ["gemini://[::1]/a", "gemini://[::1]:1965/a", true],
    ["not a url", "gemini://example.org/", false],
  ];
  for (const [scope, url, expected] of table) {
    assertEquals(scopeCovers(scope, new URL(url)), expected, `${scope} covers ${url}`);
  }
});

Deno.test("bestIdentity() picks the longest covering prefix, the first on a tie", () => {
  const ids = [
    { name: "root", scopes: ["gemini://example.org/"] },
    { name: "alice", scopes: ["gemini://example.org/alice"] },
    { name: "deep", scopes: ["gemini://other.example/", "gemini://example.org/alice/private"] },
    { name: "root2", scopes: ["gemini://example.org/"] },
  ];
  const pick = (url: string): string | undefined => bestIdentity(ids, new URL(url))?.name;
  assertEquals(pick("gemini://example.org/alice/private/x"), "deep");
  assertEquals(pick("gemini://example.org/alice/privateer"), "alice");
  assertEquals(pick("gemini://example.org/alice-bob"), "root");
  assertEquals(pick("gemini://other.example/x"), "deep");
  assertEquals(pick("gemini://third.example/"), undefined);
  assertEquals(bestIdentity([], new URL("gemini://example.org/")), undefined);
});

Deno.test("normalizeScope() gives one spelling per scope", () => {
  assertEquals(normalizeScope("Example.org:1965/alice/"), "gemini://example.org/alice");
  assertEquals(normalizeScope("gemini://example.org"), "gemini://example.org/");
  assertEquals(normalizeScope("gemini://example.org:1966/a"), "gemini://example.org:1966/a");
  assertEquals(normalizeScope("gemini://[::1]:1965/"), "gemini://[::1]/");
  assertThrows(() => normalizeScope("gemini:///path"), SyntaxError, "no host");
  // Parts a URL parser would silently drop are refused rather than stored as a wider scope.
  assertThrows(() => normalizeScope("gemini://user@example.org/a"), SyntaxError, "userinfo");
  assertThrows(() => normalizeScope("user:pw@example.org/a"), SyntaxError, "userinfo");
  assertThrows(() => normalizeScope("gemini://example.org/a?q"), SyntaxError, "without ? or #");
  assertThrows(() => normalizeScope("gemini://example.org/a#top"), SyntaxError, "without ? or #");
  assertEquals(normalizeScope("gemini://example.org/~al@ice"), "gemini://example.org/~al@ice");
});

Deno.test("checkIdentityName() accepts safe names only", () => {
  for (const ok of ["a", "alice", "Alice_2", "a.b-c", "x".repeat(64)]) checkIdentityName(ok);
  for (const bad of ["", ".hidden", "-x", "a/b", "a b", "../x", "x".repeat(65), "é"]) {
    assertThrows(() => checkIdentityName(bad), TypeError, "Invalid identity name");
  }
});

for (const keyAlgorithm of ["ec", "rsa", "ed25519"] as const) {
  Deno.test(`encryptKey()/decryptKey() round-trip a ${keyAlgorithm} key; a wrong passphrase is a clear error`, async () => {
    const { key } = await generateCertificate("me", { keyAlgorithm });
    const locked = encryptKey(key, "correct horse");
    assert(isEncryptedKey(locked));
    assert(!locked.includes(key.split("\n")[1]));
    assertEquals(decryptKey(locked, "correct horse"), key);
    assertThrows(() => decryptKey(locked, "wrong"), PassphraseError, "Wrong passphrase");
    assertThrows(() => toPkcs8(locked), PassphraseError, "passphrase is needed");
    // Re-encrypting under a new passphrase needs the old one.
    const relocked = encryptKey(locked, "new", { passphrase: "correct horse" });
    assertEquals(decryptKey(relocked, "new"), key);
    assertThrows(() => encryptKey(key, ""), TypeError, "must not be empty");
  });
}

Deno.test("encrypted keys are readable by openssl with the same passphrase", async () => {
  const { key } = await generateCertificate("me");
  const locked = encryptKey(key, "pw");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/k.pem`, locked);
    const out = await new Deno.Command("openssl", {
      args: ["pkey", "-in", `${dir}/k.pem`, "-passin", "pass:pw"],
      stdout: "piped",
      stderr: "piped",
    }).output().catch((error) => {
      throw new Error("openssl is needed for this test (apt-get install openssl)", {
        cause: error,
      });
    });
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(new TextDecoder().decode(out.stdout), key);
    const bad = await new Deno.Command("openssl", {
      args: ["pkey", "-in", `${dir}/k.pem`, "-passin", "pass:nope"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(bad.code !== 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeIdentity() refuses a key that belongs to another certificate", async () => {
  const a = await generateCertificate("a");
  const b = await generateCertificate("b");
  assertThrows(
    () => makeIdentity("a", { cert: a.cert, key: b.key }),
    TypeError,
    "does not belong",
  );
  // Encrypted: checked when the passphrase is given.
  const locked = encryptKey(b.key, "pw");
  assertThrows(
    () => makeIdentity("a", { cert: a.cert, key: locked, passphrase: "pw" }),
    TypeError,
    "does not belong",
  );
  assertThrows(
    () => makeIdentity("a", { cert: a.cert, key: encryptKey(a.key, "pw"), passphrase: "x" }),
    PassphraseError,
  );
  assert(makeIdentity("a", { cert: a.cert, key: encryptKey(a.key, "pw") }).encrypted);
});

Deno.test("FileIdentityStore writes NAME.crt, NAME.key (0600) and NAME.toml", async () => {
  await withDir(async (dir) => {
    const store = new FileIdentityStore(`${dir}/identities`);
    assertEquals(await store.list(), []);
    const { cert, key } = await generateCertificate("alice");
    const identity = makeIdentity("alice", {
      cert,
      key,
      scopes: ["gemini://example.org/alice/", "example.org:1966/"],
      created: "2026-01-01T00:00:00.000Z",
    });
    await store.add(identity);
    await assertRejects(() => store.add(identity), TypeError, "already exists");
    const files = [...Deno.readDirSync(`${dir}/identities`)].map((e) => e.name).sort();
    assertEquals(files, ["alice.crt", "alice.key", "alice.toml", "store.lock"]);
    assertEquals((await Deno.stat(`${dir}/identities/alice.key`)).mode! & 0o777, 0o600);
    assertEquals(await Deno.readTextFile(`${dir}/identities/alice.key`), key);
    const toml = await Deno.readTextFile(`${dir}/identities/alice.toml`);
    assert(
      toml.includes('scopes = [ "gemini://example.org/alice", "gemini://example.org:1966/" ]'),
    );
    assert(toml.includes('created = "2026-01-01T00:00:00.000Z"'));
    const back = await store.get("alice");
    assertEquals(back, identity);
    assertEquals(
      (await store.forUrl(new URL("gemini://example.org/alice/inbox")))?.name,
      "alice",
    );
    assertEquals(await store.forUrl(new URL("gemini://example.org/alice-bob")), undefined);

    await store.update({ ...identity, scopes: [], key: encryptKey(key, "pw"), encrypted: true });
    const updated = (await store.get("alice"))!;
    assertEquals(updated.scopes, []);
    assert(updated.encrypted);
    await assertRejects(
      () => store.update({ ...identity, name: "bob" }),
      TypeError,
      'No identity named "bob"',
    );
    assertEquals(await store.remove("alice"), true);
    assertEquals(await store.remove("alice"), false);
    assertEquals(await store.list(), []);
  });
});

Deno.test("FileIdentityStore reads a hand-copied .crt/.key pair without metadata", async () => {
  await withDir(async (dir) => {
    const { cert, key, info } = await generateCertificate("manual");
    await Deno.writeTextFile(`${dir}/manual.crt`, cert);
    await Deno.writeTextFile(`${dir}/manual.key`, key);
    await Deno.writeTextFile(`${dir}/notes.txt`, "ignored");
    const [identity] = await new FileIdentityStore(dir).list();
    assertEquals(identity.name, "manual");
    assertEquals(identity.scopes, []);
    assertEquals(identity.info.spkiSha256, info.spkiSha256);
  });
});

Deno.test("FileIdentityStore reports broken files by name and never rewrites them", async () => {
  await withDir(async (dir) => {
    const store = new FileIdentityStore(dir);
    const { cert, key } = await generateCertificate("alice");
    await store.add(makeIdentity("alice", { cert, key, scopes: ["example.org/"] }));
    const meta = `${dir}/alice.toml`;
    const text = await Deno.readTextFile(meta);
    const truncated = text.slice(0, text.indexOf("scopes") + 14);
    await Deno.writeTextFile(meta, truncated);
    await assertRejects(() => store.list(), SyntaxError, `${meta}:`);
    assertEquals(await Deno.readTextFile(meta), truncated);
    await Deno.writeTextFile(meta, 'scopes = "example.org"\n');
    await assertRejects(() => store.get("alice"), SyntaxError, "must be an array");
    await Deno.writeTextFile(meta, text);
    await Deno.remove(`${dir}/alice.key`);
    await assertRejects(() => store.get("alice"), Error, "alice.key is missing");
    await Deno.writeTextFile(`${dir}/alice.key`, key);
    await Deno.writeTextFile(`${dir}/alice.crt`, cert.slice(0, 100));
    await assertRejects(() => store.get("alice"), SyntaxError, `${dir}/alice.crt`);
  });
});

Deno.test("two stores adding different identities at once both succeed", async () => {
  await withDir(async (dir) => {
    const bundles = await Promise.all(
      Array.from({ length: 6 }, (_, i) => generateCertificate(`id${i}`)),
    );
    await Promise.all(
      bundles.map((b, i) =>
        new FileIdentityStore(dir).add(makeIdentity(`id${i}`, { cert: b.cert, key: b.key }))
      ),
    );
    assertEquals((await new FileIdentityStore(dir).list()).map((i) => i.name), [
      "id0",
      "id1",
      "id2",
      "id3",
      "id4",
      "id5",
    ]);
  });
});

Deno.test("openIdentityStore() follows GEMINI_HOME", () => {
  const paths = resolvePaths((k) => (k === "GEMINI_HOME" ? "/tmp/gh" : undefined));
  assertEquals(openIdentityStore(paths).dir, "/tmp/gh/data/identities");
});
