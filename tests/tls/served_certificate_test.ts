/**
 * The server's own reading of its certificate (lib/tls/served_certificate.ts, no
 * node:crypto) gives the same names, fingerprints and validity as certificateInfo()
 * for every key type and for DNS, IPv4 and IPv6 names, and refuses what is not a certificate.
 */

import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import {
  certificateInfo,
  generateCertificate,
  type GenerateCertificateOptions,
} from "../../lib/tls/certificate.ts";
import { certificateNames } from "../../lib/tls/certificate_names.ts";
import { servedCertificateInfo } from "../../lib/tls/served_certificate.ts";

const CASES = [
  ["localhost", { altNames: ["localhost", "127.0.0.1", "::1"] }],
  ["rsa.example", { keyAlgorithm: "rsa", days: 1 }],
  ["ed.example", { keyAlgorithm: "ed25519", altNames: ["*.ed.example", "fe80::1:2"] }],
  // A date past 2049 is a GeneralizedTime rather than a UTCTime.
  ["far.example", {
    notBefore: new Date("2040-01-01"),
    notAfter: new Date("2060-06-30T12:34:56Z"),
  }],
] satisfies [string, GenerateCertificateOptions][];

for (const [name, options] of CASES) {
  Deno.test(`servedCertificateInfo() reads ${name} as certificateInfo() does`, async () => {
    const { cert } = await generateCertificate(name, options);
    const full = certificateInfo(cert);
    const served = await servedCertificateInfo(cert);
    assertEquals(served, {
      names: certificateNames(full),
      commonName: full.commonName,
      altNames: full.altNames,
      spkiSha256: full.spkiSha256,
      certSha256: full.certSha256,
      notBefore: full.notBefore,
      notAfter: full.notAfter,
    });
  });
}

Deno.test("servedCertificateInfo() refuses text that is not a certificate", async () => {
  await assertRejects(() => servedCertificateInfo("hello"), SyntaxError);
  await assertRejects(
    () => servedCertificateInfo("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    SyntaxError,
  );
});
