/**
 * Parsers of single setting values, shared by the configuration file and the command
 * line: listen addresses and sizes.
 *
 * @module
 */

import { isIPv4, isIPv6 } from "../../protocol/ip.ts";
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
  if (ipVersion(host) === 0 && host !== "localhost") {
    throw new SyntaxError(`Listen address ${JSON.stringify(text)} is not an IP address`);
  }
  const n = port === undefined ? defaultPort : Number(port);
  if (port !== undefined && !/^\d{1,5}$/.test(port) || !(n >= 0 && n <= 65535)) {
    throw new SyntaxError(`Listen address ${JSON.stringify(text)} has an invalid port`);
  }
  return { hostname: host === "localhost" ? "127.0.0.1" : host, port: n };
}

export { parseSize } from "../../gemtext/size.ts";

/**
 * 4 or 6 for an IP address (IPv6 with an optional `%zone`), 0 for anything else: what
 * `isIP()` of `node:net` says, without loading it into the supervisor.
 */
function ipVersion(text: string): 0 | 4 | 6 {
  const percent = text.indexOf("%");
  if (percent < 0) return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
  const zone = text.slice(percent + 1);
  return /^[0-9A-Za-z_.:-]+$/.test(zone) && isIPv6(text.slice(0, percent)) ? 6 : 0;
}

/** One entry of a PROXY protocol allow list: an address, or a CIDR block with `bits`. */
export interface AllowEntry {
  /** The address, as written (trimmed). */
  address: string;
  /** Its family. */
  family: "ipv4" | "ipv6";
  /** The prefix length of a CIDR block (`10.0.0.0/8`: 8); none for a single address. */
  bits?: number;
}

/**
 * Parses the entries of a PROXY protocol allow list (addresses and CIDR blocks), without
 * `node:net`: the configuration checks them with it, and the PROXY listener
 * (proxy_listener.ts) builds its block list from what it returns. Throws a `TypeError` for
 * the first bad entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseAllowList } from "./values.ts";
 * assert.deepEqual(parseAllowList(["127.0.0.1", "fd00::/8"]), [
 *   { address: "127.0.0.1", family: "ipv4" },
 *   { address: "fd00::", family: "ipv6", bits: 8 },
 * ]);
 * assert.throws(() => parseAllowList(["10.0.0.0/33"]), TypeError);
 * ```
 */
export function parseAllowList(entries: readonly string[]): AllowEntry[] {
  return entries.map((raw) => {
    const entry = raw.trim();
    const slash = entry.indexOf("/");
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const version = address.includes("%") ? 0 : ipVersion(address);
    if (version === 0) {
      throw new TypeError(`Invalid address in the PROXY allow list: ${JSON.stringify(raw)}`);
    }
    const family = version === 4 ? "ipv4" : "ipv6";
    if (slash < 0) return { address, family };
    const bitsText = entry.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(bitsText) || Number(bitsText) > (version === 4 ? 32 : 128)) {
      throw new TypeError(`Invalid prefix length in the PROXY allow list: ${JSON.stringify(raw)}`);
    }
    return { address, family, bits: Number(bitsText) };
  });
}
