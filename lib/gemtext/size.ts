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

/**
 * Parses a size: a number of bytes or a number with a unit (`B`, `K`/`KB`/`KiB`, `M`,
 * `G`, `T`; all binary), as the server's, the client's and `get`'s options read them.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseSize } from "./size.ts";
 * assert.equal(parseSize("10 MiB"), 10485760);
 * assert.equal(parseSize(512), 512);
 * assert.equal(parseSize("2k"), 2048);
 * ```
 */
export function parseSize(value: string | number): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new RangeError(`Size ${value} is not a whole number of bytes`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) throw new SyntaxError(`Size ${JSON.stringify(value)} is not a number with a unit`);
  const power = ["", "k", "m", "g", "t"].indexOf(m[2].toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
