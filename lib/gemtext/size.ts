/**
 * Byte counts for people (directory listings, download progress). Pure.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Formats a byte count for people: whole bytes below 1 KiB, else one decimal in the largest
 * binary unit that keeps the number below 1024 (up to TiB): `512 B`, `1.5 KiB`, `10.0 MiB`.
 *
 * @example
 * ```ts
 * import { formatSize } from "./size.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatSize(1023), "1023 B");
 * assert.equal(formatSize(1536), "1.5 KiB");
 * assert.equal(formatSize(10 * 1024 ** 2), "10.0 MiB");
 * ```
 *
 * @param bytes A count of bytes (a whole number, 0 or more).
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
