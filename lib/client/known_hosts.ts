/**
 * The known-hosts file: trust-on-first-use pins, one line per host and port, in
 * `$XDG_DATA_HOME/gemini/known_hosts`.
 *
 * Format (UTF-8 text, fields separated by one or more spaces or tabs, `#` starts a comment
 * line, blank lines are ignored):
 *
 * ```text
 * # host port pin spki-sha256 cert-sha256 not-after first-seen last-seen
 * example.org 1965 spki 3f1c...e0 9a2b...77 2027-05-01T00:00:00.000Z 2026-01-02T10:00:00.000Z 2026-11-30T08:12:44.120Z
 * ```
 *
 * - `host`: lower case; IPv6 literals without brackets.
 * - `port`: 1-65535.
 * - `pin`: `spki` (the SHA-256 of the SubjectPublicKeyInfo is pinned) or `cert` (the whole
 *   certificate is pinned, as imported from clients that pin certificates).
 * - `spki-sha256`: 64 lower-case hex digits, or `-` when unknown (a `cert` pin not yet seen).
 * - `cert-sha256`: 64 lower-case hex digits of the whole DER certificate, `-` when unknown,
 *   or `sha512:HEX` for a whole-certificate SHA-512 pin imported from gmni.
 * - `not-after`: expiry of the pinned certificate (ISO 8601, UTC), or `-` when unknown.
 * - `first-seen`, `last-seen`: ISO 8601 times, UTC.
 *
 * Every write takes a cross-process lock, re-reads the file, changes it and replaces it
 * atomically, so concurrent processes never lose each other's entries. Comment lines are
 * kept. A line that does not parse is an error naming the file and the line number, and the
 * file is then never rewritten.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { atomicWriteFile } from "../files/atomic.ts";
import { withFileLock } from "../files/lock.ts";
import { type Paths, resolvePaths } from "../files/paths.ts";
import { readTextIfExists } from "../files/read.ts";
import { type CertificateInfo } from "../tls/certificate.ts";
import { pemToDer } from "../tls/pem.ts";
import { hostAndPort, normalizeUrl } from "../protocol/url.ts";
import type { KnownHost, KnownHostsStore } from "./types.ts";

/** The comment written at the top of a new known-hosts file. */
const HEADER = "# gemini known_hosts: host port pin spki-sha256 cert-sha256 not-after " +
  "first-seen last-seen\n";

const HEX64 = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** One line of the file: a comment (kept verbatim) or an entry. */
type Line = { text: string; entry?: undefined } | { text?: undefined; entry: KnownHost };

/**
 * Normalizes a host for use as a key: lower case, IPv6 brackets removed, trailing dot
 * removed.
 *
 * @example
 * ```ts
 * import { normalizeHost } from "./known_hosts.ts";
 * import assert from "node:assert/strict";
 * assert.equal(normalizeHost("[::1]"), "::1");
 * assert.equal(normalizeHost("Example.ORG."), "example.org");
 * ```
 */
export function normalizeHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
}

/**
 * Splits `HOST[:PORT]` (IPv6 literals in brackets: `[::1]:1966`) into a normalized host and
 * a port (default 1965). Throws a `SyntaxError` for an empty host or a bad port.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./known_hosts.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseHostPort("Example.org:1966").port, 1966);
 * assert.equal(parseHostPort("[::1]").host, "::1");
 * ```
 */
