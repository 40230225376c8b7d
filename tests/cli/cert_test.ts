/**
 * `gemini cert`, run in-process as a user runs it (arguments, environment, stdin), with
 * openssl as the independent judge of what it writes and a node:tls server as the judge of
 * the identities it makes.
 */

import { openssl } from "../_helpers/openssl.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { startTestServer } from "../_helpers/tls_server.ts";
import { main } from "../../lib/cli/cert.ts";
import { main as getMain } from "../../lib/cli/get.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { decryptKey, FileIdentityStore } from "../../lib/client/identities.ts";
import { FileKnownHosts, formatKnownHost, pinMatches } from "../../lib/client/known_hosts.ts";
import {
  certificateInfo,
  generateCertificate,
  normalizeFingerprint,
  pemToDer,
} from "../../lib/tls/certificate.ts";
import { dial } from "../../lib/tls/dial.ts";

interface RunResult {
  code: number;
  out: string;
  err: string;
}

interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  terminal?: boolean;
}

/** A throwaway GEMINI_HOME and a way to run `gemini cert` in it. */
interface Home {
  dir: string;
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  identities: FileIdentityStore;
  knownHosts: FileKnownHosts;
}

async function withHome(fn: (home: Home) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gemini-cert-" });
  const home: Home = {
    dir,
    async run(args, options = {}): Promise<RunResult> {
      const io = memoryIo({
        env: { GEMINI_HOME: dir, ...options.env },
        stdin: options.stdin,
        terminal: options.terminal,
      });
      const code = await main(args, io);
      return { code, out: io.stdout.text(), err: io.stderr.text() };
    },
    identities: new FileIdentityStore(join(dir, "data", "identities")),
    knownHosts: new FileKnownHosts(join(dir, "data", "known_hosts")),
  };
  try {
    await fn(home);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function ok(result: RunResult, what = "command"): RunResult {
  assertEquals(result.code, 0, `${what} failed: ${result.err}${result.out}`);
  return result;
}

/** openssl's view of a certificate file: whole-cert and SPKI SHA-256, and its key's SPKI. */
async function opensslFingerprints(
  certFile: string,
  keyFile: string,
  passphrase?: string,
): Promise<{ cert: string; spki: string; keySpki: string }> {
  const text = new TextDecoder().decode(
    await openssl(["x509", "-in", certFile, "-noout", "-fingerprint", "-sha256"]),
  );
  const cert = normalizeFingerprint(text.split("=")[1]);
  const pub = await openssl(["x509", "-in", certFile, "-noout", "-pubkey"]);
  const spkiDer = await openssl(["pkey", "-pubin", "-outform", "DER"], pub);
  const keyArgs = ["pkey", "-in", keyFile, "-pubout", "-outform", "DER"];
  if (passphrase !== undefined) keyArgs.push("-passin", `pass:${passphrase}`);
  const keyDer = await openssl(keyArgs);
  const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
  return { cert, spki: sha(spkiDer), keySpki: sha(keyDer) };
}

function printed(text: string, label: string): string {
  const m = new RegExp(`${label}[^:]*:\\s+([0-9A-F:]{95})`).exec(text);
  assert(m, `no ${label} fingerprint in:\n${text}`);
  return normalizeFingerprint(m[1]);
}

const SUBCOMMANDS = [
  ["new"],
  ["list"],
  ["show"],
  ["scope"],
  ["rm"],
  ["export"],
  ["import"],
  ["encrypt"],
  ["decrypt"],
  ["server"],
  ["renew"],
  ["hosts"],
  ["hosts", "forget"],
  ["hosts", "trust"],
  ["hosts", "import"],
];

Deno.test("gemini cert --help lists every command, and each has its own --help", async () => {
  await withHome(async (home) => {
    const top = ok(await home.run(["--help"]));
    for (const sub of SUBCOMMANDS) {
      assertStringIncludes(top.out, sub.join(" "));
      const help = ok(await home.run([...sub, "--help"]), `${sub.join(" ")} --help`);
      assertStringIncludes(help.out, `Usage: gemini cert ${sub.join(" ")}`);
      assertStringIncludes(help.out, "Examples:");
    }
    assertEquals((await home.run([])).code, 2);
    const typo = await home.run(["lsit"]);
    assertEquals(typo.code, 2);
    assertStringIncludes(typo.err, 'did you mean "list"?');
    const bad = await home.run(["new", "a", "--dayz", "3"]);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.err, "did you mean --days?");
    assertStringIncludes(
      (await home.run(["new", "--help"])).out,
      "GEMINI_IDENTITY_PASSPHRASE",
    );
  });
});

for (const key of ["ec", "rsa", "ed25519"]) {
  Deno.test(`cert new --key ${key}: openssl reads the files and agrees on the fingerprints`, async () => {
    await withHome(async (home) => {
      const result = ok(
        await home.run([
          "new",
          "alice",
          "--key",
          key,
          "--days",
          "30",
          "--cn",
          "Alice Liddell",
          "--scope",
          "gemini://example.org/alice/",
        ]),
      );
      const dir = home.identities.dir;
      const ours = await opensslFingerprints(`${dir}/alice.crt`, `${dir}/alice.key`);
      assertEquals(ours.spki, ours.keySpki, "the key belongs to the certificate");
      assertEquals(printed(result.out, "SPKI SHA-256"), ours.spki);
      assertEquals(printed(result.out, "certificate SHA-256"), ours.cert);
      assertEquals((await Deno.stat(`${dir}/alice.key`)).mode! & 0o777, 0o600);
      const subject = new TextDecoder().decode(
        await openssl(["x509", "-in", `${dir}/alice.crt`, "-noout", "-subject", "-enddate"]),
      );
      assertStringIncludes(subject, "CN = Alice Liddell");
      const identity = (await home.identities.get("alice"))!;
      assertEquals(identity.scopes, ["gemini://example.org/alice"]);
      assertEquals(identity.info.keyType, key);
      const days = (identity.info.notAfter.getTime() - identity.info.notBefore.getTime()) /
        86_400_000;
      assertEquals(days, 30);
      const again = await home.run(["new", "alice"]);
      assertEquals(again.code, 1);
      assertStringIncludes(again.err, "already exists");
    });
  });
}

Deno.test("cert new rejects bad names, key types, days and scopes as usage errors", async () => {
  await withHome(async (home) => {
    for (
      const args of [
        ["new", "../evil"],
        ["new", "a", "--key", "dsa"],
        ["new", "a", "--days", "0"],
        ["new", "a", "--days", "ten"],
        ["new", "a", "--scope", "gemini:///nohost"],
        ["new", "a", "--scope", "gemini://user@example.org/"],
        ["new", "a", "--scope", "gemini://example.org/a?query"],
        ["new", "a", "--scope", "gemini://example.org/a#part"],
        ["new"],
        ["new", "a", "b"],
      ]
    ) {
      const r = await home.run(args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.err}`);
    }
    assertEquals(await home.identities.list(), []);
  });
});

Deno.test("an identity from cert new is accepted by a node:tls server that checks its fingerprint", async () => {
  await withHome(async (home) => {
    ok(await home.run(["new", "alice", "--scope", "gemini://127.0.0.1/"]));
    ok(
      await home.run(["new", "locked", "--encrypt"], {
        env: { GEMINI_IDENTITY_PASSPHRASE: "s3cret" },
      }),
    );
    const alice = (await home.identities.forUrl(new URL("gemini://127.0.0.1/private")))!;
    assertEquals(alice.name, "alice");
    const locked = (await home.identities.get("locked"))!;
    assert(locked.encrypted);
    const known = new Map([
      [alice.info.certSha256, "alice"],
      [locked.info.certSha256, "locked"],
    ]);
    const server = await startTestServer(({ socket, clientCertificate }) => {
      const hash = clientCertificate
        ? createHash("sha256").update(clientCertificate).digest("hex")
        : "";
      const who = known.get(hash);
      socket.end(who ? `20 text/gemini\r\nhello ${who}\n` : "60 Certificate required\r\n");
    });
    try {
      const fetch = async (identity?: { cert: string; key: string; passphrase?: string }) => {
        const conn = await dial("127.0.0.1", { port: server.port, identity });
        await conn.write(`gemini://127.0.0.1:${server.port}/private\r\n`);
        let text = "";
        for (let i = 0; i < 100; i++) {
          const chunk = await conn.read();
          if (chunk === null) break;
          text += new TextDecoder().decode(chunk);
        }
        await conn.close();
        return text;
      };
      assertEquals(await fetch(), "60 Certificate required\r\n");
      assertEquals(await fetch(alice), "20 text/gemini\r\nhello alice\n");
      assertEquals(
        await fetch({ cert: locked.cert, key: decryptKey(locked.key, "s3cret") }),
        "20 text/gemini\r\nhello locked\n",
      );
      assertEquals(
        await fetch({ cert: locked.cert, key: locked.key, passphrase: "s3cret" }),
        "20 text/gemini\r\nhello locked\n",
      );
    } finally {
      await server.close();
    }
  });
});

