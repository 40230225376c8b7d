/**
 * IP addresses as text: recognising IPv4 and IPv6 literals, and writing an address from its
 * bytes (IPv6 in the RFC 5952 form). Pure; shared by the PROXY protocol reader, the
 * certificate reader and the configuration checks.
 *
 * @module
 */

/** Dotted-quad IPv4 address, each part 0-255 without leading zeros. */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 &&
    parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** Textual IPv6 address (RFC 4291 section 2.2, with an optional trailing IPv4 part). */
export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let groups = 8;
  let body = text;
  const lastColon = body.lastIndexOf(":");
  if (lastColon >= 0 && body.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(body.slice(lastColon + 1))) return false;
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const hexGroup = /^[0-9a-fA-F]{1,4}$/;
  const count = (half: string): number | undefined => {
    if (half === "") return 0;
    const parts = half.split(":");
    return parts.every((p) => hexGroup.test(p)) ? parts.length : undefined;
  };
  if (halves.length === 1) return count(halves[0]) === groups;
  const a = count(halves[0]);
  const b = count(halves[1]);
  if (a === undefined || b === undefined) return false;
  groups -= 1; // "::" stands for at least one group
  return a + b <= groups;
}

/**
 * An address from its 4 (IPv4, dotted quad) or 16 bytes (IPv6, RFC 5952: lower case, the
 * longest run of two or more zero groups as `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIpBytes } from "./ip.ts";
 * assert.equal(formatIpBytes(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * const v6 = new Uint8Array(16);
 * v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = 0xb8, v6[15] = 1;
 * assert.equal(formatIpBytes(v6), "2001:db8::1");
 * ```
 */
export function formatIpBytes(bytes: Uint8Array): string {
  return bytes.length === 4 ? Array.from(bytes).join(".") : formatIPv6(bytes);
}

/** Formats 16 bytes as an IPv6 address in the RFC 5952 canonical form. */
function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // IPv4-mapped addresses read best as dotted quads.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(":");
  return text.slice(0, bestStart).join(":") + "::" + text.slice(bestStart + bestLength).join(":");
}
