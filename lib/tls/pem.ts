/**
 * PEM text and DER bytes: the one conversion both ways, without `node:crypto` (so that the
 * server's small certificate reader in served_certificate.ts can use it too).
 *
 * @module
 */

/**
 * Converts DER bytes to PEM with the given label.
 *
 * @example
 * ```ts
 * import { derToPem } from "./pem.ts";
 * import assert from "node:assert/strict";
 * assert.ok(derToPem(new Uint8Array([1, 2]), "CERTIFICATE").startsWith("-----BEGIN CERTIFICATE-----"));
 * ```
 */
export function derToPem(der: Uint8Array, label: string): string {
  let base64 = "";
  const chunk = 0x8000;
  for (let i = 0; i < der.length; i += chunk) {
    base64 += String.fromCharCode(...der.subarray(i, i + chunk));
  }
  const lines = btoa(base64).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Extracts the DER bytes of every PEM block with `label` (e.g. `CERTIFICATE`) in `pem`.
 *
 * @example
 * ```ts
 * import { derToPem, pemToDer } from "./pem.ts";
 * import assert from "node:assert/strict";
 * const [der] = pemToDer(derToPem(new Uint8Array([1, 2, 3]), "X"), "X");
 * assert.equal(der.length, 3);
 * ```
 */
export function pemToDer(pem: string, label: string): Uint8Array<ArrayBuffer>[] {
  const blocks: Uint8Array<ArrayBuffer>[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
  for (const match of pem.matchAll(re)) {
    const binary = atob(match[1].replace(/\s+/g, ""));
    blocks.push(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  }
  return blocks;
}
