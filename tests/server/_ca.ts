/**
 * Test CA: a self-signed CA certificate and leaf certificates it issues (ECDSA P-256), made
 * with @peculiar/x509 so tests need no openssl.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { type CertificateBundle, certificateInfo } from "../../lib/tls/certificate.ts";
import { derToPem } from "../../lib/tls/pem.ts";

x509.cryptoProvider.set(crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** A CA that can issue certificates. */
export interface TestCa {
  /** The CA certificate, PEM. */
  cert: string;
  /** Issues a leaf certificate for `commonName`. */
  issue(
    commonName: string,
    options?: { notBefore?: Date; notAfter?: Date },
  ): Promise<CertificateBundle>;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  return derToPem(
    new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
    "PRIVATE KEY",
  );
}

/** Makes a new CA named `name`. */
export async function makeCa(name = "Test CA"): Promise<TestCa> {
  const caKeys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  let serial = 1;
  return {
    cert: caCert.toString("pem") + "\n",
    async issue(commonName, options = {}): Promise<CertificateBundle> {
      const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (++serial).toString(16).padStart(2, "0"),
        subject: `CN=${commonName}`,
        issuer: caCert.subject,
        notBefore: options.notBefore ?? new Date(Date.now() - 3_600_000),
        notAfter: options.notAfter ?? new Date(Date.now() + 86_400_000),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
      });
      const pem = cert.toString("pem") + "\n";
      return { cert: pem, key: await keyPem(keys), info: certificateInfo(pem) };
    },
  };
}
