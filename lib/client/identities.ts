/**
 * The identity store: client certificates with their keys and URL scopes, in
 * `$XDG_DATA_HOME/gemini/identities/`. Each identity NAME is three files:
 *
 * - `NAME.crt`: the certificate, PEM. Its presence is what makes the identity exist.
 * - `NAME.key`: the private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`), or encrypted PKCS#8
 *   (`BEGIN ENCRYPTED PRIVATE KEY`, AES-256-CBC) when protected by a passphrase; mode 0600.
 * - `NAME.toml`: metadata, optional (a hand-copied `.crt`/`.key` pair is an identity with no
 *   scopes):
 *
 * ```toml
 * created = "2026-12-01T06:00:00.000Z"   # ISO 8601
 * encrypted = false                      # informative; the key file's PEM label decides
 * scopes = ["gemini://example.org/alice", "gemini://example.org:1966/"]
 * ```
 *
 * A scope is `gemini://host[:port][/path-prefix]`; it covers a URL with the same host and
 * port (default 1965) whose path equals the prefix or continues it after a `/`
 * (`/alice` covers `/alice` and `/alice/x`, not `/alice-bob`). The identity whose scope has
 * the longest matching prefix wins.
 *
 * Writes take a lock on `identities/store.lock` and replace each file atomically; the
 * certificate is written last when adding and removed first when deleting, so a reader never
 * sees half an identity.
 *
 * @module
 */

import { readTextIfExists } from "../files/read.ts";
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { join } from "node:path";
import { stringify as stringifyToml } from "smol-toml";
import { parseTomlFile } from "../files/toml.ts";
import { atomicWriteFile } from "../files/atomic.ts";
import { withFileLock } from "../files/lock.ts";
import { type Paths, resolvePaths } from "../files/paths.ts";
import { certificateInfo } from "../tls/certificate.ts";
import type { Identity, IdentityStore } from "./types.ts";

/** The environment variable that supplies the passphrase of encrypted keys without a TTY. */
export const PASSPHRASE_ENV = "GEMINI_IDENTITY_PASSPHRASE";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A passphrase was wrong (or missing) for an encrypted private key. */
export class PassphraseError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PassphraseError";
  }
}

/**
 * Checks an identity name: 1-64 characters, letters, digits, `.`, `_` and `-`, not starting
 * with `.`, `_` or `-`. Throws a `TypeError` otherwise.
 *
 * @example
 * ```ts
 * import { checkIdentityName } from "./identities.ts";
 * import assert from "node:assert/strict";
 * checkIdentityName("alice-2");
 * assert.throws(() => checkIdentityName("-alice"), TypeError);
 * assert.throws(() => checkIdentityName("a/b"), TypeError);
 * ```
 */
export function checkIdentityName(name: string): void {
  if (!NAME.test(name)) {
    throw new TypeError(
      `Invalid identity name "${name}": use 1-64 letters, digits, ".", "_" or "-", ` +
        "starting with a letter or digit",
    );
  }
}

/** A scope parsed into its parts. */
interface ParsedScope {
  scheme: string;
  host: string;
  port: number;
  path: string;
}

function defaultPort(scheme: string): number {
  return scheme === "gemini" || scheme === "titan" ? 1965 : scheme === "gopher" ? 70 : 0;
}

