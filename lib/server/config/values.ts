/**
 * Parsers of single setting values, shared by the configuration file and the command
 * line: listen addresses and sizes.
 *
 * @module
 */

import { isIP } from "node:net";
import type { ListenConfig } from "./types.ts";

/**
 * Parses a listen address: `1.2.3.4:1965`, `[::1]:1965`, `::1`, `[::]`, `0.0.0.0` or
 * `:1965` (all IPv4 interfaces).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseListenAddress } from "./values.ts";
 * assert.equal(parseListenAddress("[::1]:1966", 1965).hostname, "::1");
 * assert.equal(parseListenAddress("127.0.0.1", 1965).port, 1965);
 * assert.equal(parseListenAddress(":1966", 1965).hostname, "0.0.0.0");
 * ```
 */
export function parseListenAddress(text: string, defaultPort: number): ListenConfig {
  const t = text.trim();
  let host: string;
  let port: string | undefined;
  const bracket = /^\[([0-9A-Fa-f:.%a-z]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1];
    port = bracket[2];
  } else if ((t.match(/:/g) ?? []).length > 1) {
    host = t; // bare IPv6 without port
  } else {
    const colon = t.lastIndexOf(":");
    host = colon < 0 ? t : t.slice(0, colon);
    port = colon < 0 ? undefined : t.slice(colon + 1);
  }
  if (host === "") host = "0.0.0.0";
  if (isIP(host) === 0 && host !== "localhost") {
    throw new SyntaxError(`Listen address ${JSON.stringify(text)} is not an IP address`);
  }
  const n = port === undefined ? defaultPort : Number(port);
  if (port !== undefined && !/^\d{1,5}$/.test(port) || !(n >= 0 && n <= 65535)) {
    throw new SyntaxError(`Listen address ${JSON.stringify(text)} has an invalid port`);
  }
  return { hostname: host === "localhost" ? "127.0.0.1" : host, port: n };
}

/**
 * Parses a size: a number of bytes or a number with a unit (`B`, `K`/`KB`/`KiB`, `M`,
 * `G`; all binary).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseSize } from "./values.ts";
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