Deno.test("gemini get presents the identity made by cert new where its scope covers the URL", async () => {
  await withHome(async (home) => {
    const known = new Map<string, string>();
    const server = await startTestServer(({ socket, line, clientCertificate }) => {
      const hash = clientCertificate
        ? createHash("sha256").update(clientCertificate).digest("hex")
        : "";
      const who = known.get(hash);
      const path = new URL(line).pathname;
      if (path === "/public") return void socket.end("20 text/plain\r\npublic\n");
      socket.end(who ? `20 text/plain\r\nhello ${who} at ${path}\n` : "60 Who are you?\r\n");
    });
    try {
      const base = `gemini://127.0.0.1:${server.port}`;
      ok(await home.run(["new", "alice", "--scope", `${base}/alice`]));
      ok(
        await home.run(["new", "locked", "--encrypt", "--scope", `${base}/locked`], {
          env: { GEMINI_IDENTITY_PASSPHRASE: "s3cret" },
        }),
      );
      for (const id of await home.identities.list()) known.set(id.info.certSha256, id.name);
      const get = async (url: string, env: Record<string, string> = {}): Promise<RunResult> => {
        const io = memoryIo({ env: { GEMINI_HOME: home.dir, ...env } });
        const code = await getMain([url], io);
        return { code, out: io.stdout.text(), err: io.stderr.text() };
      };
      assertEquals((await get(`${base}/alice/inbox`)).out, "hello alice at /alice/inbox\n");
      assertEquals((await get(`${base}/public`)).out, "public\n");
      const outside = await get(`${base}/alice-bob`);
      assertEquals(outside.code, 60, outside.err);
      const locked = await get(`${base}/locked/x`, { GEMINI_IDENTITY_PASSPHRASE: "s3cret" });
      assertEquals(locked.out, "hello locked at /locked/x\n", locked.err);
      const wrong = await get(`${base}/locked/x`, { GEMINI_IDENTITY_PASSPHRASE: "nope" });
      assert(wrong.code !== 0, "a wrong passphrase must not fetch");
      // get pinned the server on first use, in the store cert hosts shows.
      const hosts = JSON.parse(ok(await home.run(["hosts", "--json"])).out);
      assertEquals(hosts.map((h: { port: number }) => h.port), [server.port]);
    } finally {
      await server.close();
    }
  });
});