export function parseHostPort(text: string): { host: string; port: number } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())) {
    // A pasted URL (gemini://example.org:1966/page): its host and port.
    let url: URL;
    try {
      url = normalizeUrl(text.trim());
    } catch (cause) {
      throw new SyntaxError(`Invalid URL "${text}": ${(cause as Error).message}`, { cause });
    }
    const { host, port } = hostAndPort(url);
    if (!host) throw new SyntaxError(`Missing host in "${text}"`);
    return { host: normalizeHost(host), port };
  }
  let host = text.trim();
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(host);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if ((host.match(/:/g) ?? []).length === 1) {
    [host, portText] = host.split(":");
  }
  host = normalizeHost(host);
  if (!host) throw new SyntaxError(`Missing host in "${text}"`);
  // Host names and IP literals only: letters, digits and - . _ (and : in IPv6); a name in
  // another script is taken in its ASCII (punycode) form, as the client records it.
  if (!/^[a-z0-9._:-]+$/.test(host)) {
    let ascii = "";
    try {
      // Only letters outside ASCII may remain; anything a URL gives meaning to is refused.
      // deno-lint-ignore no-control-regex
      if (!/[\x00-\x20\x7f/?#@[\]\\<>%^|"`{}:]/.test(host)) {
        ascii = new URL(`http://${host}/`).hostname;
      }
    } catch {
      // not a host name
    }
    if (!/^[a-z0-9._-]+$/.test(ascii)) {
      throw new SyntaxError(`Invalid host in "${text}": expected a host name or IP address`);
    }
    host = ascii;
  }
  let port = 1965;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new SyntaxError(`Invalid port in "${text}": expected 1-65535`);
    }
  }
  return { host, port };
}

/**
 * Formats host and port as `host:port`, with brackets around IPv6 literals.
 *
 * @example
 * ```ts
 * import { formatHostPort } from "./known_hosts.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatHostPort("::1", 1965), "[::1]:1965");
 * ```
 */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Whether the certificate `info` satisfies the pin `entry`: same SPKI for an `spki` pin;
 * for a `cert` pin the same whole-certificate SHA-256 (or SHA-512 for gmni imports, where
 * a shorter stored digest is compared as a prefix), or the same SPKI if one was recorded.
 *
 * @example
 * ```ts
 * import { pinMatches } from "./known_hosts.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { info } = await generateCertificate("example.org");
 * const now = new Date().toISOString();
 * const entry = {
 *   host: "example.org", port: 1965, pin: "cert" as const, spkiSha256: "",
 *   certSha256: info.certSha256, firstSeen: now, lastSeen: now,
 * };
 * assert.ok(pinMatches(entry, info));
 * ```
 */
export function pinMatches(entry: KnownHost, info: CertificateInfo): boolean {
  if (entry.pin === "spki") return entry.spkiSha256 === info.spkiSha256;
  if (entry.spkiSha256 && entry.spkiSha256 === info.spkiSha256) return true;
  if (entry.certSha512) {
    const [der] = pemToDer(info.pem, "CERTIFICATE");
    const digest = createHash("sha512").update(der).digest("hex");
    return entry.certSha512.length >= 64 && digest.startsWith(entry.certSha512);
  }
  return entry.certSha256 !== "" && entry.certSha256 === info.certSha256;
}

/**
 * The entry that pins `info` for `target.host` and `target.port` as an SPKI pin: a new entry,
 * or `target.previous` refreshed (a matching `cert` pin is upgraded to an `spki` pin; the
 * first-seen time is kept). `target.now` defaults to the current time.
 *
 * @example
 * ```ts
 * import { pinFor } from "./known_hosts.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { info } = await generateCertificate("example.org");
 * const entry = pinFor(info, { host: "example.org", port: 1965 });
 * assert.equal(entry.pin, "spki");
 * assert.equal(entry.spkiSha256, info.spkiSha256);
 * ```
 */
export function pinFor(
  info: CertificateInfo,
  target: { host: string; port: number; previous?: KnownHost; now?: Date },
): KnownHost {
  const time = (target.now ?? new Date()).toISOString();
  return {
    host: normalizeHost(target.host),
    port: target.port,
    pin: "spki",
    spkiSha256: info.spkiSha256,
    certSha256: info.certSha256,
    notAfter: info.notAfter.toISOString(),
    firstSeen: target.previous?.firstSeen ?? time,
    lastSeen: time,
  };
}

/**
 * Parses the text of a known-hosts file. Throws a `SyntaxError` naming `file` and the
 * line number for the first line that does not parse.
 *
 * @example
 * ```ts
 * import { parseKnownHosts } from "./known_hosts.ts";
 * import assert from "node:assert/strict";
 * const hex = "ab".repeat(32);
 * const t = "2026-01-01T00:00:00.000Z";
 * const [e] = parseKnownHosts(`# c\nexample.org 1965 spki ${hex} ${hex} - ${t} ${t}\n`);
 * assert.equal(e.host, "example.org");
 * assert.equal(e.notAfter, undefined);
 * ```
 */
