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

Deno.test("servedCertificateInfo() writes an IPv4-mapped IPv6 name as certificateInfo() does", async () => {
  // Made by `openssl req -x509 ... -addext "subjectAltName=IP:::ffff:1.2.3.4,IP:2001:db8::1"`:
  // 16 bytes in the certificate (the toolkit's generator writes such a name as 4).
  const pem = `-----BEGIN CERTIFICATE-----
MIIBnTCCAUSgAwIBAgIUOYPAaqvIcPaNy86VFo3Xtj3RyWEwCgYIKoZIzj0EAwIw
DDEKMAgGA1UEAwwBbTAeFw0yNjEyMDIwNjA2NDhaFw0yNjEyMDUwNjA2NDhaMAwx
CjAIBgNVBAMMAW0wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT8/jFdgw/LmNJ8
qsMsG/2lg7TusgGcs0zJRh6uiZ7+LLy97qW6BaG+R0el1g6m3p2t4FF2wq7QgHtK
SJGMTFuao4GDMIGAMB0GA1UdDgQWBBQy78WSoiFWRYPwS6VmyLngNnY9VDAfBgNV
HSMEGDAWgBQy78WSoiFWRYPwS6VmyLngNnY9VDAPBgNVHRMBAf8EBTADAQH/MC0G
A1UdEQQmMCSHEAAAAAAAAAAAAAD//wECAwSHECABDbgAAAAAAAAAAAAAAAEwCgYI
KoZIzj0EAwIDRwAwRAIgVG7J9j9DXDPjBFVikLAob8U7RMHZzOx/BM4QdR3cUnIC
IGFji9QMIQuEi1T+QNGe4b0qQXuUlar8uJ9o0NUrkE8r
-----END CERTIFICATE-----`;
  const served = await servedCertificateInfo(pem);
  assertEquals(served.altNames, certificateInfo(pem).altNames);
  assertEquals(served.altNames, ["::ffff:1.2.3.4", "2001:db8::1"]);
});
