/**
 * Certificate generation and inspection, cross-checked against openssl's own reading of the
 * same certificates (openssl is installed by .ci/run).
 */

import { openssl as opensslStdout } from "../_helpers/openssl.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../_helpers/assert.ts";
import {
  certificateInfo,
  generateCertificate,
  isCurrentlyValid,
  renewCertificate,
  sha256Hex,
} from "../../lib/tls/certificate.ts";
import { derToPem, pemToDer } from "../../lib/tls/pem.ts";
import { formatFingerprint, normalizeFingerprint } from "../../lib/tls/fingerprint.ts";
import { matchesServerName } from "../../lib/tls/certificate_names.ts";

async function openssl(args: string[], input: string): Promise<string> {
  return new TextDecoder().decode(await opensslStdout(args, input));
}

for (const keyAlgorithm of ["ec", "rsa", "ed25519"] as const) {
  Deno.test(`generateCertificate(${keyAlgorithm}) agrees with openssl on fingerprints, names and dates`, async () => {
    const notBefore = new Date("2026-01-01T00:00:00Z");
    const bundle = await generateCertificate("capsule.example", {
      keyAlgorithm,
      altNames: ["capsule.example", "*.capsule.example", "127.0.0.1", "::1"],
      notBefore,
      days: 30,
    });
    const { info } = bundle;
    assertEquals(info.keyType, keyAlgorithm);
    assertEquals(info.commonName, "capsule.example");
    assert(info.selfSigned);
    assertEquals(info.notBefore.toISOString(), notBefore.toISOString());
    assertEquals(info.notAfter.getTime() - notBefore.getTime(), 30 * 86_400_000);
    assertEquals(
      info.altNames.sort(),
      ["*.capsule.example", "127.0.0.1", "::1", "capsule.example"].sort(),
    );

    const certFp = await openssl(["x509", "-noout", "-fingerprint", "-sha256"], bundle.cert);
    assertEquals(normalizeFingerprint(certFp.split("=")[1].trim()), info.certSha256);
    const spkiDer = await new Deno.Command("sh", {
      args: [
        "-c",
        "openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r",
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const w = spkiDer.stdin.getWriter();
    await w.write(new TextEncoder().encode(bundle.cert));
    await w.close();
    const spkiOut = new TextDecoder().decode((await spkiDer.output()).stdout);
    assertEquals(spkiOut.split(" ")[0], info.spkiSha256);

    const text = await openssl(["x509", "-noout", "-text"], bundle.cert);
    assertMatch(text, /DNS:capsule\.example/);
    assertMatch(text, /IP Address:127\.0\.0\.1/);
    assertMatch(text, /IP Address:0:0:0:0:0:0:0:1|IP Address:::1/);
    // The key types the issue names: ECDSA P-256, RSA-2048, Ed25519.
    const keyText = {
      ec: /Public-Key: \(256 bit\)[\s\S]*(prime256v1|P-256)/,
      rsa: /Public-Key: \(2048 bit\)/,
      ed25519: /Public Key Algorithm: ED25519/,
    }[keyAlgorithm];
    assertMatch(text, keyText);
    // The key in PKCS#8 form matches the certificate.
    const keyPub = await openssl(["pkey", "-pubout"], bundle.key);
    const certPub = await openssl(["x509", "-noout", "-pubkey"], bundle.cert);
    assertEquals(keyPub, certPub);
  });
}

Deno.test("renewCertificate() keeps the key (same SPKI fingerprint) and changes the certificate", async () => {
  const old = await generateCertificate("example.org", { altNames: ["example.org"], days: 1 });
  const renewed = await renewCertificate(old.cert, old.key, { days: 90 });
  assertEquals(renewed.info.spkiSha256, old.info.spkiSha256);
  assert(renewed.info.certSha256 !== old.info.certSha256);
  assertEquals(renewed.info.altNames, ["example.org"]);
  assert(renewed.info.notAfter.getTime() > old.info.notAfter.getTime());
  const other = await generateCertificate("other.example");
  await assertRejects(() => renewCertificate(old.cert, other.key), TypeError);
  await assertRejects(() => renewCertificate(old.cert, "not a key"), SyntaxError);
});

Deno.test("certificateInfo() reads PEM and DER alike, and rejects garbage with a clear error", async () => {
  const bundle = await generateCertificate("der.example");
  const [der] = pemToDer(bundle.cert, "CERTIFICATE");
  assertEquals(certificateInfo(der).certSha256, bundle.info.certSha256);
  assertEquals(sha256Hex(der), bundle.info.certSha256);
  assertEquals(derToPem(der, "CERTIFICATE").trim(), bundle.cert.trim());
  assertThrows(() =>
    certificateInfo("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
  );
  assertThrows(() => certificateInfo(new Uint8Array([1, 2, 3])));
});

Deno.test("fingerprints format with colons and normalize from any common spelling", () => {
  const hex = sha256Hex("x");
  const colon = formatFingerprint(hex);
  assertEquals(colon.split(":").length, 32);
  assertEquals(colon, colon.toUpperCase());
  assertEquals(normalizeFingerprint(colon), hex);
  assertEquals(normalizeFingerprint(`SHA256:${hex.toUpperCase()}`), hex);
  assertEquals(formatFingerprint(hex, "plain"), hex);
});

Deno.test("isCurrentlyValid() honours both ends of the validity period", async () => {
  const expired = await generateCertificate("old.example", {
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2020-02-01T00:00:00Z"),
  });
  assert(!isCurrentlyValid(expired.info));
  assert(isCurrentlyValid(expired.info, new Date("2020-01-15T00:00:00Z")));
  const future = await generateCertificate("new.example", {
    notBefore: new Date(Date.now() + 86_400_000),
  });
  assert(!isCurrentlyValid(future.info));
});

Deno.test("matchesServerName() matches exact names and one-label wildcards", () => {
  assert(matchesServerName("Example.org", "example.ORG"));
  assert(matchesServerName("*.example.org", "www.example.org"));
  assert(!matchesServerName("*.example.org", "example.org"));
  assert(!matchesServerName("*.example.org", "a.b.example.org"));
  assert(!matchesServerName("example.org", "www.example.org"));
});
