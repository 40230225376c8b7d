/**
 * The PROXY protocol (versions 1 and 2), as sent by TCP load balancers such as HAProxy in
 * front of a server: a short header before the first byte of the proxied stream that names
 * the original client. {@linkcode parseProxyHeader} reads it incrementally from the bytes
 * received so far and never looks past the header: the bytes after it are handed back as
 * `rest`, untouched, for the TLS layer.
 *
 * Pure: bytes in, a typed value out, no I/O.
 *
 * @module
 */

import type { Address } from "../tls/connection.ts";
import { formatIpBytes, isIPv4, isIPv6 } from "../protocol/ip.ts";

/** The longest version 1 header, `\r\n` included (107 bytes, from the specification). */
export const PROXY_V1_MAX_LENGTH = 107;

/** The fixed part of a version 2 header: signature, version/command, family, length. */
export const PROXY_V2_FIXED_LENGTH = 16;

/** The default cap on a version 2 header (fixed part + addresses + TLVs): 1 KiB. */
export const PROXY_V2_DEFAULT_MAX_LENGTH = 1024;

/** The 12-byte signature that starts a version 2 header. */
export const PROXY_V2_SIGNATURE: Uint8Array = new Uint8Array([
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
]);

const V1_PREFIX = new TextEncoder().encode("PROXY ");

