/**
 * The names a certificate is for, and how a name matches one of them: the one rule that
 * the server (which certificate answers an SNI name, what it says it serves) and the client
 * (whether the certificate names the host it dialled) share. Pure: no `node:crypto`.
 *
 * @module
 */

/**
 * The names a certificate is for: its subject's common name, then its subjectAltName DNS
 * names and IP addresses, trimmed, without empty ones or repeats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { certificateNames } from "./certificate_names.ts";
 * assert.deepEqual(
 *   certificateNames({ commonName: "a.example", altNames: ["a.example", " 192.0.2.1 ", ""] }),
 *   ["a.example", "192.0.2.1"],
 * );
 * assert.deepEqual(certificateNames({ altNames: [] }), []);
 * ```
 */
export function certificateNames(
  info: { commonName?: string; altNames: readonly string[] },
): string[] {
  const names = [info.commonName ?? "", ...info.altNames].map((n) => n.trim());
  return [...new Set(names.filter((n) => n !== ""))];
}

/**
 * Whether SNI `name` matches a certificate name (`*.example.org` matches one label), case
 * aside.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchesServerName } from "./certificate_names.ts";
 * assert.ok(matchesServerName("*.example.org", "Gemini.example.org"));
 * assert.ok(!matchesServerName("*.example.org", "a.b.example.org"));
 * assert.ok(!matchesServerName("example.org", "gemini.example.org"));
 * ```
 */
export function matchesServerName(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p === n) return true;
  if (p.startsWith("*.")) {
    const dot = n.indexOf(".");
    return dot > 0 && n.slice(dot + 1) === p.slice(2);
  }
  return false;
}