function parseScope(scope: string): ParsedScope {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(scope) ? scope : `gemini://${scope}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new SyntaxError(`Invalid scope "${scope}": not a URL`, { cause: error });
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
  if (!host) throw new SyntaxError(`Invalid scope "${scope}": no host`);
  const port = url.port ? Number(url.port) : defaultPort(scheme);
  let path = url.pathname || "/";
  if (path.length > 1) path = path.replace(/\/+$/, "");
  return { scheme, host, port, path };
}

/**
 * Normalizes a scope for storage: `gemini://host[:port]/prefix`, lower-case host, default
 * port left out, no trailing slash after a prefix. A bare `host/path` means `gemini://`.
 * Throws a `SyntaxError` when it is not a URL with a host.
 *
 * @example
 * ```ts
 * import { normalizeScope } from "./identities.ts";
 * import assert from "node:assert/strict";
 * assert.equal(normalizeScope("Example.org:1965/alice/"), "gemini://example.org/alice");
 * ```
 */
export function normalizeScope(scope: string): string {
  // A scope is host, port and path prefix: parts a URL parser would silently drop are refused.
  const rest = scope.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  if (/^[^/?#]*@/.test(rest)) {
    throw new SyntaxError(`Invalid scope "${scope}": userinfo (user@) is not part of a scope`);
  }
  if (/[?#]/.test(scope)) {
    throw new SyntaxError(
      `Invalid scope "${scope}": a scope is a host, port and path prefix, without ? or #`,
    );
  }
  const s = parseScope(scope);
  const host = s.host.includes(":") ? `[${s.host}]` : s.host;
  const port = s.port === defaultPort(s.scheme) ? "" : `:${s.port}`;
  return `${s.scheme}://${host}${port}${s.path}`;
}

function coverage(scope: string, url: URL): number {
  let s: ParsedScope;
  let u: ParsedScope;
  try {
    s = parseScope(scope);
    u = parseScope(url.href);
  } catch {
    return -1;
  }
  if (s.scheme !== u.scheme || s.host !== u.host || s.port !== u.port) return -1;
  if (s.path === "/") return 0;
  const path = url.pathname || "/";
  if (path === s.path || path.startsWith(s.path + "/")) return s.path.length;
  return -1;
}

/**
 * Whether `scope` covers `url`: same scheme, host and port (default 1965), and a path that
 * equals the scope's path prefix or continues it after a `/`.
 *
 * @example
 * ```ts
 * import { scopeCovers } from "./identities.ts";
 * import assert from "node:assert/strict";
 * const scope = "gemini://example.org/alice";
 * assert.ok(scopeCovers(scope, new URL("gemini://example.org/alice/x")));
 * assert.ok(!scopeCovers(scope, new URL("gemini://example.org/alice-bob")));
 * assert.ok(!scopeCovers(scope, new URL("gemini://example.org:1966/alice")));
 * ```
 */
export function scopeCovers(scope: string, url: URL): boolean {
  return coverage(scope, url) >= 0;
}

/**
 * The identity with the scope that covers `url` with the longest path prefix, if any (on a
 * tie, the first in `identities`).
 *
 * @example
 * ```ts
 * import { bestIdentity } from "./identities.ts";
 * import assert from "node:assert/strict";
 * const ids = [
 *   { name: "site", scopes: ["gemini://example.org/"] },
 *   { name: "alice", scopes: ["gemini://example.org/alice"] },
 * ];
 * assert.equal(bestIdentity(ids, new URL("gemini://example.org/alice/x"))?.name, "alice");
 * assert.equal(bestIdentity(ids, new URL("gemini://example.org/bob"))?.name, "site");
 * ```
 */
export function bestIdentity<T extends Pick<Identity, "scopes">>(
  identities: readonly T[],
  url: URL,
): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const identity of identities) {
    for (const scope of identity.scopes) {
      const score = coverage(scope, url);
      if (score > bestScore) {
        best = identity;
        bestScore = score;
      }
    }
  }
  return best;
}

/**
 * Whether a PEM private key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy
 * OpenSSL `Proc-Type: 4,ENCRYPTED` header).
 *
 * @example
 * ```ts
 * import { isEncryptedKey } from "./identities.ts";
 * import assert from "node:assert/strict";
 * assert.ok(!isEncryptedKey("-----BEGIN PRIVATE KEY-----\n"));
 * ```
 */
export function isEncryptedKey(pem: string): boolean {
  return pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
    /Proc-Type:\s*4,ENCRYPTED/.test(pem);
}

function readKey(pem: string, passphrase: string | undefined): KeyObject {
  const encrypted = isEncryptedKey(pem);
  if (encrypted && passphrase === undefined) {
    throw new PassphraseError("The private key is encrypted: a passphrase is needed");
  }
  try {
    return createPrivateKey({ key: pem, passphrase: encrypted ? passphrase : undefined });
  } catch (error) {
    if (encrypted) {
      throw new PassphraseError("Wrong passphrase for the encrypted private key", {
        cause: error,
      });
    }
    throw new SyntaxError("Cannot read the private key: not a PEM RSA, EC or Ed25519 key", {
      cause: error,
    });
  }
}

/**
 * Encrypts a private key (any PEM key the platform reads; `options.passphrase` if it is
 * already encrypted) as PKCS#8 with AES-256-CBC under `passphrase`.
 *
 * @example
 * ```ts
 * import { decryptKey, encryptKey } from "./identities.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { key } = await generateCertificate("me");
 * const locked = encryptKey(key, "secret");
 * assert.ok(locked.includes("ENCRYPTED PRIVATE KEY"));
 * assert.equal(decryptKey(locked, "secret"), key);
 * ```
 */
export function encryptKey(
  pem: string,
  passphrase: string,
  options: { passphrase?: string } = {},
): string {
  if (passphrase === "") throw new TypeError("The passphrase must not be empty");
  return readKey(pem, options.passphrase).export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase,
  }) as string;
}

