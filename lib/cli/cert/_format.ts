/**
 * How `gemini cert` prints: fingerprints, days, tables and certificate details. Text that
 * comes from a certificate (names, issuer) may come from any server, so it is printed
 * without control characters. Internal to `lib/cli/cert/`.
 *
 * @module
 */

import { stripControls } from "../../gemtext/controls.ts";
import { type CertificateInfo } from "../../tls/certificate.ts";
import { formatFingerprint } from "../../tls/fingerprint.ts";

/** People's names of the key algorithms. */
export const KEY_NAMES: Record<string, string> = {
  ec: "ECDSA P-256",
  rsa: "RSA",
  ed25519: "Ed25519",
};

/** A fingerprint as colon-separated hex, `-` when there is none. */
export function fp(hex: string): string {
  return hex ? formatFingerprint(hex) : "-";
}

/** The day of a date (`2026-01-31`), `-` when there is none. */
export function day(date: Date | string | undefined): string {
  if (date === undefined) return "-";
  return (typeof date === "string" ? date : date.toISOString()).slice(0, 10);
}

/** Rows as a table: columns padded to their widest cell, two spaces apart. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")
      .trimEnd() + "\n"
  ).join("");
}

/** The two fingerprint lines of a certificate (SPKI and whole certificate). */
export function fingerprintLines(info: CertificateInfo, indent = "  "): string {
  return `${indent}SPKI SHA-256:        ${fp(info.spkiSha256)}\n` +
    `${indent}certificate SHA-256: ${fp(info.certSha256)}\n`;
}

/**
 * The details of a certificate, one per line: subject, issuer, names, key, validity and
 * fingerprints. Control characters in the names are shown as U+FFFD.
 */
export function describeCertificate(info: CertificateInfo): string {
  const names = info.altNames.length ? info.altNames.join(", ") : "(none)";
  return `  subject:             ${stripControls(info.subject)}\n` +
    `  issuer:              ${info.selfSigned ? "self-signed" : stripControls(info.issuer)}\n` +
    `  alternative names:   ${stripControls(names)}\n` +
    `  key:                 ${KEY_NAMES[info.keyType] ?? info.keyType}\n` +
    `  valid:               ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}\n` +
    fingerprintLines(info);
}