Deno.test("cert list, show and scope add/rm", async () => {
  await withHome(async (home) => {
    const empty = ok(await home.run(["list"]));
    assertEquals(empty.out, "");
    assertStringIncludes(empty.err, "No identities yet");
    assertEquals(JSON.parse(ok(await home.run(["list", "--json"])).out), []);
    ok(await home.run(["new", "bob"]));
    ok(await home.run(["new", "alice", "--scope", "example.org/alice"]));
    const list = ok(await home.run(["list"])).out.split("\n");
    assertMatch(list[0], /^NAME\s+EXPIRES\s+SPKI SHA-256\s+SCOPES$/);
    assertMatch(
      list[1],
      /^alice\s+\d{4}-\d\d-\d\d\s+[0-9a-f]{64}\s+gemini:\/\/example.org\/alice$/,
    );
    assertMatch(list[2], /^bob\s+.*\s+-$/);
    const json = JSON.parse(ok(await home.run(["list", "--json"])).out);
    assertEquals(json.map((i: { name: string }) => i.name), ["alice", "bob"]);
    const alice = (await home.identities.get("alice"))!;
    assertEquals(json[0].spkiSha256, alice.info.spkiSha256);
    assertEquals(json[0].scopes, ["gemini://example.org/alice"]);
    assertEquals(json[0].encrypted, false);

    const show = ok(await home.run(["show", "alice"])).out;
    assertStringIncludes(show, 'Identity "alice"');
    assertStringIncludes(show, "CN=alice");
    assertStringIncludes(show, alice.info.spkiSha256.slice(0, 2).toUpperCase());
    assertEquals(ok(await home.run(["show", "alice", "--pem"])).out, alice.cert);
    assertEquals(JSON.parse(ok(await home.run(["show", "alice", "--json"])).out).name, "alice");
    const missing = await home.run(["show", "alcie"]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.err, 'no identity named "alcie" (did you mean "alice"?)');

    ok(await home.run(["scope", "add", "bob", "gemini://example.org/bob/", "example.net:1966"]));
    assertEquals((await home.identities.get("bob"))!.scopes, [
      "gemini://example.org/bob",
      "gemini://example.net:1966/",
    ]);
    ok(await home.run(["scope", "add", "bob", "gemini://example.org/bob"]));
    assertEquals((await home.identities.get("bob"))!.scopes.length, 2);
    const best = await home.identities.forUrl(new URL("gemini://example.org/bob/inbox"));
    assertEquals(best?.name, "bob");
    assertEquals(await home.identities.forUrl(new URL("gemini://example.org/bobby")), undefined);
    ok(await home.run(["scope", "rm", "bob", "example.net:1966/"]));
    assertEquals((await home.identities.get("bob"))!.scopes, ["gemini://example.org/bob"]);
    const notThere = await home.run(["scope", "rm", "bob", "gemini://nowhere.example/"]);
    assertEquals(notThere.code, 1);
    assertStringIncludes(notThere.err, "has no scope");
    assertEquals((await home.run(["scope", "move", "bob", "x"])).code, 2);
  });
});