/**
 * Decrypts an encrypted private key into unencrypted PKCS#8 PEM (an unencrypted key is
 * converted to PKCS#8 as is). Throws {@linkcode PassphraseError} for a wrong passphrase.
 *
 * @example
 * ```ts
 * import { decryptKey, encryptKey, PassphraseError } from "./identities.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const locked = encryptKey((await generateCertificate("me")).key, "secret");
 * try {
 *   decryptKey(locked, "wrong");
 * } catch (error) {
 *   assert.ok(error instanceof PassphraseError);
 * }
 * ```
 */
export function decryptKey(pem: string, passphrase: string): string {
  return readKey(pem, passphrase).export({ type: "pkcs8", format: "pem" }) as string;
}

/**
 * Reads any PEM private key (PKCS#8, SEC1, PKCS#1; encrypted with `passphrase`) and returns
 * it as unencrypted PKCS#8 PEM with its type (`ec`, `rsa`, `ed25519`...).
 *
 * @example
 * ```ts
 * import { toPkcs8 } from "./identities.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { key } = await generateCertificate("me", { keyAlgorithm: "ed25519" });
 * assert.equal(toPkcs8(key).type, "ed25519");
 * ```
 */
export function toPkcs8(pem: string, passphrase?: string): { key: string; type: string } {
  const key = readKey(pem, passphrase);
  return {
    key: key.export({ type: "pkcs8", format: "pem" }) as string,
    type: key.asymmetricKeyType ?? "unknown",
  };
}

/**
 * Builds an {@linkcode Identity} from PEM certificate and key, checking that the key belongs
 * to the certificate (an encrypted key needs `options.passphrase` for that check, or is
 * taken on trust with `options.passphrase` absent and `encrypted` set).
 *
 * @example
 * ```ts
 * import { makeIdentity } from "./identities.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { cert, key } = await generateCertificate("alice");
 * const id = makeIdentity("alice", { cert, key, scopes: ["example.org/alice"] });
 * assert.equal(id.scopes[0], "gemini://example.org/alice");
 * assert.ok(!id.encrypted);
 * ```
 */
export function makeIdentity(
  name: string,
  parts: {
    cert: string;
    key: string;
    scopes?: string[];
    created?: string;
    passphrase?: string;
  },
): Identity {
  checkIdentityName(name);
  const info = certificateInfo(parts.cert);
  const encrypted = isEncryptedKey(parts.key);
  if (!encrypted || parts.passphrase !== undefined) {
    const key = readKey(parts.key, parts.passphrase);
    if (spkiSha256(key) !== info.spkiSha256) {
      throw new TypeError(`The private key does not belong to the certificate of "${name}"`);
    }
  }
  return {
    name,
    cert: info.pem,
    key: parts.key,
    encrypted,
    scopes: [...new Set((parts.scopes ?? []).map(normalizeScope))],
    info,
    created: parts.created ?? new Date().toISOString(),
  };
}

function spkiSha256(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: "spki", format: "der" });
  return createHash("sha256").update(new Uint8Array(der)).digest("hex");
}

/** The metadata file of one identity, as parsed. */
interface IdentityMeta {
  created?: string;
  scopes: string[];
}

