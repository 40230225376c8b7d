/**
 * Fingerprint spellings, without `node:crypto` (certificate.ts re-exports them), so that
 * code that only compares or prints fingerprints loads no Node module. Not part of the `./tls` entry point.
 *
 * @module
 */

/**
 * Formats a hex fingerprint for people: upper-case byte pairs joined by colons
 * (`AB:CD:...`), or with `style: "plain"` lower-case without separators.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatFingerprint } from "./fingerprint.ts";
 * assert.equal(formatFingerprint("abcd"), "AB:CD");
 * ```
 */
export function formatFingerprint(hex: string, style: "colon" | "plain" = "colon"): string {
  const clean = normalizeFingerprint(hex);
  return style === "plain" ? clean : (clean.toUpperCase().match(/../g) ?? []).join(":");
}

/**
 * Reduces any common fingerprint spelling to lower-case hex: strips a `SHA256:` or
 * `sha256/` prefix, colons and spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { normalizeFingerprint } from "./fingerprint.ts";
 * assert.equal(normalizeFingerprint("SHA256:AB:CD"), "abcd");
 * ```
 */
export function normalizeFingerprint(text: string): string {
  return text.trim().replace(/^sha-?256[:/]/i, "").replace(/[:\s]/g, "").toLowerCase();
}