/** A PROXY header that is malformed, too long, or absent where one was required. */
export class ProxyProtocolError extends Error {
  /** Creates the error; `message` says what was wrong. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProxyProtocolError";
  }
}

/** Which address family the header declares. */
export type ProxyFamily = "tcp4" | "tcp6" | "unix" | "unknown";

/** A complete PROXY header. */
export interface ProxyHeader {
  /** Protocol version of the header. */
  version: 1 | 2;
  /**
   * `proxy`: the connection is relayed for `source`. `local`: the proxy opened it for itself
   * (e.g. a health check), so the connection's own addresses apply (version 2 only).
   */
  command: "proxy" | "local";
  /**
   * Declared family. `unknown` (v1 `UNKNOWN`, v2 `AF_UNSPEC`) and `unix` carry no IP
   * address: use the connection's own.
   */
  family: ProxyFamily;
  /** The original client, for `tcp4` and `tcp6` with the `proxy` command. */
  source?: Address;
  /** The address the client connected to, likewise. */
  destination?: Address;
  /** Length of the header in bytes. */
  length: number;
}

/** The result of {@linkcode parseProxyHeader}. */
export type ProxyParseResult =
  | { done: false; header?: undefined; rest?: undefined }
  | { done: true; header: ProxyHeader; rest: Uint8Array };

/** Options for {@linkcode parseProxyHeader}. */
export interface ProxyParseOptions {
  /** Cap on a version 2 header's total length. Default 1024 ({@linkcode PROXY_V2_DEFAULT_MAX_LENGTH}). */
  maxV2Length?: number;
}

/** How the first bytes of a connection look. */
export type ProxyPrefixKind = "v1" | "v2" | "none" | "undecided";

/**
 * Classifies the first bytes of a stream: a version 1 or 2 PROXY header, something else
 * (e.g. a TLS ClientHello, which starts with 0x16), or too few bytes to tell.
 *
 * @example
 * ```ts
 * import { detectProxyHeader } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 * assert.equal(detectProxyHeader(new Uint8Array([0x16, 0x03])), "none");
 * assert.equal(detectProxyHeader(new TextEncoder().encode("PRO")), "undecided");
 * ```
 */
export function detectProxyHeader(bytes: Uint8Array): ProxyPrefixKind {
  if (bytes.length === 0) return "undecided";
  if (startsLike(bytes, V1_PREFIX)) return bytes.length >= V1_PREFIX.length ? "v1" : "undecided";
  if (startsLike(bytes, PROXY_V2_SIGNATURE)) {
    return bytes.length >= PROXY_V2_SIGNATURE.length ? "v2" : "undecided";
  }
  return "none";
}

/**
 * Parses a PROXY protocol header (version 1 or 2) from the bytes received so far.
 * Returns `{ done: false }` while the header is incomplete (call again with more bytes),
 * or the header and the bytes after it. Throws {@linkcode ProxyProtocolError} (and nothing
 * else) when the bytes cannot begin a valid header, or when it exceeds its bound (107 bytes
 * for version 1, `maxV2Length` for version 2), so a caller never buffers more than that.
 *
 * @example
 * ```ts
 * import { parseProxyHeader } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 * const bytes = new TextEncoder().encode("PROXY TCP4 192.0.2.1 198.51.100.2 51000 1965\r\n\x16");
 * const result = parseProxyHeader(bytes);
 * assert.ok(result.done);
 * assert.equal(result.header.source?.hostname, "192.0.2.1");
 * assert.ok(result.done);
 * assert.equal(result.rest.length, 1);
 * ```
 */
export function parseProxyHeader(
  bytes: Uint8Array,
  options: ProxyParseOptions = {},
): ProxyParseResult {
  switch (detectProxyHeader(bytes)) {
    case "undecided":
      return { done: false };
    case "none":
      throw new ProxyProtocolError(
        `Expected a PROXY protocol header, got bytes starting with 0x${hex(bytes[0])}`,
      );
    case "v1":
      return parseV1(bytes);
    case "v2":
      return parseV2(bytes, options.maxV2Length ?? PROXY_V2_DEFAULT_MAX_LENGTH);
  }
}

function startsLike(bytes: Uint8Array, prefix: Uint8Array): boolean {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

// ---------------------------------------------------------------------------------------
// version 1

function parseV1(bytes: Uint8Array): ProxyParseResult {
  const limit = Math.min(bytes.length, PROXY_V1_MAX_LENGTH);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const b = bytes[i];
    if (b === 0x0a) {
      if (bytes[i - 1] !== 0x0d) {
        throw new ProxyProtocolError("PROXY v1 header ends with a bare LF instead of CRLF");
      }
      end = i + 1;
      break;
    }
    if (b === 0x0d && i + 1 < bytes.length && bytes[i + 1] !== 0x0a) {
      throw new ProxyProtocolError("PROXY v1 header has a CR not followed by LF");
    }
    if (b !== 0x0d && (b < 0x20 || b > 0x7e)) {
      throw new ProxyProtocolError(
        `PROXY v1 header has a non-printable byte 0x${hex(b)} at offset ${i}`,
      );
    }
  }
  if (end < 0) {
    if (bytes.length >= PROXY_V1_MAX_LENGTH) {
      throw new ProxyProtocolError(
        `PROXY v1 header has no CRLF within ${PROXY_V1_MAX_LENGTH} bytes`,
      );
    }
    return { done: false };
  }
  // Printable ASCII only (checked above), so a byte-wise decode is exact.
  let line = "";
  for (let i = V1_PREFIX.length; i < end - 2; i++) line += String.fromCharCode(bytes[i]);
  const header = parseV1Fields(line, end);
  return { done: true, header, rest: bytes.subarray(end) };
}

function parseV1Fields(line: string, length: number): ProxyHeader {
  const fields = line.split(" ");
  const protocol = fields[0];
  if (protocol === "UNKNOWN") {
    // The receiver must ignore whatever follows UNKNOWN.
    return { version: 1, command: "proxy", family: "unknown", length };
  }
  if (protocol !== "TCP4" && protocol !== "TCP6") {
    throw new ProxyProtocolError(
      `PROXY v1 header has protocol ${JSON.stringify(protocol)}, expected TCP4, TCP6 or UNKNOWN`,
    );
  }
  if (fields.length !== 5) {
    throw new ProxyProtocolError(
      `PROXY v1 ${protocol} header has ${
        fields.length - 1
      } fields after the protocol, expected 4 separated by single spaces`,
    );
  }
  const [, src, dst, sport, dport] = fields;
  const valid = protocol === "TCP4" ? isIPv4 : isIPv6;
  for (const [name, value] of [["source", src], ["destination", dst]]) {
    if (!valid(value)) {
      throw new ProxyProtocolError(
        `PROXY v1 header has an invalid ${name} address ${JSON.stringify(value)} for ${protocol}`,
      );
    }
  }
  return {
    version: 1,
    command: "proxy",
    family: protocol === "TCP4" ? "tcp4" : "tcp6",
    source: { hostname: protocol === "TCP6" ? src.toLowerCase() : src, port: parsePort(sport) },
    destination: {
      hostname: protocol === "TCP6" ? dst.toLowerCase() : dst,
      port: parsePort(dport),
    },
    length,
  };
}

function parsePort(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65535) {
    throw new ProxyProtocolError(
      `PROXY v1 header has an invalid port ${JSON.stringify(text)} (expected 0-65535)`,
    );
  }
  return Number(text);
}

// ---------------------------------------------------------------------------------------
// version 2

