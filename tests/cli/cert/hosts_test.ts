/**
 * `gemini cert hosts`, run in-process as a user runs it: pinning a real TLS server on
 * 127.0.0.1 after showing its certificate, forgetting, and importing other clients' stores.
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../_helpers/assert.ts";
import { startTestServer } from "../../_helpers/tls_server.ts";
import { main as getMain } from "../../../lib/cli/get.ts";
import { memoryIo } from "../../../lib/cli/io.ts";
import { formatKnownHost, pinMatches } from "../../../lib/client/known_hosts.ts";
import { generateCertificate } from "../../../lib/tls/certificate.ts";
import { pemToDer } from "../../../lib/tls/pem.ts";
import { ok, withHome } from "./_home.ts";

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

Deno.test("cert hosts trust shows a server's certificate names without control characters", async () => {
  await withHome(async (home) => {
    // A server may put anything in its certificate: here an OSC that sets the window title
    // and a CSI that clears the screen.
    const bundle = await generateCertificate("evil\x1b]0;pwned\x07.example", {
      altNames: ["a\x1b[2J.example", "127.0.0.1"],
    });
    const server = await startTestServer(({ socket }) => {
      socket.end("20 text/gemini\r\n");
    }, { certificates: [bundle], raw: true });
    try {
      const shown = ok(await home.run(["hosts", "trust", `127.0.0.1:${server.port}`, "--yes"]));
      // deno-lint-ignore no-control-regex
      assertEquals(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(shown.out), false, shown.out);
      assertStringIncludes(shown.out, "subject:             CN=evil\uFFFD]0;pwned\uFFFD.example");
      assertStringIncludes(shown.out, "issuer:              self-signed");
      assertStringIncludes(shown.out, "alternative names:   a\uFFFD[2J.example, 127.0.0.1");
    } finally {
      await server.close();
    }
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
