/**
 * `gemini cert server` and `renew`, run in-process as a user runs it, with openssl as the
 * independent judge of what they write.
 */

import { openssl } from "../../_helpers/openssl.ts";
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { certificateInfo, generateCertificate } from "../../../lib/tls/certificate.ts";
import { normalizeFingerprint } from "../../../lib/tls/fingerprint.ts";
import { ok, opensslFingerprints, printed, withHome } from "./_home.ts";

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