function parseV2(bytes: Uint8Array, maxLength: number): ProxyParseResult {
  if (bytes.length < PROXY_V2_FIXED_LENGTH) {
    // Validate what is there already, so garbage is refused without waiting.
    if (bytes.length > 12) checkVersionCommand(bytes[12]);
    if (bytes.length > 13) checkFamily(bytes[13]);
    return { done: false };
  }
  const command = checkVersionCommand(bytes[12]);
  const { family, transport } = checkFamily(bytes[13]);
  const bodyLength = (bytes[14] << 8) | bytes[15];
  const length = PROXY_V2_FIXED_LENGTH + bodyLength;
  if (length > maxLength) {
    throw new ProxyProtocolError(
      `PROXY v2 header is ${length} bytes, more than the limit of ${maxLength}`,
    );
  }
  const needed = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (bodyLength < needed) {
    throw new ProxyProtocolError(
      `PROXY v2 header declares ${bodyLength} address bytes, too few for its family (needs ${needed})`,
    );
  }
  if (bytes.length < length) return { done: false };
  const rest = bytes.subarray(length);
  if (command === "local") {
    // Addresses (and TLVs) of a LOCAL header are ignored.
    return { done: true, header: { version: 2, command, family: "unknown", length }, rest };
  }
  if (transport === 2) {
    throw new ProxyProtocolError("PROXY v2 header declares a datagram transport on a stream");
  }
  if (family === 0 || transport === 0) {
    return { done: true, header: { version: 2, command, family: "unknown", length }, rest };
  }
  if (family === 3) {
    return { done: true, header: { version: 2, command, family: "unix", length }, rest };
  }
  const body = bytes.subarray(PROXY_V2_FIXED_LENGTH);
  const size = family === 1 ? 4 : 16;
  const source = { hostname: formatIpBytes(body.subarray(0, size)), port: u16(body, 2 * size) };
  const destination = {
    hostname: formatIpBytes(body.subarray(size, 2 * size)),
    port: u16(body, 2 * size + 2),
  };
  // TLVs after the addresses are skipped.
  return {
    done: true,
    header: {
      version: 2,
      command,
      family: family === 1 ? "tcp4" : "tcp6",
      source,
      destination,
      length,
    },
    rest,
  };
}

function checkVersionCommand(byte: number): "proxy" | "local" {
  const version = byte >> 4;
  if (version !== 2) {
    throw new ProxyProtocolError(
      `PROXY v2 header has version ${version} in its version byte, expected 2`,
    );
  }
  const command = byte & 0x0f;
  if (command === 0) return "local";
  if (command === 1) return "proxy";
  throw new ProxyProtocolError(`PROXY v2 header has unknown command ${command}`);
}

function checkFamily(byte: number): { family: number; transport: number } {
  const family = byte >> 4;
  const transport = byte & 0x0f;
  if (family > 3) {
    throw new ProxyProtocolError(`PROXY v2 header has unknown address family ${family}`);
  }
  if (transport > 2) {
    throw new ProxyProtocolError(`PROXY v2 header has unknown transport protocol ${transport}`);
  }
  return { family, transport };
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

/**
 * Formats a PROXY header, for tests and for tools that sit in front of a server. With no
 * `source`/`destination` it writes `UNKNOWN` (v1) or a LOCAL/AF_UNSPEC header (v2).
 *
 * @example
 * ```ts
 * import { formatProxyHeader, parseProxyHeader } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 * const bytes = formatProxyHeader(2, { hostname: "::1", port: 5000 }, { hostname: "::1", port: 1965 });
 * const result = parseProxyHeader(bytes);
 * assert.ok(result.done);
 * assert.equal(result.header.source?.port, 5000);
 * ```
 */
export function formatProxyHeader(
  version: 1 | 2,
  source?: Address,
  destination?: Address,
): Uint8Array {
  const v6 = source ? source.hostname.includes(":") : false;
  if (version === 1) {
    const text = source && destination
      ? `PROXY ${
        v6 ? "TCP6" : "TCP4"
      } ${source.hostname} ${destination.hostname} ${source.port} ${destination.port}\r\n`
      : "PROXY UNKNOWN\r\n";
    return new TextEncoder().encode(text);
  }
  if (!source || !destination) {
    const out = new Uint8Array(PROXY_V2_FIXED_LENGTH);
    out.set(PROXY_V2_SIGNATURE);
    out[12] = 0x20;
    return out;
  }
  const size = v6 ? 16 : 4;
  const bodyLength = 2 * size + 4;
  const out = new Uint8Array(PROXY_V2_FIXED_LENGTH + bodyLength);
  out.set(PROXY_V2_SIGNATURE);
  out[12] = 0x21;
  out[13] = v6 ? 0x21 : 0x11;
  out[15] = bodyLength;
  const encode = v6 ? ipv6Bytes : ipv4Bytes;
  out.set(encode(source.hostname), 16);
  out.set(encode(destination.hostname), 16 + size);
  const ports = 16 + 2 * size;
  out[ports] = source.port >> 8;
  out[ports + 1] = source.port & 0xff;
  out[ports + 2] = destination.port >> 8;
  out[ports + 3] = destination.port & 0xff;
  return out;
}

function ipv4Bytes(text: string): Uint8Array {
  if (!isIPv4(text)) throw new TypeError(`Invalid IPv4 address ${JSON.stringify(text)}`);
  return new Uint8Array(text.split(".").map(Number));
}

function ipv6Bytes(text: string): Uint8Array {
  if (!isIPv6(text)) throw new TypeError(`Invalid IPv6 address ${JSON.stringify(text)}`);
  let body = text;
  const lastColon = body.lastIndexOf(":");
  if (body.slice(lastColon + 1).includes(".")) {
    const v4 = ipv4Bytes(body.slice(lastColon + 1));
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    body = `${body.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const parse = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const halves = body.split("::");
  const a = parse(halves[0]);
  const b = halves.length === 2 ? parse(halves[1]) : [];
  const groups = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