export function parseKnownHosts(text: string, file = "known_hosts"): KnownHost[] {
  return parseLines(text, file).flatMap((line) => (line.entry ? [line.entry] : []));
}

function parseLines(text: string, file: string): Line[] {
  const lines: Line[] = [];
  const raw = text.split("\n");
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  raw.forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      lines.push({ text: line });
      return;
    }
    lines.push({ entry: parseEntry(trimmed, `${file}:${index + 1}`) });
  });
  return lines;
}

function parseEntry(line: string, where: string): KnownHost {
  const fields = line.split(/[ \t]+/);
  const fail = (what: string): never => {
    throw new SyntaxError(`${where}: ${what} (the file is left unchanged; fix or remove the line)`);
  };
  if (fields.length !== 8) {
    fail(
      `expected 8 fields (host port pin spki-sha256 cert-sha256 not-after first-seen ` +
        `last-seen), found ${fields.length}`,
    );
  }
  const [host, portText, pin, spki, cert, notAfter, firstSeen, lastSeen] = fields;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    fail(`invalid port "${portText}"`);
  }
  if (pin !== "spki" && pin !== "cert") fail(`invalid pin kind "${pin}" (expected spki or cert)`);
  if (spki !== "-" && !HEX64.test(spki)) {
    fail(`invalid SPKI fingerprint "${spki}" (expected 64 lower-case hex digits or -)`);
  }
  if (pin === "spki" && spki === "-") fail("an spki pin needs an SPKI fingerprint");
  let certSha256 = "";
  let certSha512: string | undefined;
  if (cert.startsWith("sha512:")) {
    certSha512 = cert.slice(7);
    if (!/^[0-9a-f]{64,128}$/.test(certSha512)) fail(`invalid SHA-512 fingerprint "${cert}"`);
  } else if (cert !== "-") {
    if (!HEX64.test(cert)) fail(`invalid certificate fingerprint "${cert}"`);
    certSha256 = cert;
  }
  if (pin === "cert" && spki === "-" && cert === "-") fail("a cert pin needs a fingerprint");
  for (
    const [name, value] of [["not-after", notAfter], ["first-seen", firstSeen], [
      "last-seen",
      lastSeen,
    ]]
  ) {
    if (name === "not-after" && value === "-") continue;
    if (!ISO.test(value) || Number.isNaN(Date.parse(value))) {
      fail(`invalid ${name} time "${value}" (expected ISO 8601 UTC)`);
    }
  }
  const entry: KnownHost = {
    host: normalizeHost(host),
    port,
    pin: pin as "spki" | "cert",
    spkiSha256: spki === "-" ? "" : spki,
    certSha256,
    firstSeen,
    lastSeen,
  };
  if (notAfter !== "-") entry.notAfter = notAfter;
  if (certSha512) entry.certSha512 = certSha512;
  return entry;
}

/**
 * Formats one entry as a line of the known-hosts file (without the newline).
 *
 * @example
 * ```ts
 * import { formatKnownHost } from "./known_hosts.ts";
 * import assert from "node:assert/strict";
 * const t = "2026-01-01T00:00:00.000Z";
 * const line = formatKnownHost({
 *   host: "a.example", port: 1965, pin: "cert", spkiSha256: "", certSha256: "ab".repeat(32),
 *   firstSeen: t, lastSeen: t,
 * });
 * assert.ok(line.startsWith("a.example 1965 cert - abab"));
 * ```
 */
export function formatKnownHost(entry: KnownHost): string {
  const cert = entry.certSha512 && !entry.certSha256
    ? `sha512:${entry.certSha512}`
    : entry.certSha256 || "-";
  return [
    normalizeHost(entry.host),
    entry.port,
    entry.pin,
    entry.spkiSha256 || "-",
    cert,
    entry.notAfter ?? "-",
    entry.firstSeen,
    entry.lastSeen,
  ].join(" ");
}

function validateEntry(entry: KnownHost): KnownHost {
  // Round-trip through the parser so that nothing unparseable is ever written.
  return parseEntry(formatKnownHost(entry), `entry for ${entry.host}:${entry.port}`);
}

