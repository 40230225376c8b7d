/**
 * The words of `gemini browse` about certificates: what changed when a pinned certificate
 * changes, and what is wrong with an expired or not yet valid one, shown above the prompt that
 * asks and on the page of a refused change. Pure.
 *
 * @module
 */

import { describeInvalidCertificate } from "../../client/server_certificate.ts";
import type { CertificateChange, InvalidCertificate } from "../../client/types.ts";
import { formatFingerprint } from "../../tls/fingerprint.ts";

/** The day of a date (`2026-01-31`), `unknown` when there is none. */
function dateOf(d: Date | string | undefined): string {
  if (d === undefined) return "unknown";
  const date = typeof d === "string" ? new Date(d) : d;
  return Number.isNaN(date.getTime()) ? String(d) : date.toISOString().slice(0, 10);
}

/**
 * A SHA-256 fingerprint as colon-separated hex in groups of eight bytes with a space between
 * groups, so that it wraps between groups on a narrow screen.
 *
 * @example
 * ```ts
 * import { groupedFingerprint } from "./certificate_details.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   groupedFingerprint("ab".repeat(16)),
 *   "AB:AB:AB:AB:AB:AB:AB:AB AB:AB:AB:AB:AB:AB:AB:AB",
 * );
 * ```
 */
export function groupedFingerprint(hex: string): string {
  if (!hex) return "unknown";
  const pairs = formatFingerprint(hex).split(":");
  const groups: string[] = [];
  for (let i = 0; i < pairs.length; i += 8) groups.push(pairs.slice(i, i + 8).join(":"));
  return groups.join(" ");
}

/**
 * The lines that describe a certificate change (shown above its prompt and on the page of a
 * refused change): each fingerprint under its own label, on a line of its own.
 */
export function certificateChangeDetails(change: CertificateChange): string[] {
  const p = change.pinned;
  const n = change.presented;
  const target = change.port === 1965 ? change.host : `${change.host}:${change.port}`;
  const byKey = p.pin === "spki" || !p.certSha256;
  const what = byKey ? "key" : "certificate";
  return [
    `The certificate of ${target} has CHANGED since you trusted it. The owner may have ` +
    "renewed it, or someone may be intercepting the connection.",
    `Trusted ${what}, SHA-256 (first seen ${dateOf(p.firstSeen)}, last seen ` +
    `${dateOf(p.lastSeen)}, expires ${dateOf(p.notAfter)}):`,
    `  ${groupedFingerprint(byKey ? p.spkiSha256 : p.certSha256)}`,
    `New ${what}, SHA-256 (valid ${dateOf(n.notBefore)} to ${dateOf(n.notAfter)}, subject ` +
    `${n.subject}):`,
    `  ${groupedFingerprint(byKey ? n.spkiSha256 : n.certSha256)}`,
  ];
}

/** The lines that describe an expired or not yet valid certificate (shown above the prompt). */
export function invalidCertificateDetails(invalid: InvalidCertificate): string[] {
  return [
    `${describeInvalidCertificate(invalid)}.`,
    `Subject ${invalid.presented.subject}, key SHA-256:`,
    `  ${groupedFingerprint(invalid.presented.spkiSha256)}`,
    invalid.reason === "expired"
      ? "The server's operator should renew it. Going on is safe only if you expected this."
      : "Check this computer's clock; if it is right, the server's operator made a mistake.",
  ];
}
