/**
 * `gemini cert` for identities, run in-process as a user runs it (arguments, environment,
 * stdin), with openssl as the independent judge of what it writes and a node:tls server as
 * the judge of the identities it makes.
 */

import { openssl } from "../../_helpers/openssl.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../_helpers/assert.ts";
import { startTestServer } from "../../_helpers/tls_server.ts";
import { main as getMain } from "../../../lib/cli/get.ts";
import { memoryIo } from "../../../lib/cli/io.ts";
import { decryptKey } from "../../../lib/client/identities.ts";
import { certificateInfo, generateCertificate } from "../../../lib/tls/certificate.ts";
import { dial } from "../../../lib/tls/dial.ts";
import { ok, opensslFingerprints, printed, type RunResult, withHome } from "./_home.ts";

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

Deno.test("cert passphrase prompts: Backspace edits, Ctrl-C interrupts, Ctrl-D is no answer", async () => {
  await withHome(async (home) => {
    ok(await home.run(["new", "a"]));
    // Raw mode delivers keys as bytes: DEL deletes, CR is Enter.
    ok(await home.run(["encrypt", "a"], { terminal: true, stdin: "pwx\x7f\rpw\r" }));
    const decrypted = await home.run(["decrypt", "a"], {
      terminal: true,
      stdin: "p\x03pw\r",
    });
    assertEquals(decrypted.code, 1);
    assertEquals(decrypted.err, 'Passphrase for "a": \ngemini cert: Interrupted\n');
    assertEquals((await home.identities.get("a"))!.encrypted, true);
    const none = await home.run(["decrypt", "a"], { terminal: true, stdin: "\x04" });
    assertEquals(none.code, 2);
    assertStringIncludes(none.err, "gemini cert: no passphrase given");
    ok(await home.run(["decrypt", "a"], { terminal: true, stdin: "pw\r" }));
    assertEquals((await home.identities.get("a"))!.encrypted, false);
  });
});
