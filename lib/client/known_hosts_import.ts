/**
 * Readers for other Gemini clients' trust stores, turning their pins into known-hosts
 * entries:
 *
 * | client    | file                         | line / key                                   | pin    |
 * | --------- | ---------------------------- | -------------------------------------------- | ------ |
 * | Lagrange  | `trusted.2.txt`              | `domain;port valid-until-unix sha256-hex`    | `spki` |
 * | gmni      | `known_hosts`                | `host SHA-512 AA:BB:... not-after-unix`      | `cert` |
 * | Amfora    | `tofu.toml`                  | `"example/org" = "HEX"`, `"example/org/expiry" = date` (`.` written as `/`; other ports: `"example/org:1966"`, `"example/org/expiry:1966"`) | `spki` |
 * | Telescope | `known_hosts`                | `host[:port] SHA256:hex [verified]`          | `cert` |
 *
 * Lagrange and Amfora pin the SHA-256 of the public key (SPKI), so their entries become
 * `spki` pins. gmni and Telescope pin the whole certificate, so their entries stay `cert`
 * pins until a visit presents a matching certificate (then the client upgrades them).
 *
 * @module
 */

import { parseTomlFile } from "../files/toml.ts";
import { normalizeFingerprint } from "../tls/fingerprint.ts";
import { normalizeHost } from "./known_hosts.ts";
import type { KnownHost } from "./types.ts";

/** The clients whose trust stores can be imported. */
export type KnownHostsFormat = "lagrange" | "gmni" | "amfora" | "telescope";

/** Options for {@linkcode importKnownHosts}. */
export interface ImportOptions {
  /** The format of the text. */
  format: KnownHostsFormat;
  /** File name for error messages. Default `the file`. */
  file?: string;
  /** The first/last-seen time given to imported entries. Default now. */
  now?: Date;
}

/** What an import found. */
export interface ImportResult {
  /** The entries, in file order (a later duplicate of a host and port replaces an earlier). */
  entries: KnownHost[];
  /** Lines or keys that were skipped on purpose (e.g. an unknown hash algorithm), and why. */
  skipped: string[];
}

function splitHostPort(text: string, separator: string): { host: string; port: number } {
  const at = text.lastIndexOf(separator);
  if (at > 0 && /^\d{1,5}$/.test(text.slice(at + 1)) && !text.slice(0, at).includes(":")) {
    return { host: normalizeHost(text.slice(0, at)), port: Number(text.slice(at + 1)) };
  }
  return { host: normalizeHost(text), port: 1965 };
}

