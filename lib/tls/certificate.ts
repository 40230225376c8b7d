/**
 * X.509 certificates for Gemini: generate self-signed certificates (ECDSA P-256 by default,
 * RSA-2048 or Ed25519 on request), renew one with the same key, read PEM or DER, and compute
 * the SHA-256 fingerprints of the SubjectPublicKeyInfo (what trust-on-first-use pins) and of
 * the whole certificate.
 *
 * @module
 */

import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { isIpLiteral } from "../protocol/url.ts";
import { derToPem } from "./pem.ts";

/** Key types for generated certificates. */
export type KeyAlgorithm = "ec" | "rsa" | "ed25519";

/** What the toolkit needs to know about a certificate. */
export interface CertificateInfo {
  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo: stays the same across renewals. */
  spkiSha256: string;
  /** Lower-case hex SHA-256 of the whole DER certificate. */
  certSha256: string;
  /** The subject as `CN=name` (several attributes joined with ", "). */
  subject: string;
  /** The subject's common name, if any. */
  commonName?: string;
  /** The issuer, in the same form as the subject. */
  issuer: string;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** Serial number in upper-case hex. */
  serialNumber: string;
  /** DNS names and IP addresses from the subjectAltName extension. */
  altNames: string[];
  /** `ec`, `rsa`, `ed25519` or another key type name. */
  keyType: string;
  /** Whether the certificate is issued by its own subject. */
  selfSigned: boolean;
  /** The certificate in PEM form. */
  pem: string;
}

/** Options for {@linkcode generateCertificate}. */
export interface GenerateCertificateOptions {
  /** DNS names and IP addresses for the subjectAltName extension. Default none. */
  altNames?: string[];
  /** Key type. Default `ec` (ECDSA P-256). */
  keyAlgorithm?: KeyAlgorithm;
  /** Validity in days from `notBefore`. Default 365. Ignored when `notAfter` is given. */
  days?: number;
  /** Start of validity. Default one hour ago (tolerates clock skew). */
  notBefore?: Date;
  /** End of validity. Default `notBefore` + `days`. */
  notAfter?: Date;
}

/** A certificate and its private key, both PEM, and the certificate's details. */
export interface CertificateBundle {
  /** The certificate, PEM. */
  cert: string;
  /** The private key, PKCS#8 PEM, unencrypted. */
  key: string;
  /** Parsed details of `cert`. */
  info: CertificateInfo;
}

const DAY_MS = 86_400_000;

/**
 * Lower-case hex SHA-256 of `data`.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./certificate.ts";
 * import assert from "node:assert/strict";
 * assert.ok(sha256Hex(new Uint8Array()).startsWith("e3b0c442"));
 * ```
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function formatName(name: string): string {
  return name.split("\n").filter(Boolean).join(", ");
}

function commonNameOf(name: string): string | undefined {
  for (const part of name.split("\n")) {
    if (part.startsWith("CN=")) return part.slice(3);
  }
  return undefined;
}

function altNamesOf(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(/,\s*/).flatMap((entry) => {
    const m = /^(DNS|IP Address):(.*)$/.exec(entry.trim());
    return m ? [m[2]] : [];
  });
}

/**
 * Parses a certificate (PEM text or DER bytes) and computes its fingerprints. Throws a
 * `SyntaxError` when the input is not a certificate.
 *
 * @example
 * ```ts
 * import { certificateInfo, generateCertificate } from "./certificate.ts";
 * import assert from "node:assert/strict";
 * const { cert } = await generateCertificate("localhost");
 * const info = certificateInfo(cert);
 * assert.equal(info.commonName, "localhost");
 * assert.equal(info.spkiSha256.length, 64);
 * ```
 */
export function certificateInfo(certificate: string | Uint8Array): CertificateInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificate);
  } catch (error) {
    throw new SyntaxError("Cannot parse the certificate: not a PEM or DER X.509 certificate", {
      cause: error,
    });
  }
  const der = new Uint8Array(x509.raw);
  const spki = new Uint8Array(x509.publicKey.export({ type: "spki", format: "der" }));
  return {
    spkiSha256: sha256Hex(spki),
    certSha256: sha256Hex(der),
    subject: formatName(x509.subject),
    commonName: commonNameOf(x509.subject),
    issuer: formatName(x509.issuer),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    serialNumber: x509.serialNumber.toUpperCase(),
    altNames: altNamesOf(x509.subjectAltName),
    keyType: x509.publicKey.asymmetricKeyType ?? "unknown",
    selfSigned: x509.subject === x509.issuer,
    pem: derToPem(der, "CERTIFICATE"),
  };
}

/**
 * Whether `date` (default now) lies inside the certificate's validity period.
 *
 * @example
 * ```ts
 * import { certificateInfo, generateCertificate, isCurrentlyValid } from "./certificate.ts";
 * import assert from "node:assert/strict";
 * const { info } = await generateCertificate("localhost");
 * assert.ok(isCurrentlyValid(info));
 * ```
 */
export function isCurrentlyValid(
  info: Pick<CertificateInfo, "notBefore" | "notAfter">,
  date = new Date(),
): boolean {
  return date >= info.notBefore && date <= info.notAfter;
}

type WebKeyAlgorithm = EcKeyGenParams | RsaHashedKeyGenParams | Algorithm;