Deno.test("cert rm asks on a terminal and needs --yes otherwise", async () => {
  await withHome(async (home) => {
    ok(await home.run(["new", "a"]));
    const refused = await home.run(["rm", "a"]);
    assertEquals(refused.code, 2);
    assertStringIncludes(refused.err, "add --yes");
    const no = await home.run(["rm", "a"], { terminal: true, stdin: "n\n" });
    assertEquals(no.code, 1);
    assertStringIncludes(no.err, 'Delete identity "a"');
    assert(await home.identities.get("a"));
    ok(await home.run(["rm", "a"], { terminal: true, stdin: "y\n" }));
    assertEquals(await home.identities.get("a"), undefined);
    ok(await home.run(["new", "b"]));
    ok(await home.run(["rm", "--yes", "b"]));
    assertEquals(await home.identities.list(), []);
    assertEquals((await home.run(["rm", "--yes", "b"])).code, 1);
  });
});

Deno.test("cert export then import round-trips an identity (PEM file, mode 0600)", async () => {
  await withHome(async (home) => {
    ok(await home.run(["new", "alice"]));
    const pem = ok(await home.run(["export", "alice"])).out;
    const alice = (await home.identities.get("alice"))!;
    assertEquals(pem, alice.cert + alice.key);
    const file = join(home.dir, "alice.pem");
    ok(await home.run(["export", "alice", "--out", file]));
    assertEquals(await Deno.readTextFile(file), pem);
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    const imported = ok(await home.run(["import", "alice2", file, "--scope", "example.org/"]));
    assertStringIncludes(imported.out, 'Imported identity "alice2"');
    const copy = (await home.identities.get("alice2"))!;
    assertEquals(copy.info.certSha256, alice.info.certSha256);
    assertEquals(copy.key, alice.key);
    assertEquals(copy.scopes, ["gemini://example.org/"]);
  });
});