function unixToIso(text: string): string | undefined {
  if (!/^\d{1,12}$/.test(text)) return undefined;
  const date = new Date(Number(text) * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Reads another client's trust store. Throws a `SyntaxError` naming the file and line (or
 * key) for anything that is not in the documented format.
 *
 * @example
 * ```ts
 * import { importKnownHosts } from "./known_hosts_import.ts";
 * import assert from "node:assert/strict";
 * const hex = "ab".repeat(32);
 * const { entries } = importKnownHosts(`example.org;1965 1893456000 ${hex}\n`, {
 *   format: "lagrange",
 * });
 * assert.equal(entries[0].pin, "spki");
 * assert.equal(entries[0].spkiSha256, hex);
 * ```
 */
export function importKnownHosts(text: string, options: ImportOptions): ImportResult {
  const file = options.file ?? "the file";
  const now = (options.now ?? new Date()).toISOString();
  const byKey = new Map<string, KnownHost>();
  const skipped: string[] = [];
  const add = (entry: Pin): void => {
    const full: KnownHost = { ...entry, firstSeen: now, lastSeen: now };
    if (full.notAfter === undefined) delete full.notAfter;
    byKey.set(`${full.host} ${full.port}`, full);
  };
  if (options.format === "amfora") {
    readAmfora(text, file, add);
    return { entries: [...byKey.values()], skipped };
  }
  const readLine = LINE_READERS[options.format];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${file}:${index + 1}`;
    const found = readLine(line.split(/\s+/), (what: string): never => {
      throw new SyntaxError(`${where}: ${what}; nothing was imported`);
    });
    if (typeof found === "string") skipped.push(`${where}: ${found}`);
    else add(found);
  });
  return { entries: [...byKey.values()], skipped };
}

/** A known-hosts entry without its first- and last-seen times (the import sets them). */
type Pin = Omit<KnownHost, "firstSeen" | "lastSeen">;

/**
 * Reads the fields of one line: the pin, or why the line is skipped on purpose. `fail`
 * throws for a line that is not in the format.
 */
type LineReader = (fields: string[], fail: (what: string) => never) => Pin | string;

/** Lagrange's `trusted.2.txt`: `domain;port valid-until-unix sha256-hex` (an SPKI pin). */
function lagrangeLine(fields: string[], fail: (what: string) => never): Pin {
  if (fields.length !== 3) fail("expected `domain;port valid-until fingerprint`");
  const [key, until, print] = fields;
  if (!key.includes(";")) fail(`expected domain;port, found "${key}"`);
  const { host, port } = splitHostPort(key, ";");
  const hex = normalizeFingerprint(print);
  if (!/^[0-9a-f]{64}$/.test(hex)) fail(`expected a SHA-256 hex fingerprint`);
  const notAfter = unixToIso(until);
  if (notAfter === undefined) fail(`expected a Unix time, found "${until}"`);
  return { host, port, pin: "spki", spkiSha256: hex, certSha256: "", notAfter };
}

/** gmni's `known_hosts`: `host SHA-512 AA:BB:... [not-after-unix]` (a whole-certificate pin). */
function gmniLine(fields: string[], fail: (what: string) => never): Pin | string {
  if (fields.length !== 3 && fields.length !== 4) {
    fail("expected `host SHA-512 fingerprint not-after`");
  }
  const [host, algorithm, print, until] = fields;
  const hex = normalizeFingerprint(print);
  const notAfter = until === undefined ? undefined : unixToIso(until);
  if (until !== undefined && notAfter === undefined) {
    fail(`expected a Unix time, found "${until}"`);
  }
  const at = { host: normalizeHost(host), port: 1965 };
  if (algorithm === "SHA-512") {
    if (!/^[0-9a-f]{64,128}$/.test(hex) || hex.length % 2) {
      fail("expected a SHA-512 fingerprint in hex");
    }
    return { ...at, pin: "cert", spkiSha256: "", certSha256: "", certSha512: hex, notAfter };
  }
  if (algorithm === "SHA-256" && /^[0-9a-f]{64}$/.test(hex)) {
    return { ...at, pin: "cert", spkiSha256: "", certSha256: hex, notAfter };
  }
  return `unknown hash algorithm "${algorithm}"`;
}

/** Telescope's `known_hosts`: `host[:port] SHA256:hex [verified]` (a whole-certificate pin). */
function telescopeLine(fields: string[], fail: (what: string) => never): Pin | string {
  if (fields.length !== 2 && fields.length !== 3) {
    fail("expected `host[:port] SHA256:fingerprint [verified]`");
  }
  const [key, print] = fields;
  const { host, port } = splitHostPort(key, ":");
  if (!/^sha256:/i.test(print)) return "not a SHA256 fingerprint";
  const hex = normalizeFingerprint(print);
  if (!/^[0-9a-f]{64}$/.test(hex)) fail("expected SHA256: and 64 hex digits");
  return { host, port, pin: "cert", spkiSha256: "", certSha256: hex };
}

/** The line readers of the formats with one entry per line. */
const LINE_READERS: Record<Exclude<KnownHostsFormat, "amfora">, LineReader> = {
  lagrange: lagrangeLine,
  gmni: gmniLine,
  telescope: telescopeLine,
};

/** Amfora's `tofu.toml`: SPKI pins by host key, expiries under `HOST/expiry`. */
function readAmfora(text: string, file: string, add: (entry: Pin) => void): void {
  const data = parseTomlFile(text, file, { suffix: "; nothing was imported" });
  // Keys are written with "/" for "."; some writers nest tables instead. Flatten both.
  const flat = new Map<string, unknown>();
  const walk = (prefix: string, value: unknown): void => {
    if (value && typeof value === "object" && !(value instanceof Date) && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}/${k}` : k, v);
    } else {
      flat.set(prefix, value);
    }
  };
  walk("", data);
  // Amfora writes the expiry of a non-default port as "domain/expiry:PORT".
  const expiries = new Map<string, unknown>();
  const hashes: [string, unknown][] = [];
  for (const [key, value] of flat) {
    const m = /^(.*)\/expiry(?::(\d+))?$/.exec(key);
    if (m) expiries.set(m[1] + (m[2] ? `:${m[2]}` : ""), value);
    else hashes.push([key, value]);
  }
  for (const [key, value] of hashes) {
    if (typeof value !== "string") {
      throw new SyntaxError(`${file}: key "${key}": expected a fingerprint string`);
    }
    const hex = normalizeFingerprint(value);
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new SyntaxError(`${file}: key "${key}": expected a SHA-256 hex fingerprint`);
    }
    const { host, port } = splitHostPort(key.replace(/\//g, "."), ":");
    const expiry = expiries.get(key);
    let notAfter: string | undefined;
    if (expiry instanceof Date || typeof expiry === "string") {
      const date = new Date(expiry as string);
      if (Number.isNaN(date.getTime())) {
        throw new SyntaxError(`${file}: the expiry of "${key}" is not a date`);
      }
      notAfter = date.toISOString();
    }
    add({ host, port, pin: "spki", spkiSha256: hex, certSha256: "", notAfter });
  }
}
