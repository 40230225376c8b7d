/**
 * Generated server certificates name every name and address the server answers on (issue
 * 12, item 8): the host, its aliases, and for localhost the loopback addresses; an older
 * certificate without them is issued again with the same key.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { openssl } from "../_helpers/openssl.ts";
import { whileServing } from "../cli/_serve.ts";
import { main as get } from "../../lib/cli/get.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { hostMatchesCertificate } from "../../lib/client/server_certificate.ts";
import { ensureHostCertificate, serverCertificateNames } from "../../lib/server/certificates.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

Deno.test("serverCertificateNames(): every name served, and the loopback addresses for localhost", () => {
  const table: [string, string[], string[]][] = [
    ["localhost", [], ["localhost", "127.0.0.1", "::1"]],
    ["LocalHost.", [], ["localhost", "127.0.0.1", "::1"]],
    ["example.org", ["www.example.org"], ["example.org", "www.example.org"]],
    ["example.org", ["localhost"], ["example.org", "localhost", "127.0.0.1", "::1"]],
    ["127.0.0.1", ["localhost", "127.0.0.1"], ["127.0.0.1", "localhost", "::1"]],
    ["[::1]", [], ["::1"]],
    ["[0:0:0:0:0:0:0:1]", ["localhost"], ["::1", "localhost", "127.0.0.1"]],
  ];
  for (const [host, aliases, expected] of table) {
    assertEquals(serverCertificateNames(host, aliases), expected, `${host} ${aliases}`);
  }
});

Deno.test("ensureHostCertificate(): localhost gets DNS:localhost, IP 127.0.0.1 and IP ::1 (checked by openssl)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const made = await ensureHostCertificate(dir, "localhost");
    assert(made.created);
    const text = new TextDecoder().decode(
      await openssl(["x509", "-noout", "-ext", "subjectAltName"], made.cert),
    );
    assertStringIncludes(text, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    for (const host of ["localhost", "127.0.0.1", "::1", "[::1]"]) {
      assert(hostMatchesCertificate(host, made.info), host);
    }
    const aliased = await ensureHostCertificate(dir, "example.org", {
      aliases: ["www.example.org", "gemini.example.net"],
    });
    assertEquals(aliased.info.altNames, ["example.org", "www.example.org", "gemini.example.net"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureHostCertificate(): an older certificate without the addresses is issued again with the same key and dates", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = await generateCertificate("localhost", { altNames: ["localhost"], days: 3650 });
    await Deno.writeTextFile(join(dir, "localhost.crt"), old.cert);
    await Deno.writeTextFile(join(dir, "localhost.key"), old.key, { mode: 0o600 });
    const fixed = await ensureHostCertificate(dir, "localhost");
    assertEquals([fixed.created, fixed.addedNames], [false, ["127.0.0.1", "::1"]]);
    assertEquals(fixed.info.spkiSha256, old.info.spkiSha256);
    assertEquals(fixed.info.notBefore.getTime(), old.info.notBefore.getTime());
    assertEquals(fixed.info.notAfter.getTime(), old.info.notAfter.getTime());
    assertEquals(fixed.info.altNames, ["localhost", "127.0.0.1", "::1"]);
    assertEquals(await Deno.readTextFile(join(dir, "localhost.crt")), fixed.cert);
    assertEquals(await Deno.readTextFile(join(dir, "localhost.key")), old.key);
    const again = await ensureHostCertificate(dir, "localhost");
    assertEquals([again.addedNames, again.info.certSha256], [[], fixed.info.certSha256]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gemini serve's generated certificate covers 127.0.0.1: gemini get warns of no name mismatch", async () => {
  const home = await Deno.makeTempDir();
  try {
    // A certificate from before: only DNS:localhost. Serving issues it again, and says so.
    const old = await generateCertificate("localhost", { altNames: ["localhost"], days: 3650 });
    await Deno.mkdir(join(home, "data", "server"), { recursive: true });
    await Deno.writeTextFile(join(home, "data", "server", "localhost.crt"), old.cert);
    await Deno.writeTextFile(join(home, "data", "server", "localhost.key"), old.key);
    const io = memoryIo({ env: { GEMINI_HOME: home } });
    await whileServing(["--listen", "127.0.0.1:0"], io, async (port) => {
      assertStringIncludes(
        io.stderr.text(),
        "added 127.0.0.1, ::1 to the certificate of localhost (same key, same dates)",
      );
      const client = memoryIo({ env: { GEMINI_HOME: home } });
      assertEquals(await get([`gemini://127.0.0.1:${port}/`], client), 0, client.stderr.text());
      assertStringIncludes(client.stdout.text(), "# It works");
      assertEquals(client.stderr.text(), "");
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("ensureHostCertificate(): renews from exactly 30 days before the end, with the same key and names, atomically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const end = new Date("2031-01-31T00:00:00Z");
    const made = await generateCertificate("example.org", {
      altNames: serverCertificateNames("example.org"),
      notBefore: new Date("2030-01-01T00:00:00Z"),
      notAfter: end,
    });
    await Deno.writeTextFile(join(dir, "example.org.crt"), made.cert);
    await Deno.writeTextFile(join(dir, "example.org.key"), made.key);
    const day = 86_400_000;
    const early = await ensureHostCertificate(dir, "example.org", {
      now: new Date(end.getTime() - 30 * day - 1),
    });
    assertEquals([early.renewedFrom, early.info.certSha256], [undefined, made.info.certSha256]);
    const now = new Date(end.getTime() - 30 * day);
    const renewed = await ensureHostCertificate(dir, "example.org", { now });
    assertEquals(renewed.renewedFrom, end);
    assertEquals(renewed.info.spkiSha256, made.info.spkiSha256);
    assertEquals(renewed.info.altNames, made.info.altNames);
    assertEquals(renewed.info.notBefore.getTime(), now.getTime() - 3_600_000);
    assertEquals(renewed.info.notAfter.getTime(), now.getTime() - 3_600_000 + 3650 * day);
    assertEquals(await Deno.readTextFile(join(dir, "example.org.crt")), renewed.cert);
    assertEquals(await Deno.readTextFile(join(dir, "example.org.key")), made.key);
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).length, 2, "no temporary file left");
    const expired = await ensureHostCertificate(dir, "example.org", {
      now: new Date(end.getTime() + 3650 * day),
    });
    assert(expired.renewedFrom !== undefined, "an expired one is renewed too");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