for (
  const [type, genArgs] of [
    ["rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]],
    ["ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]],
    ["ed25519", ["-algorithm", "ED25519"]],
  ] as const
) {
  Deno.test(`cert import reads openssl's ${type} keys: plain, traditional and encrypted PKCS#8`, async () => {
    await withHome(async (home) => {
      const d = home.dir;
      await openssl(["genpkey", ...genArgs, "-out", `${d}/plain.key`]);
      await openssl([
        "req",
        "-new",
        "-x509",
        "-key",
        `${d}/plain.key`,
        "-subj",
        "/CN=imported",
        "-days",
        "10",
        "-out",
        `${d}/id.crt`,
      ]);
      await openssl([
        "pkcs8",
        "-topk8",
        "-in",
        `${d}/plain.key`,
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:pw",
        "-out",
        `${d}/enc.key`,
      ]);
      const info = certificateInfo(await Deno.readTextFile(`${d}/id.crt`));

      ok(await home.run(["import", "plain", `${d}/id.crt`, `${d}/plain.key`]));
      const plain = (await home.identities.get("plain"))!;
      assertEquals(plain.info.spkiSha256, info.spkiSha256);
      assert(plain.key.startsWith("-----BEGIN PRIVATE KEY-----"), "stored as PKCS#8");
      assert(!plain.encrypted);

      if (type !== "ed25519") {
        // Traditional formats: PKCS#1 for RSA, SEC1 for EC.
        const traditional = `${d}/trad.key`;
        await openssl(
          type === "rsa"
            ? ["rsa", "-in", `${d}/plain.key`, "-traditional", "-out", traditional]
            : ["ec", "-in", `${d}/plain.key`, "-out", traditional],
        );
        const head = (await Deno.readTextFile(traditional)).split("\n")[0];
        assertEquals(head, `-----BEGIN ${type.toUpperCase()} PRIVATE KEY-----`);
        ok(await home.run(["import", "trad", `${d}/id.crt`, traditional]));
        assertEquals((await home.identities.get("trad"))!.info.spkiSha256, info.spkiSha256);
      }

      const noPass = await home.run(["import", "enc", `${d}/id.crt`, `${d}/enc.key`]);
      assertEquals(noPass.code, 2);
      assertStringIncludes(noPass.err, "GEMINI_IDENTITY_PASSPHRASE");
      const wrong = await home.run(["import", "enc", `${d}/id.crt`, `${d}/enc.key`], {
        env: { GEMINI_IDENTITY_PASSPHRASE: "nope" },
      });
      assertEquals(wrong.code, 1);
      assertStringIncludes(wrong.err, "Wrong passphrase");
      assertEquals(await home.identities.get("enc"), undefined);
      // On a terminal the passphrase is asked for.
      ok(
        await home.run(["import", "enc", `${d}/id.crt`, `${d}/enc.key`], {
          terminal: true,
          stdin: "pw\n",
        }),
      );
      const enc = (await home.identities.get("enc"))!;
      assert(enc.encrypted);
      assertEquals(decryptKey(enc.key, "pw"), plain.key);
      // openssl still opens the stored key with the passphrase, and it matches.
      const fps = await opensslFingerprints(
        `${home.identities.dir}/enc.crt`,
        `${home.identities.dir}/enc.key`,
        "pw",
      );
      assertEquals(fps.keySpki, info.spkiSha256);

      const other = await generateCertificate("other");
      await Deno.writeTextFile(`${d}/other.key`, other.key);
      const mismatch = await home.run(["import", "mix", `${d}/id.crt`, `${d}/other.key`]);
      assertEquals(mismatch.code, 1);
      assertStringIncludes(mismatch.err, "does not belong");
    });
  });
}

Deno.test("cert encrypt / decrypt and new --encrypt: passphrases from the env or the terminal", async () => {
  await withHome(async (home) => {
    ok(await home.run(["new", "a"]));
    const plainKey = (await home.identities.get("a"))!.key;
    const noTty = await home.run(["encrypt", "a"]);
    assertEquals(noTty.code, 2);
    assertStringIncludes(noTty.err, "set GEMINI_IDENTITY_PASSPHRASE");
    const mismatch = await home.run(["encrypt", "a"], { terminal: true, stdin: "one\ntwo\n" });
    assertEquals(mismatch.code, 2);
    assertStringIncludes(mismatch.err, "do not match");
    ok(await home.run(["encrypt", "a"], { terminal: true, stdin: "pw\npw\n" }));
    const locked = (await home.identities.get("a"))!;
    assert(locked.encrypted);
    assertStringIncludes(locked.key, "BEGIN ENCRYPTED PRIVATE KEY");
    assertEquals((await Deno.stat(`${home.identities.dir}/a.key`)).mode! & 0o777, 0o600);
    assertEquals(decryptKey(locked.key, "pw"), plainKey);
    assertEquals(
      (await home.run(["encrypt", "a"], { env: { GEMINI_IDENTITY_PASSPHRASE: "x" } }))
        .code,
      1,
    );
    const wrong = await home.run(["decrypt", "a"], { env: { GEMINI_IDENTITY_PASSPHRASE: "x" } });
    assertEquals(wrong.code, 1);
    assertStringIncludes(wrong.err, "Wrong passphrase");
    ok(await home.run(["decrypt", "a"], { env: { GEMINI_IDENTITY_PASSPHRASE: "pw" } }));
    assertEquals((await home.identities.get("a"))!.key, plainKey);

    ok(await home.run(["new", "b", "--encrypt"], { terminal: true, stdin: "pw2\npw2\n" }));
    const b = (await home.identities.get("b"))!;
    assert(b.encrypted);
    assertEquals(decryptKey(b.key, "pw2").startsWith("-----BEGIN PRIVATE KEY-----"), true);
    const show = ok(await home.run(["list", "--json"])).out;
    assertEquals(JSON.parse(show)[1].encrypted, true);
  });
});

Deno.test("cert server writes a certificate and a 0600 key that openssl reads, and prints both fingerprints", async () => {
  await withHome(async (home) => {
    const out = join(home.dir, "certs");
    const result = ok(
      await home.run([
        "server",
        "Example.org",
        "www.example.org",
        "127.0.0.1",
        "::1",
        "--out",
        out,
        "--days",
        "90",
        "--key",
        "rsa",
      ]),
    );
    const certFile = `${out}/example.org.crt`;
    const keyFile = `${out}/example.org.key`;
    assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
    const fps = await opensslFingerprints(certFile, keyFile);
    assertEquals(fps.spki, fps.keySpki);
    assertEquals(printed(result.out, "SPKI SHA-256"), fps.spki);
    assertEquals(printed(result.out, "certificate SHA-256"), fps.cert);
    const text = new TextDecoder().decode(
      await openssl(["x509", "-in", certFile, "-noout", "-text"]),
    );
    assertStringIncludes(text, "DNS:example.org");
    assertStringIncludes(text, "DNS:www.example.org");
    assertStringIncludes(text, "IP Address:127.0.0.1");
    assertStringIncludes(text, "Subject: CN = example.org");
    assertStringIncludes(text, "rsaEncryption");
    const info = certificateInfo(await Deno.readTextFile(certFile));
    assertEquals((info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000, 90);

    const again = await home.run(["server", "example.org", "--out", out]);
    assertEquals(again.code, 1);
    assertStringIncludes(again.err, "add --force");
    ok(await home.run(["server", "example.org", "--out", out, "--force"]));
    assert(certificateInfo(await Deno.readTextFile(certFile)).spkiSha256 !== info.spkiSha256);
  });
});

Deno.test("cert renew keeps the SPKI fingerprint, changes the certificate fingerprint and explains", async () => {
  await withHome(async (home) => {
    const out = home.dir;
    ok(await home.run(["server", "capsule.example", "--out", out, "--days", "5"]));
    const certFile = `${out}/capsule.example.crt`;
    const keyFile = `${out}/capsule.example.key`;
    const before = await opensslFingerprints(certFile, keyFile);
    const keyBefore = await Deno.readTextFile(keyFile);
    const result = ok(await home.run(["renew", certFile, "--key", keyFile, "--days", "400"]));
    const after = await opensslFingerprints(certFile, keyFile);
    assertEquals(after.spki, before.spki);
    assert(after.cert !== before.cert);
    assertEquals(after.spki, after.keySpki);
    assertEquals(await Deno.readTextFile(keyFile), keyBefore);
    assertEquals(printed(result.out, "SPKI SHA-256"), after.spki);
    assertEquals(printed(result.out, "certificate SHA-256"), after.cert);
    assertStringIncludes(result.out, normalizeFingerprint(before.cert).slice(0, 2).toUpperCase());
    for (const client of ["Lagrange", "Amfora", "gmni", "Telescope", "Offpunk", "Bombadillo"]) {
      assertStringIncludes(result.out, client);
    }
    const info = certificateInfo(await Deno.readTextFile(certFile));
    assertEquals(info.altNames, ["capsule.example"]);
    assertEquals((info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000, 400);

    // --out leaves the original alone; a key of another certificate is refused.
    const renewedFile = `${out}/new.crt`;
    ok(await home.run(["renew", certFile, "--key", keyFile, "--out", renewedFile]));
    assertEquals(certificateInfo(await Deno.readTextFile(certFile)).certSha256, after.cert);
    assertEquals(certificateInfo(await Deno.readTextFile(renewedFile)).spkiSha256, after.spki);
    await Deno.writeTextFile(`${out}/other.key`, (await generateCertificate("x")).key);
    const wrongKey = await home.run(["renew", certFile, "--key", `${out}/other.key`]);
    assertEquals(wrongKey.code, 1);
    assertStringIncludes(wrongKey.err, "does not belong");
    assertEquals((await home.run(["renew", certFile])).code, 2);
  });
});

Deno.test("cert hosts trust dials, shows the certificate and pins it; forget removes it", async () => {
  await withHome(async (home) => {
    const bundle = await generateCertificate("localhost", { altNames: ["localhost", "127.0.0.1"] });
    const server = await startTestServer(({ socket }) => {
      socket.end("20 text/gemini\r\n");
    }, { certificates: [bundle], raw: true });
    try {
      const target = `127.0.0.1:${server.port}`;
      const refused = await home.run(["hosts", "trust", target]);
      assertEquals(refused.code, 2);
      assertStringIncludes(refused.err, "add --yes");
      assertStringIncludes(refused.out, "not pinned yet");
      const no = await home.run(["hosts", "trust", target], { terminal: true, stdin: "no\n" });
      assertEquals(no.code, 1);
      assertEquals(await home.knownHosts.list(), []);
      const yes = ok(await home.run(["hosts", "trust", target, "--yes"]));
      assertStringIncludes(yes.out, "CN=localhost");
      assertStringIncludes(yes.out, `Pinned ${target}`);
      const entry = (await home.knownHosts.get("127.0.0.1", server.port))!;
      assertEquals(entry.pin, "spki");
      assertEquals(entry.spkiSha256, bundle.info.spkiSha256);
      assertEquals(entry.certSha256, bundle.info.certSha256);
      assertEquals(entry.notAfter, bundle.info.notAfter.toISOString());
      const again = ok(
        await home.run(["hosts", "trust", target], { terminal: true, stdin: "y\n" }),
      );
      assertStringIncludes(again.out, "the key matches");
      assertEquals(
        (await home.knownHosts.get("127.0.0.1", server.port))!.firstSeen,
        entry.firstSeen,
      );

      const list = ok(await home.run(["hosts"])).out;
      assertMatch(
        list,
        new RegExp(`127\\.0\\.0\\.1:${server.port}\\s+spki\\s+${entry.spkiSha256}`),
      );
      const json = JSON.parse(ok(await home.run(["hosts", "--json"])).out);
      assertEquals(json[0].host, "127.0.0.1");
      assertEquals(json[0].port, server.port);
      assertEquals(json[0].spkiSha256, entry.spkiSha256);

      ok(await home.run(["hosts", "forget", target]));
      assertEquals(await home.knownHosts.list(), []);
      const gone = await home.run(["hosts", "forget", target]);
      assertEquals(gone.code, 1);
      assertStringIncludes(gone.err, "is not known");
    } finally {
      await server.close();
    }
    const closed = await home.run(["hosts", "trust", "127.0.0.1:1", "--yes", "--timeout", "5"]);
    assertEquals(closed.code, 1);
    assertStringIncludes(closed.err, "Cannot connect");
  });
});

Deno.test("cert hosts import reads Lagrange, gmni, Amfora and Telescope stores", async () => {
  await withHome(async (home) => {
    const { info } = await generateCertificate("capsule.example");
    const der = pemToDer(info.pem, "CERTIFICATE")[0];
    const sha512 = createHash("sha512").update(der).digest("hex");
    const colons = (hex: string): string => hex.toUpperCase().match(/../g)!.join(":");
    const spki = info.spkiSha256;
    const until = 1893456000; // 2030-01-01
    const iso = new Date(until * 1000).toISOString();
    const files: Record<string, string> = {
      lagrange: `capsule.example;1965 ${until} ${spki}\nother.example;1966 ${until} ${
        "12".repeat(32)
      }\n`,
      gmni: `capsule.example SHA-512 ${colons(sha512)} ${until}\n` +
        `old.example MD5 AA:BB ${until}\n`,
      amfora: `"capsule/example" = "${spki.toUpperCase()}"\n` +
        `"capsule/example/expiry" = 2030-01-01T00:00:00Z\n` +
        `"other/example:1966" = "${"34".repeat(32).toUpperCase()}"\n` +
        `"other/example/expiry:1966" = 2031-02-03T04:05:06Z\n`,
      telescope: `capsule.example SHA256:${info.certSha256} 1\nother.example:1966 SHA256:${
        "56".repeat(32)
      } 0\n`,
    };
    const expected: Record<string, Record<string, unknown>> = {
      lagrange: { pin: "spki", spkiSha256: spki, certSha256: null, notAfter: iso },
      gmni: { pin: "cert", spkiSha256: null, certSha256: null, certSha512: sha512, notAfter: iso },
      amfora: { pin: "spki", spkiSha256: spki, certSha256: null, notAfter: iso },
      telescope: { pin: "cert", spkiSha256: null, certSha256: info.certSha256, notAfter: null },
    };
    for (const [format, text] of Object.entries(files)) {
      const file = join(home.dir, `${format}.txt`);
      await Deno.writeTextFile(file, text);
      const result = ok(await home.run(["hosts", "import", "--from", format, file]), format);
      const list = JSON.parse(ok(await home.run(["hosts", "--json"])).out);
      const capsule = list.find((e: { host: string }) => e.host === "capsule.example");
      const { firstSeen: _f, lastSeen: _l, ...rest } = capsule;
      assertEquals(rest, { host: "capsule.example", port: 1965, ...expected[format] }, format);
      // The imported pin accepts the real certificate (cert pins are upgraded by the client).
      assert(pinMatches((await home.knownHosts.get("capsule.example", 1965))!, info), format);
      if (format === "gmni") {
        assertStringIncludes(result.out, "Imported 1 pin");
        assertStringIncludes(result.err, 'unknown hash algorithm "MD5"');
      } else {
        assertStringIncludes(result.out, "Imported 2 pins");
        const other = list.find((e: { host: string; port: number }) =>
          e.host === "other.example" && e.port === 1966
        );
        assert(other, format);
        if (format === "amfora") assertEquals(other.notAfter, "2031-02-03T04:05:06.000Z");
      }
      // Re-importing keeps existing pins unless --replace.
      const again = ok(await home.run(["hosts", "import", "--from", format, file]));
      assertStringIncludes(again.out, "kept");
      ok(await home.run(["hosts", "import", "--from", format, file, "--replace"]));
      for (const e of await home.knownHosts.list()) {
        await home.knownHosts.remove(e.host, e.port);
      }
    }
  });
});

Deno.test("a whole-certificate pin imported from Telescope becomes an SPKI pin on the next gemini get", async () => {
  await withHome(async (home) => {
    const bundle = await generateCertificate("localhost", { altNames: ["127.0.0.1"] });
    const server = await startTestServer(({ socket }) => {
      socket.end("20 text/plain\r\nok\n");
    }, { certificates: [bundle] });
    try {
      const file = join(home.dir, "known_hosts.telescope");
      await Deno.writeTextFile(
        file,
        `127.0.0.1:${server.port} SHA256:${bundle.info.certSha256} 1\n`,
      );
      ok(await home.run(["hosts", "import", "--from", "telescope", file]));
      const before = (await home.knownHosts.get("127.0.0.1", server.port))!;
      assertEquals([before.pin, before.spkiSha256], ["cert", ""]);
      const io = memoryIo({ env: { GEMINI_HOME: home.dir } });
      assertEquals(await getMain([`gemini://127.0.0.1:${server.port}/`], io), 0);
      assertEquals(io.stdout.text(), "ok\n");
      const after = (await home.knownHosts.get("127.0.0.1", server.port))!;
      assertEquals([after.pin, after.spkiSha256], ["spki", bundle.info.spkiSha256]);
      assertEquals(after.firstSeen, before.firstSeen);
    } finally {
      await server.close();
    }
  });
});

Deno.test("cert hosts import reports a bad line by file and line and imports nothing", async () => {
  await withHome(async (home) => {
    const file = join(home.dir, "trusted.2.txt");
    await Deno.writeTextFile(file, `a.example;1965 1893456000 ${"ab".repeat(32)}\nbroken line\n`);
    const r = await home.run(["hosts", "import", "--from", "lagrange", file]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.err, `${file}:2:`);
    assertEquals(await home.knownHosts.list(), []);
    assertEquals((await home.run(["hosts", "import", "--from", "chrome", file])).code, 2);
    assertEquals((await home.run(["hosts", "import", file])).code, 2);
  });
});

Deno.test("a truncated known_hosts makes cert hosts fail with file and line, and stays as it was", async () => {
  await withHome(async (home) => {
    const t = "2026-01-01T00:00:00.000Z";
    for (let i = 0; i < 3; i++) {
      await home.knownHosts.put({
        host: `h${i}.example`,
        port: 1965,
        pin: "spki",
        spkiSha256: "ab".repeat(32),
        certSha256: "cd".repeat(32),
        notAfter: t,
        firstSeen: t,
        lastSeen: t,
      });
    }
    const path = home.knownHosts.path;
    const full = await Deno.readTextFile(path);
    const cut = full.slice(0, full.length - 50);
    await Deno.writeTextFile(path, cut);
    for (const args of [["hosts"], ["hosts", "forget", "h0.example"]]) {
      const r = await home.run(args);
      assertEquals(r.code, 1, args.join(" "));
      assertStringIncludes(r.err, `${path}:4:`);
    }
    assertEquals(await Deno.readTextFile(path), cut);
    const line = formatKnownHost({
      host: "h9.example",
      port: 1965,
      pin: "spki",
      spkiSha256: "ab".repeat(32),
      certSha256: "cd".repeat(32),
      firstSeen: t,
      lastSeen: t,
    });
    assert(line.startsWith("h9.example 1965 spki"));
  });
});