function parseMeta(text: string, file: string): IdentityMeta {
  const data = parseTomlFile(text, file);
  const scopes = data.scopes ?? [];
  if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== "string")) {
    throw new SyntaxError(`${file}: "scopes" must be an array of URL strings`);
  }
  for (const scope of scopes) {
    try {
      normalizeScope(scope);
    } catch (error) {
      throw new SyntaxError(`${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  const created = data.created;
  if (created !== undefined && typeof created !== "string" && !(created instanceof Date)) {
    throw new SyntaxError(`${file}: "created" must be an ISO 8601 time string`);
  }
  return {
    scopes: scopes as string[],
    created: created instanceof Date ? created.toISOString() : created as string | undefined,
  };
}

function formatMeta(identity: Identity): string {
  return "# gemini identity metadata; the certificate and key are in the .crt and .key files\n" +
    stringifyToml({
      created: identity.created,
      encrypted: identity.encrypted,
      scopes: identity.scopes,
    }) + "\n";
}

function readOptional(path: string): Promise<string | undefined> {
  return readTextIfExists(path, { wrapErrors: true });
}

/**
 * The identity store in a directory (three files per identity; see the module doc).
 *
 * @example
 * ```ts
 * import { FileIdentityStore, makeIdentity } from "./identities.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const store = new FileIdentityStore(dir);
 * const { cert, key } = await generateCertificate("alice");
 * await store.add(makeIdentity("alice", { cert, key, scopes: ["gemini://example.org/alice"] }));
 * const found = await store.forUrl(new URL("gemini://example.org/alice/inbox"));
 * assert.equal(found?.name, "alice");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileIdentityStore implements IdentityStore {
  /** The directory holding the identity files. */
  readonly dir: string;

  /** A store in `dir` (created on the first write). */
  constructor(dir: string) {
    this.dir = dir;
  }

  #file(name: string, ext: "crt" | "key" | "toml"): string {
    return join(this.dir, `${name}.${ext}`);
  }

  #lock<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(join(this.dir, "store"), fn);
  }

  async #load(name: string): Promise<Identity | undefined> {
    const certFile = this.#file(name, "crt");
    const cert = await readOptional(certFile);
    if (cert === undefined) return undefined;
    const keyFile = this.#file(name, "key");
    const key = await readOptional(keyFile);
    if (key === undefined) {
      throw new Error(`Identity "${name}": ${certFile} exists but its key ${keyFile} is missing`);
    }
    const metaFile = this.#file(name, "toml");
    const metaText = await readOptional(metaFile);
    const meta = metaText === undefined ? { scopes: [] } : parseMeta(metaText, metaFile);
    let info;
    try {
      info = certificateInfo(cert);
    } catch (error) {
      throw new SyntaxError(`${certFile}: not a PEM certificate`, { cause: error });
    }
    if (!/-----BEGIN (ENCRYPTED |RSA |EC )?PRIVATE KEY-----/.test(key)) {
      throw new SyntaxError(`${keyFile}: not a PEM private key`);
    }
    let created = meta.created;
    if (created === undefined) {
      const stat = await Deno.stat(certFile);
      created = (stat.mtime ?? new Date(0)).toISOString();
    }
    return {
      name,
      cert,
      key,
      encrypted: isEncryptedKey(key),
      scopes: meta.scopes.map(normalizeScope),
      info,
      created,
    };
  }

  async #write(identity: Identity): Promise<void> {
    await atomicWriteFile(this.#file(identity.name, "toml"), formatMeta(identity), {
      mode: 0o600,
    });
    await atomicWriteFile(this.#file(identity.name, "key"), identity.key, { mode: 0o600 });
    await atomicWriteFile(this.#file(identity.name, "crt"), identity.cert, { mode: 0o644 });
  }

  /** All identities, sorted by name. */
  async list(): Promise<Identity[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.dir)) {
        const m = /^(.+)\.crt$/.exec(entry.name);
        if (m && entry.isFile && NAME.test(m[1])) names.push(m[1]);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw new Error(`Cannot read the identity directory ${this.dir}: ${String(error)}`, {
        cause: error,
      });
    }
    names.sort();
    const identities: Identity[] = [];
    for (const name of names) {
      const identity = await this.#load(name);
      if (identity) identities.push(identity);
    }
    return identities;
  }

  /** One identity by name. */
  async get(name: string): Promise<Identity | undefined> {
    checkIdentityName(name);
    return await this.#load(name);
  }

  /** Adds a new identity; a `TypeError` if the name is taken. */
  async add(identity: Identity): Promise<void> {
    checkIdentityName(identity.name);
    await this.#lock(async () => {
      if (await readOptional(this.#file(identity.name, "crt")) !== undefined) {
        throw new TypeError(`An identity named "${identity.name}" already exists`);
      }
      await this.#write(identity);
    });
  }

  /** Replaces an existing identity; a `TypeError` if there is none by that name. */
  async update(identity: Identity): Promise<void> {
    checkIdentityName(identity.name);
    await this.#lock(async () => {
      if (await readOptional(this.#file(identity.name, "crt")) === undefined) {
        throw new TypeError(`No identity named "${identity.name}"`);
      }
      await this.#write(identity);
    });
  }

  /** Removes an identity's files; `true` when it existed. */
  async remove(name: string): Promise<boolean> {
    checkIdentityName(name);
    return await this.#lock(async () => {
      let existed = true;
      for (const ext of ["crt", "key", "toml"] as const) {
        try {
          await Deno.remove(this.#file(name, ext));
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
          if (ext === "crt") existed = false;
        }
      }
      return existed;
    });
  }

  /** The identity whose scope covers `url` with the longest path prefix, if any. */
  async forUrl(url: URL): Promise<Identity | undefined> {
    return bestIdentity(await this.list(), url);
  }
}

/**
 * Opens the identity store in the data directory (`identities/` in
 * {@linkcode Paths.dataDir}; `GEMINI_HOME` relocates it).
 *
 * @example
 * ```ts
 * import { openIdentityStore } from "./identities.ts";
 * import assert from "node:assert/strict";
 * const store = openIdentityStore({ configDir: "/tmp/c", dataDir: "/tmp/d", configFile: "" });
 * assert.equal(store.dir, "/tmp/d/identities");
 * ```
 */
export function openIdentityStore(
  paths: Paths = resolvePaths((name) => Deno.env.get(name)),
): FileIdentityStore {
  return new FileIdentityStore(join(paths.dataDir, "identities"));
}