function compareEntries(a: KnownHost, b: KnownHost): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port;
}

/**
 * The known-hosts store in one file. Reads go to the file each time (it is small), so
 * several processes see each other's changes.
 *
 * @example
 * ```ts
 * import { FileKnownHosts, pinFor } from "./known_hosts.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const store = new FileKnownHosts(`${dir}/known_hosts`);
 * const { info } = await generateCertificate("example.org");
 * await store.put(pinFor(info, { host: "example.org", port: 1965 }));
 * assert.equal((await store.get("example.org", 1965))?.spkiSha256, info.spkiSha256);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileKnownHosts implements KnownHostsStore {
  /** The file's path. */
  readonly path: string;

  /** A store kept in the file at `path` (created on the first write). */
  constructor(path: string) {
    this.path = path;
  }

  async #read(): Promise<Line[]> {
    const text = await readTextIfExists(this.path, {
      wrapErrors: true,
      what: "the known-hosts file",
    });
    return text === undefined ? [] : parseLines(text, this.path);
  }

  async #modify(change: (lines: Line[]) => boolean): Promise<boolean> {
    return await withFileLock(this.path, async () => {
      const lines = await this.#read();
      const fresh = lines.length === 0;
      if (!change(lines)) return false;
      const body = lines.map((l) => l.entry ? formatKnownHost(l.entry) : l.text).join("\n");
      await atomicWriteFile(this.path, (fresh ? HEADER : "") + body + (body ? "\n" : ""), {
        mode: 0o600,
      });
      return true;
    });
  }

  /** The entry for host and port, if any. */
  async get(host: string, port: number): Promise<KnownHost | undefined> {
    const key = normalizeHost(host);
    const lines = await this.#read();
    return lines.find((l) => l.entry?.host === key && l.entry.port === port)?.entry;
  }

  /** Inserts or replaces the entry for `entry.host` and `entry.port`. */
  async put(entry: KnownHost): Promise<void> {
    const clean = validateEntry(entry);
    await this.#modify((lines) => {
      const at = lines.findIndex((l) =>
        l.entry?.host === clean.host && l.entry.port === clean.port
      );
      if (at >= 0) lines[at] = { entry: clean };
      else lines.push({ entry: clean });
      return true;
    });
  }

  /** Inserts or replaces several entries under one lock (used by imports). */
  async putMany(entries: KnownHost[]): Promise<void> {
    const clean = entries.map(validateEntry);
    await this.#modify((lines) => {
      for (const entry of clean) {
        const at = lines.findIndex((l) =>
          l.entry?.host === entry.host && l.entry.port === entry.port
        );
        if (at >= 0) lines[at] = { entry };
        else lines.push({ entry });
      }
      return clean.length > 0;
    });
  }

  /** Removes an entry; `true` when one existed. */
  async remove(host: string, port: number): Promise<boolean> {
    const key = normalizeHost(host);
    return await this.#modify((lines) => {
      const at = lines.findIndex((l) => l.entry?.host === key && l.entry.port === port);
      if (at < 0) return false;
      lines.splice(at, 1);
      return true;
    });
  }

  /** All entries, sorted by host then port. */
  async list(): Promise<KnownHost[]> {
    const lines = await this.#read();
    return lines.flatMap((l) => (l.entry ? [l.entry] : [])).sort(compareEntries);
  }
}

/**
 * Opens the known-hosts store in the data directory (`known_hosts` in
 * {@linkcode Paths.dataDir}; `GEMINI_HOME` relocates it).
 *
 * @example
 * ```ts
 * import { openKnownHosts } from "./known_hosts.ts";
 * import assert from "node:assert/strict";
 * const store = openKnownHosts({ configDir: "/tmp/c", dataDir: "/tmp/d", configFile: "/tmp/c/x" });
 * assert.equal(store.path, "/tmp/d/known_hosts");
 * ```
 */
export function openKnownHosts(
  paths: Paths = resolvePaths((name) => Deno.env.get(name)),
): FileKnownHosts {
  return new FileKnownHosts(join(paths.dataDir, "known_hosts"));
}