function webAlgorithm(kind: KeyAlgorithm): WebKeyAlgorithm & { hash?: string } {
  switch (kind) {
    case "ec":
      return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as EcKeyGenParams & {
        hash: string;
      };
    case "rsa":
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      };
    case "ed25519":
      return { name: "Ed25519" };
  }
}

// @peculiar/x509 and its polyfill are loaded only when a certificate is made, so that
// commands which never generate one (most runs of `gemini get`) do not pay for them.
// deno-lint-ignore no-explicit-any
let x509Module: Promise<any> | undefined;
// deno-lint-ignore no-explicit-any
function loadX509(): Promise<any> {
  x509Module ??= (async () => {
    await import("reflect-metadata");
    const x509 = await import("@peculiar/x509");
    x509.cryptoProvider.set(crypto);
    return x509;
  })();
  return x509Module;
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  if (bytes[0] === 0) bytes[0] = 1;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function escapeDnValue(value: string): string {
  return value.replace(/([,+"\\<>;=#])/g, "\\$1");
}

async function createCertificate(
  commonName: string,
  keys: CryptoKeyPair,
  algorithm: WebKeyAlgorithm,
  options: GenerateCertificateOptions,
): Promise<string> {
  const x509 = await loadX509();
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = options.notAfter ??
    new Date(notBefore.getTime() + (options.days ?? 365) * DAY_MS);
  if (!(notAfter > notBefore)) {
    throw new RangeError("The certificate's end of validity must be after its start");
  }
  const extensions = [];
  const altNames = options.altNames ?? [];
  if (altNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        altNames.map((name) => ({
          type: isIpLiteral(name.replace(/^\[|\]$/g, "")) ? "ip" : "dns",
          value: name.replace(/^\[|\]$/g, ""),
        })),
      ),
    );
  }
  extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${escapeDnValue(commonName)}`,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions,
  });
  return cert.toString("pem") + "\n";
}

/**
 * Generates a self-signed certificate for `commonName` with a new key.
 *
 * @example
 * ```ts
 * import { generateCertificate } from "./certificate.ts";
 * import assert from "node:assert/strict";
 * const { cert, key, info } = await generateCertificate("example.org", {
 *   altNames: ["example.org", "127.0.0.1"],
 * });
 * assert.ok(cert.includes("BEGIN CERTIFICATE"));
 * assert.ok(key.includes("BEGIN PRIVATE KEY"));
 * assert.ok(info.altNames.includes("example.org"));
 * ```
 */
export async function generateCertificate(
  commonName: string,
  options: GenerateCertificateOptions = {},
): Promise<CertificateBundle> {
  const algorithm = webAlgorithm(options.keyAlgorithm ?? "ec");
  const keys = await crypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const cert = await createCertificate(commonName, keys, algorithm, options);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { cert, key: derToPem(pkcs8, "PRIVATE KEY"), info: certificateInfo(cert) };
}

/** Options for {@linkcode renewCertificate}. */
export interface RenewCertificateOptions extends GenerateCertificateOptions {
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
}

function algorithmOfKey(keyType: string | undefined, curve?: string): WebKeyAlgorithm {
  if (keyType === "ec" && (curve === "prime256v1" || curve === "P-256")) return webAlgorithm("ec");
  if (keyType === "rsa") return webAlgorithm("rsa");
  if (keyType === "ed25519") return webAlgorithm("ed25519");
  throw new TypeError(`Unsupported key type ${keyType}${curve ? ` (${curve})` : ""}`);
}

/**
 * Issues a new certificate with the SAME key as an existing one (PEM certificate and
 * private key), keeping its subject and alternative names unless overridden. The SPKI
 * fingerprint stays the same, the certificate fingerprint changes.
 *
 * @example
 * ```ts
 * import { generateCertificate, renewCertificate } from "./certificate.ts";
 * import assert from "node:assert/strict";
 * const old = await generateCertificate("example.org", { days: 1 });
 * const renewed = await renewCertificate(old.cert, old.key, { days: 30 });
 * assert.equal(renewed.info.spkiSha256, old.info.spkiSha256);
 * ```
 */
export async function renewCertificate(
  cert: string,
  key: string,
  options: RenewCertificateOptions = {},
): Promise<CertificateBundle> {
  const info = certificateInfo(cert);
  let privateKey;
  try {
    privateKey = createPrivateKey({ key, passphrase: options.passphrase });
  } catch (error) {
    throw new SyntaxError("Cannot read the private key (wrong passphrase or not a key)", {
      cause: error,
    });
  }
  const publicKey = createPublicKey(privateKey);
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  if (sha256Hex(spki) !== info.spkiSha256) {
    throw new TypeError("The private key does not belong to the certificate");
  }
  const algorithm = algorithmOfKey(
    privateKey.asymmetricKeyType,
    privateKey.asymmetricKeyDetails?.namedCurve,
  );
  const pkcs8 = new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" }));
  const keys: CryptoKeyPair = {
    privateKey: await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, true, ["sign"]),
    publicKey: await crypto.subtle.importKey("spki", spki, algorithm, true, ["verify"]),
  };
  const pem = await createCertificate(info.commonName ?? "", keys, algorithm, {
    altNames: info.altNames,
    ...options,
  });
  return { cert: pem, key: derToPem(pkcs8, "PRIVATE KEY"), info: certificateInfo(pem) };
}
