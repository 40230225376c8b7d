/**
 * `gemini cert`: identities (client certificates), server certificates and the trust store,
 * on the same files that `gemini get` and `gemini browse` use.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { atomicWriteFile } from "../files/atomic.ts";
import { resolvePaths } from "../files/paths.ts";
import {
  type CertificateInfo,
  certificateInfo,
  formatFingerprint,
  generateCertificate,
  type KeyAlgorithm,
  renewCertificate,
} from "../tls/certificate.ts";
import { dial } from "../tls/dial.ts";
import {
  checkIdentityName,
  decryptKey,
  encryptKey,
  FileIdentityStore,
  isEncryptedKey,
  makeIdentity,
  normalizeScope,
  openIdentityStore,
  PASSPHRASE_ENV,
  PassphraseError,
  toPkcs8,
} from "../client/identities.ts";
import {
  FileKnownHosts,
  formatHostPort,
  normalizeHost,
  openKnownHosts,
  parseHostPort,
  pinFor,
  pinMatches,
} from "../client/known_hosts.ts";
import { importKnownHosts, type KnownHostsFormat } from "../client/known_hosts_import.ts";
import type { Identity, KnownHost } from "../client/types.ts";
import {
  type CommandSpec,
  formatHelp,
  type OptionSpec,
  parseCommand,
  suggest,
  UsageError,
} from "./args.ts";
import type { CliIo } from "./io.ts";

/** Default validity of identities and server certificates, in days (about ten years). */
const DEFAULT_DAYS = 3650;

const KEY_NAMES: Record<string, string> = {
  ec: "ECDSA P-256",
  rsa: "RSA",
  ed25519: "Ed25519",
};

const PASSPHRASE_FOOTER = `Environment:
  ${PASSPHRASE_ENV}  passphrase for encrypted identity keys when there is no
                              terminal to ask on (it is used, when set, instead of asking)
  GEMINI_HOME                 relocates the files ($GEMINI_HOME/data/identities/)`;

// Options several subcommands share.
const SCOPE_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  value: "URL",
  description: "use it for URLs under gemini://host[:port]/path",
};
const DAYS_OPTION: OptionSpec = {
  type: "string",
  value: "N",
  description: `validity in days (default ${DEFAULT_DAYS})`,
};
const KEY_OPTION: OptionSpec = {
  type: "string",
  value: "TYPE",
  description: "ec (default, P-256), rsa or ed25519",
};

/** What every subcommand gets: the io, the stores and a way to ask questions. */
interface Context {
  io: CliIo;
  input: Input;
  identities: FileIdentityStore;
  knownHosts: FileKnownHosts;
}

/** A subcommand of `gemini cert`. */
interface Sub {
  spec: CommandSpec;
  run(ctx: Context, values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

// ---------------------------------------------------------------------------------------
// Reading answers and passphrases

/** Line input from the CLI's stdin, shared by all prompts of one run. */
class Input {
  #io: CliIo;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #buffer = new Uint8Array(0);
  #done = false;

  constructor(io: CliIo) {
    this.#io = io;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    this.#reader ??= this.#io.stdin.getReader();
    const { value, done } = await this.#reader.read();
    if (done || !value) {
      this.#done = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + value.length);
    joined.set(this.#buffer);
    joined.set(value, this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  /** The next line without its end, `null` at the end of input. Handles raw-mode keys. */
  async readLine(): Promise<string | null> {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      const end = this.#buffer.findIndex((b) => b === 10 || b === 13 || b === 3 || b === 4);
      if (end >= 0) {
        const byte = this.#buffer[end];
        const line = this.#buffer.subarray(0, end);
        let next = end + 1;
        if (byte === 13 && this.#buffer[next] === 10) next++;
        this.#buffer = this.#buffer.subarray(next);
        if (byte === 3) throw new Error("Interrupted");
        if (byte === 4 && line.length === 0) return null;
        return editKeys(new TextDecoder().decode(line));
      }
      if (!(await this.#fill())) {
        if (this.#buffer.length === 0) return null;
        const rest = new TextDecoder().decode(this.#buffer);
        this.#buffer = new Uint8Array(0);
        return editKeys(rest);
      }
    }
    throw new Error("Input line too long");
  }

  release(): void {
    this.#reader?.releaseLock();
  }
}

/** Applies backspace (DEL or BS) keys typed in raw mode. */
function editKeys(line: string): string {
  let out = "";
  for (const ch of line) {
    if (ch === "\x7f" || ch === "\b") out = out.slice(0, -1);
    else out += ch;
  }
  return out;
}

async function ask(ctx: Context, question: string): Promise<boolean> {
  await ctx.io.stderr.write(`${question} [y/N] `);
  const answer = await ctx.input.readLine();
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
}

async function readHidden(ctx: Context, prompt: string): Promise<string | null> {
  await ctx.io.stderr.write(prompt);
  ctx.io.setRaw(true);
  try {
    return await ctx.input.readLine();
  } finally {
    ctx.io.setRaw(false);
    await ctx.io.stderr.write("\n");
  }
}

/**
 * A passphrase: from GEMINI_IDENTITY_PASSPHRASE when set, else asked on the terminal (twice
 * when `confirm`). Without either, a clear error.
 */
async function passphrase(ctx: Context, what: string, confirm: boolean): Promise<string> {
  const fromEnv = ctx.io.env(PASSPHRASE_ENV);
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!ctx.io.stdinIsTerminal) {
    throw new UsageError(
      `gemini cert: ${what} needs a passphrase: set ${PASSPHRASE_ENV} or run on a terminal`,
    );
  }
  const first = await readHidden(ctx, `Passphrase for ${what}: `);
  if (!first) throw new UsageError("gemini cert: no passphrase given");
  if (confirm) {
    const second = await readHidden(ctx, "Repeat the passphrase: ");
    if (second !== first) throw new UsageError("gemini cert: the passphrases do not match");
  }
  return first;
}

async function confirmOrYes(
  ctx: Context,
  yes: unknown,
  question: { ask: string; action: string },
): Promise<boolean> {
  if (yes === true) return true;
  if (!ctx.io.stdinIsTerminal) {
    throw new UsageError(
      `gemini cert: no terminal to ask on; add --yes to ${question.action}`,
    );
  }
  return await ask(ctx, question.ask);
}

// ---------------------------------------------------------------------------------------
// Output helpers

function fp(hex: string): string {
  return hex ? formatFingerprint(hex) : "-";
}

function day(date: Date | string | undefined): string {
  if (date === undefined) return "-";
  return (typeof date === "string" ? date : date.toISOString()).slice(0, 10);
}

function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")
      .trimEnd() + "\n"
  ).join("");
}

function identityJson(identity: Identity): Record<string, unknown> {
  return {
    name: identity.name,
    subject: identity.info.subject,
    keyType: identity.info.keyType,
    encrypted: identity.encrypted,
    spkiSha256: identity.info.spkiSha256,
    certSha256: identity.info.certSha256,
    notBefore: identity.info.notBefore.toISOString(),
    notAfter: identity.info.notAfter.toISOString(),
    scopes: identity.scopes,
    created: identity.created,
  };
}

function fingerprintLines(info: CertificateInfo, indent = "  "): string {
  return `${indent}SPKI SHA-256:        ${fp(info.spkiSha256)}\n` +
    `${indent}certificate SHA-256: ${fp(info.certSha256)}\n`;
}

function describeCertificate(info: CertificateInfo): string {
  const names = info.altNames.length ? info.altNames.join(", ") : "(none)";
  return `  subject:             ${info.subject}\n` +
    `  issuer:              ${info.selfSigned ? "self-signed" : info.issuer}\n` +
    `  alternative names:   ${names}\n` +
    `  key:                 ${KEY_NAMES[info.keyType] ?? info.keyType}\n` +
    `  valid:               ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}\n` +
    fingerprintLines(info);
}

function keyAlgorithm(value: unknown): KeyAlgorithm {
  const key = (value ?? "ec") as string;
  if (key !== "ec" && key !== "rsa" && key !== "ed25519") {
    throw new UsageError(`gemini cert: --key must be ec, rsa or ed25519, not "${key}"`);
  }
  return key;
}

function days(value: unknown): number {
  if (value === undefined) return DEFAULT_DAYS;
  const n = Number(value);
  if (!/^\d+$/.test(String(value)) || n < 1 || n > 36_500) {
    throw new UsageError(`gemini cert: --days must be a whole number from 1 to 36500`);
  }
  return n;
}

function scopes(value: unknown): string[] {
  const list = (value ?? []) as string[];
  return list.map((s) => {
    try {
      return normalizeScope(s);
    } catch (error) {
      throw new UsageError(`gemini cert: ${(error as Error).message}`);
    }
  });
}

async function needIdentity(ctx: Context, name: string): Promise<Identity> {
  const identity = await ctx.identities.get(name).catch((error) => {
    if (error instanceof TypeError) throw new UsageError(`gemini cert: ${error.message}`);
    throw error;
  });
  if (!identity) {
    const names = (await ctx.identities.list()).map((i) => i.name);
    const hint = suggest(name, names);
    throw new CertError(
      `no identity named "${name}"` + (hint ? ` (did you mean "${hint}"?)` : "") +
        "; see gemini cert list",
    );
  }
  return identity;
}

/** Checks that `name` is a valid identity name that is not taken (`hint` ends that error). */
async function checkNewName(ctx: Context, name: string, hint = ""): Promise<void> {
  try {
    checkIdentityName(name);
  } catch (error) {
    throw new UsageError(`gemini cert: ${(error as Error).message}`);
  }
  if (await ctx.identities.get(name)) {
    throw new CertError(`an identity named "${name}" already exists${hint}`);
  }
}

/** A failure to report as `gemini cert: MESSAGE` with exit code 1. */
class CertError extends Error {}

async function readFileText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new CertError(`cannot read ${what} ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

// ---------------------------------------------------------------------------------------
// Identities

const newCommand: Sub = {
  spec: {
    name: "gemini cert new",
    usage: ["gemini cert new [options] NAME"],
    summary: "Create an identity (a client certificate and its key) and print its fingerprints.",
    options: {
      scope: SCOPE_OPTION,
      days: DAYS_OPTION,
      key: KEY_OPTION,
      cn: { type: "string", value: "TEXT", description: "common name (default: NAME)" },
      encrypt: { type: "boolean", description: "protect the key with a passphrase" },
    },
    positionals: { min: 1, max: 1 },
    examples: [
      "gemini cert new alice --scope gemini://example.org/~alice/",
      "gemini cert new work --key ed25519 --days 365 --encrypt",
    ],
    footer: PASSPHRASE_FOOTER,
  },
  async run(ctx, values, [name]): Promise<number> {
    await checkNewName(ctx, name, `; see gemini cert show ${name}`);
    const scopeList = scopes(values.scope);
    const algorithm = keyAlgorithm(values.key);
    const bundle = await generateCertificate((values.cn as string | undefined) ?? name, {
      keyAlgorithm: algorithm,
      days: days(values.days),
    });
    let key = bundle.key;
    if (values.encrypt) key = encryptKey(key, await passphrase(ctx, `"${name}"`, true));
    const identity = makeIdentity(name, { cert: bundle.cert, key, scopes: scopeList });
    await ctx.identities.add(identity);
    await ctx.io.stdout.write(
      `Created identity "${name}" (${KEY_NAMES[algorithm]}, valid until ${
        day(bundle.info.notAfter)
      }${identity.encrypted ? ", key encrypted" : ""})\n` +
        fingerprintLines(bundle.info) +
        `  scopes:              ${scopeList.length ? scopeList.join(", ") : "(none yet)"}\n` +
        `  files:               ${join(ctx.identities.dir, name)}.{crt,key,toml}\n`,
    );
    if (scopeList.length === 0) {
      await ctx.io.stdout.write(
        `Add where to use it: gemini cert scope add ${name} gemini://HOST/PATH\n`,
      );
    }
    return 0;
  },
};

const listCommand: Sub = {
  spec: {
    name: "gemini cert list",
    usage: ["gemini cert list [--json]"],
    summary: "List identities: name, expiry, SPKI fingerprint and scopes.",
    options: { json: { type: "boolean", description: "print a JSON array" } },
    positionals: { max: 0 },
    examples: ["gemini cert list", "gemini cert list --json | jq '.[].name'"],
  },
  async run(ctx, values): Promise<number> {
    const identities = await ctx.identities.list();
    if (values.json) {
      await ctx.io.stdout.write(JSON.stringify(identities.map(identityJson), null, 2) + "\n");
      return 0;
    }
    if (identities.length === 0) {
      await ctx.io.stderr.write("No identities yet; create one with gemini cert new NAME\n");
      return 0;
    }
    const rows = [["NAME", "EXPIRES", "SPKI SHA-256", "SCOPES"]];
    for (const id of identities) {
      rows.push([
        id.name + (id.encrypted ? " (encrypted)" : ""),
        day(id.info.notAfter),
        id.info.spkiSha256,
        id.scopes.join(" ") || "-",
      ]);
    }
    await ctx.io.stdout.write(table(rows));
    return 0;
  },
};

const showCommand: Sub = {
  spec: {
    name: "gemini cert show",
    usage: ["gemini cert show [--json] NAME"],
    summary: "Show one identity: certificate details, fingerprints, scopes and files.",
    options: {
      json: { type: "boolean", description: "print a JSON object" },
      pem: { type: "boolean", description: "print the certificate (PEM) only" },
    },
    positionals: { min: 1, max: 1 },
    examples: ["gemini cert show alice", "gemini cert show alice --pem | openssl x509 -text"],
  },
  async run(ctx, values, [name]): Promise<number> {
    const identity = await needIdentity(ctx, name);
    if (values.pem) {
      await ctx.io.stdout.write(identity.cert);
    } else if (values.json) {
      await ctx.io.stdout.write(JSON.stringify(identityJson(identity), null, 2) + "\n");
    } else {
      await ctx.io.stdout.write(
        `Identity "${identity.name}"\n` + describeCertificate(identity.info) +
          `  key encrypted:       ${identity.encrypted ? "yes" : "no"}\n` +
          `  created:             ${identity.created}\n` +
          `  scopes:              ${
            identity.scopes.join("\n                       ") || "(none)"
          }\n` +
          `  files:               ${join(ctx.identities.dir, name)}.{crt,key,toml}\n`,
      );
    }
    return 0;
  },
};

const scopeCommand: Sub = {
  spec: {
    name: "gemini cert scope",
    usage: ["gemini cert scope add NAME URL...", "gemini cert scope rm NAME URL..."],
    summary: "Add or remove the URL scopes an identity is used for. A scope is " +
      "gemini://host[:port]/path-prefix and covers whole path segments: /alice covers " +
      "/alice and /alice/x, not /alice-bob.",
    options: {},
    positionals: { min: 3 },
    examples: [
      "gemini cert scope add alice gemini://example.org/~alice/",
      "gemini cert scope rm alice gemini://example.org/~alice/",
    ],
  },
  async run(ctx, _values, [action, name, ...urls]): Promise<number> {
    if (action !== "add" && action !== "rm") {
      throw new UsageError(`gemini cert scope: expected add or rm, not "${action}"`);
    }
    const identity = await needIdentity(ctx, name);
    const given = scopes(urls);
    let next: string[];
    if (action === "add") {
      next = [...new Set([...identity.scopes, ...given])];
    } else {
      const missing = given.filter((s) => !identity.scopes.includes(s));
      if (missing.length) {
        throw new CertError(
          `"${name}" has no scope ${missing.join(", ")} (its scopes: ${
            identity.scopes.join(", ") || "none"
          })`,
        );
      }
      next = identity.scopes.filter((s) => !given.includes(s));
    }
    await ctx.identities.update({ ...identity, scopes: next });
    await ctx.io.stdout.write(
      `Scopes of "${name}": ${next.length ? next.join(", ") : "(none)"}\n`,
    );
    return 0;
  },
};

const rmCommand: Sub = {
  spec: {
    name: "gemini cert rm",
    usage: ["gemini cert rm [--yes] NAME"],
    summary: "Delete an identity (certificate, key and scopes). Asks first on a terminal; " +
      "without one, --yes is required.",
    options: { yes: { type: "boolean", short: "y", description: "do not ask" } },
    positionals: { min: 1, max: 1 },
    examples: ["gemini cert rm old-account", "gemini cert rm old-account --yes"],
  },
  async run(ctx, values, [name]): Promise<number> {
    const identity = await needIdentity(ctx, name);
    const question = {
      ask: `Delete identity "${name}" (SPKI ${
        fp(identity.info.spkiSha256).slice(0, 23)
      }...)? Servers will no longer recognize you.`,
      action: `delete "${name}"`,
    };
    if (!(await confirmOrYes(ctx, values.yes, question))) {
      await ctx.io.stderr.write("Nothing deleted\n");
      return 1;
    }
    await ctx.identities.remove(name);
    await ctx.io.stdout.write(`Deleted identity "${name}"\n`);
    return 0;
  },
};

const exportCommand: Sub = {
  spec: {
    name: "gemini cert export",
    usage: ["gemini cert export [--out FILE] NAME"],
    summary: "Print (or save) an identity as PEM: the certificate followed by the private key " +
      "(still encrypted if it is). A saved file gets mode 0600.",
    options: {
      out: { type: "string", short: "o", value: "FILE", description: "write to FILE" },
    },
    positionals: { min: 1, max: 1 },
    examples: ["gemini cert export alice --out alice.pem", "gemini cert export alice > alice.pem"],
  },
  async run(ctx, values, [name]): Promise<number> {
    const identity = await needIdentity(ctx, name);
    const pem = identity.cert.trimEnd() + "\n" + identity.key.trimEnd() + "\n";
    if (typeof values.out === "string") {
      await atomicWriteFile(values.out, pem, { mode: 0o600 });
      await ctx.io.stderr.write(`Wrote ${values.out} (certificate and key, mode 0600)\n`);
    } else {
      await ctx.io.stdout.write(pem);
    }
    return 0;
  },
};

const importCommand: Sub = {
  spec: {
    name: "gemini cert import",
    usage: ["gemini cert import [options] NAME CERT [KEY]"],
    summary: "Add an identity from PEM files: CERT holds the certificate, KEY the private key " +
      "(RSA, EC or Ed25519; PKCS#8, PKCS#1 or SEC1; encrypted PKCS#8 with its passphrase). " +
      "Without KEY, the key is read from CERT (as written by gemini cert export). An " +
      "encrypted key stays encrypted.",
    options: {
      scope: SCOPE_OPTION,
      encrypt: { type: "boolean", description: "encrypt an unencrypted key with a passphrase" },
    },
    positionals: { min: 2, max: 3 },
    examples: [
      "gemini cert import alice alice.crt alice.key --scope gemini://example.org/",
      "gemini cert import bob bob.pem",
    ],
    footer: PASSPHRASE_FOOTER,
  },
  async run(ctx, values, [name, certFile, keyFile]): Promise<number> {
    await checkNewName(ctx, name);
    const certText = await readFileText(certFile, "the certificate");
    const keyText = keyFile ? await readFileText(keyFile, "the key") : certText;
    const certBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(
      certText,
    );
    if (!certBlock) throw new CertError(`${certFile} holds no PEM certificate`);
    const keyBlock = /-----BEGIN ((?:ENCRYPTED |RSA |EC )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/
      .exec(
        keyText,
      );
    if (!keyBlock) throw new CertError(`${keyFile ?? certFile} holds no PEM private key`);
    let key: string;
    let type: string;
    let secret: string | undefined;
    if (isEncryptedKey(keyBlock[0])) {
      secret = await passphrase(ctx, `the key in ${keyFile ?? certFile}`, false);
      try {
        ({ type } = toPkcs8(keyBlock[0], secret));
      } catch (error) {
        throw new CertError((error as Error).message, { cause: error });
      }
      key = encryptKey(keyBlock[0], secret, { passphrase: secret });
    } else {
      try {
        ({ key, type } = toPkcs8(keyBlock[0]));
      } catch (error) {
        throw new CertError(`${keyFile ?? certFile}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (values.encrypt) {
        secret = await passphrase(ctx, `"${name}"`, true);
        key = encryptKey(key, secret);
      }
    }
    if (!["ec", "rsa", "ed25519"].includes(type)) {
      throw new CertError(`unsupported key type ${type} (use RSA, EC or Ed25519)`);
    }
    let identity: Identity;
    try {
      identity = makeIdentity(name, {
        cert: certBlock[0] + "\n",
        key,
        scopes: scopes(values.scope),
        passphrase: secret,
      });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new CertError((error as Error).message, { cause: error });
    }
    await ctx.identities.add(identity);
    await ctx.io.stdout.write(
      `Imported identity "${name}" (${KEY_NAMES[type] ?? type}${
        identity.encrypted ? ", key encrypted" : ""
      }, valid until ${day(identity.info.notAfter)})\n` + fingerprintLines(identity.info),
    );
    return 0;
  },
};

const encryptCommand: Sub = {
  spec: {
    name: "gemini cert encrypt",
    usage: ["gemini cert encrypt NAME"],
    summary: "Protect an identity's private key with a passphrase (PKCS#8, AES-256-CBC). " +
      "gemini get asks for it once when it needs the key.",
    options: {},
    positionals: { min: 1, max: 1 },
    examples: ["gemini cert encrypt alice"],
    footer: PASSPHRASE_FOOTER,
  },
  async run(ctx, _values, [name]): Promise<number> {
    const identity = await needIdentity(ctx, name);
    if (identity.encrypted) throw new CertError(`the key of "${name}" is already encrypted`);
    const key = encryptKey(identity.key, await passphrase(ctx, `"${name}"`, true));
    await ctx.identities.update({ ...identity, key, encrypted: true });
    await ctx.io.stdout.write(`Encrypted the key of "${name}"\n`);
    return 0;
  },
};

const decryptCommand: Sub = {
  spec: {
    name: "gemini cert decrypt",
    usage: ["gemini cert decrypt NAME"],
    summary: "Remove the passphrase from an identity's private key.",
    options: {},
    positionals: { min: 1, max: 1 },
    examples: ["gemini cert decrypt alice"],
    footer: PASSPHRASE_FOOTER,
  },
  async run(ctx, _values, [name]): Promise<number> {
    const identity = await needIdentity(ctx, name);
    if (!identity.encrypted) throw new CertError(`the key of "${name}" is not encrypted`);
    let key: string;
    try {
      key = decryptKey(identity.key, await passphrase(ctx, `"${name}"`, false));
    } catch (error) {
      if (error instanceof PassphraseError) throw new CertError(error.message, { cause: error });
      throw error;
    }
    await ctx.identities.update({ ...identity, key, encrypted: false });
    await ctx.io.stdout.write(`Removed the passphrase from the key of "${name}"\n`);
    return 0;
  },
};

// ---------------------------------------------------------------------------------------
// Server certificates

const RENEW_EXPLANATION =
  `The SPKI fingerprint is unchanged: clients that pin the public key (Lagrange, Amfora,
Kristall, gemini) accept the renewed certificate without a warning. The certificate
fingerprint changed: clients that pin the whole certificate (gmni, Telescope, Offpunk,
Bombadillo) will warn their users that the certificate changed, unless the certificate
they pinned has already expired.
`;

const serverCommand: Sub = {
  spec: {
    name: "gemini cert server",
    usage: ["gemini cert server [options] HOST..."],
    summary: "Create a self-signed server certificate for HOST (the common name) and every " +
      "further HOST (alternative names; IP addresses allowed). Writes DIR/HOST.crt and " +
      "DIR/HOST.key (mode 0600) and prints the fingerprints visitors will see.",
    options: {
      out: {
        type: "string",
        short: "o",
        value: "DIR",
        description: "directory to write to (default: the current directory)",
      },
      days: DAYS_OPTION,
      key: KEY_OPTION,
      force: { type: "boolean", description: "overwrite existing files" },
    },
    positionals: { min: 1 },
    examples: [
      "gemini cert server example.org www.example.org --out /etc/gemini",
      "gemini cert server localhost 127.0.0.1 ::1 --days 30",
    ],
  },
  async run(ctx, values, hosts): Promise<number> {
    const names = hosts.map((h) => normalizeHost(h));
    if (names.some((n) => !n || /[\s/\\]/.test(n))) {
      throw new UsageError(`gemini cert server: invalid host name in ${hosts.join(" ")}`);
    }
    const dir = resolve(typeof values.out === "string" ? values.out : ".");
    const base = names[0].replace(/:/g, "_");
    const certFile = join(dir, `${base}.crt`);
    const keyFile = join(dir, `${base}.key`);
    if (!values.force) {
      for (const file of [certFile, keyFile]) {
        if (await exists(file)) throw new CertError(`${file} exists; add --force to replace it`);
      }
    }
    const algorithm = keyAlgorithm(values.key);
    const bundle = await generateCertificate(names[0], {
      altNames: names,
      keyAlgorithm: algorithm,
      days: days(values.days),
    });
    await atomicWriteFile(keyFile, bundle.key, { mode: 0o600 });
    await atomicWriteFile(certFile, bundle.cert, { mode: 0o644 });
    await ctx.io.stdout.write(
      `Wrote ${certFile}\n  and ${keyFile} (mode 0600)\n` +
        `${KEY_NAMES[algorithm]} certificate for ${names.join(", ")}, valid until ${
          day(bundle.info.notAfter)
        }\n` +
        `Visitors will see:\n` +
        `  SPKI SHA-256 (pinned by Lagrange, Amfora, gemini):      ${
          fp(bundle.info.spkiSha256)
        }\n` +
        `  certificate SHA-256 (pinned by gmni, Telescope, AV-98): ${fp(bundle.info.certSha256)}\n`,
    );
    return 0;
  },
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

const renewCommand: Sub = {
  spec: {
    name: "gemini cert renew",
    usage: ["gemini cert renew [options] CERTFILE --key KEYFILE"],
    summary: "Issue a new certificate with the SAME key as CERTFILE, keeping its names, and " +
      "replace CERTFILE (or write --out). Visitors that pin the public key see no change.",
    options: {
      key: { type: "string", value: "KEYFILE", description: "the certificate's private key" },
      days: DAYS_OPTION,
      out: {
        type: "string",
        short: "o",
        value: "FILE",
        description: "write the new certificate here (default: replace CERTFILE)",
      },
    },
    positionals: { min: 1, max: 1 },
    examples: [
      "gemini cert renew example.org.crt --key example.org.key",
      "gemini cert renew old.crt --key old.key --days 365 --out new.crt",
    ],
    footer: `Environment:\n  ${PASSPHRASE_ENV}  passphrase of an encrypted KEYFILE\n\n` +
      RENEW_EXPLANATION,
  },
  async run(ctx, values, [certFile]): Promise<number> {
    if (typeof values.key !== "string") {
      throw new UsageError("gemini cert renew: --key KEYFILE is required");
    }
    const cert = await readFileText(certFile, "the certificate");
    const key = await readFileText(values.key, "the key");
    let old: CertificateInfo;
    try {
      old = certificateInfo(cert);
    } catch (error) {
      throw new CertError(`${certFile}: ${(error as Error).message}`, { cause: error });
    }
    const secret = isEncryptedKey(key) ? await passphrase(ctx, values.key, false) : undefined;
    let renewed;
    try {
      renewed = await renewCertificate(cert, key, { days: days(values.days), passphrase: secret });
    } catch (error) {
      throw new CertError(`cannot renew ${certFile}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const target = typeof values.out === "string" ? values.out : certFile;
    await atomicWriteFile(target, renewed.cert, { mode: 0o644 });
    await ctx.io.stdout.write(
      `Wrote ${target}, valid until ${day(renewed.info.notAfter)} (same key)\n` +
        `  SPKI SHA-256:        ${fp(renewed.info.spkiSha256)} (unchanged)\n` +
        `  certificate SHA-256: ${fp(renewed.info.certSha256)}\n` +
        `          (was         ${fp(old.certSha256)})\n\n` + RENEW_EXPLANATION,
    );
    return 0;
  },
};

// ---------------------------------------------------------------------------------------
// Trust store

function hostJson(entry: KnownHost): Record<string, unknown> {
  return {
    host: entry.host,
    port: entry.port,
    pin: entry.pin,
    spkiSha256: entry.spkiSha256 || null,
    certSha256: entry.certSha256 || null,
    ...(entry.certSha512 ? { certSha512: entry.certSha512 } : {}),
    notAfter: entry.notAfter ?? null,
    firstSeen: entry.firstSeen,
    lastSeen: entry.lastSeen,
  };
}

const hostsListCommand: Sub = {
  spec: {
    name: "gemini cert hosts",
    usage: [
      "gemini cert hosts [--json]",
      "gemini cert hosts forget HOST[:PORT]...",
      "gemini cert hosts trust [--yes] HOST[:PORT]",
      "gemini cert hosts import --from lagrange|gmni|amfora|telescope FILE",
    ],
    summary: "The trust store (known hosts): servers whose certificate key is pinned. " +
      "Without a subcommand, list the pins: host:port, pin, fingerprint, expiry, first and " +
      "last seen.",
    options: { json: { type: "boolean", description: "print a JSON array" } },
    positionals: { max: 0 },
    examples: ["gemini cert hosts", "gemini cert hosts --json", "gemini cert hosts forget --help"],
  },
  async run(ctx, values): Promise<number> {
    const entries = await ctx.knownHosts.list();
    if (values.json) {
      await ctx.io.stdout.write(JSON.stringify(entries.map(hostJson), null, 2) + "\n");
      return 0;
    }
    if (entries.length === 0) {
      await ctx.io.stderr.write(`No known hosts yet (${ctx.knownHosts.path})\n`);
      return 0;
    }
    const rows = [["HOST:PORT", "PIN", "FINGERPRINT (SHA-256)", "EXPIRES", "FIRST", "LAST"]];
    for (const e of entries) {
      const print = e.pin === "spki"
        ? e.spkiSha256
        : e.certSha256 || (e.certSha512 ? `sha512:${e.certSha512.slice(0, 32)}...` : "-");
      rows.push([
        formatHostPort(e.host, e.port),
        e.pin,
        print,
        day(e.notAfter),
        day(e.firstSeen),
        day(e.lastSeen),
      ]);
    }
    await ctx.io.stdout.write(table(rows));
    return 0;
  },
};

function hostArg(text: string): { host: string; port: number } {
  try {
    return parseHostPort(text);
  } catch (error) {
    throw new UsageError(`gemini cert hosts: ${(error as Error).message}`);
  }
}

const hostsForgetCommand: Sub = {
  spec: {
    name: "gemini cert hosts forget",
    usage: ["gemini cert hosts forget HOST[:PORT]..."],
    summary: "Remove the pins of servers (port 1965 unless given; a gemini:// URL names its " +
      "host and port); the next visit pins whatever certificate the server presents.",
    options: {},
    positionals: { min: 1 },
    examples: ["gemini cert hosts forget example.org", "gemini cert hosts forget [::1]:1966"],
  },
  async run(ctx, _values, hosts): Promise<number> {
    let missing = 0;
    for (const text of hosts) {
      const { host, port } = hostArg(text);
      if (await ctx.knownHosts.remove(host, port)) {
        await ctx.io.stdout.write(`Forgot ${formatHostPort(host, port)}\n`);
      } else {
        missing++;
        await ctx.io.stderr.write(`gemini cert: ${formatHostPort(host, port)} is not known\n`);
      }
    }
    return missing ? 1 : 0;
  },
};

const hostsTrustCommand: Sub = {
  spec: {
    name: "gemini cert hosts trust",
    usage: ["gemini cert hosts trust [--yes] HOST[:PORT]"],
    summary: "Connect to a server, show its certificate and pin it (replacing any pin). Asks " +
      "first on a terminal; without one, --yes is required.",
    options: {
      yes: { type: "boolean", short: "y", description: "pin without asking" },
      timeout: {
        type: "string",
        value: "SECONDS",
        description: "connection timeout (default 15)",
      },
    },
    positionals: { min: 1, max: 1 },
    examples: [
      "gemini cert hosts trust example.org",
      "gemini cert hosts trust 127.0.0.1:1966 --yes",
    ],
  },
  async run(ctx, values, [text]): Promise<number> {
    const { host, port } = hostArg(text);
    const timeout = values.timeout === undefined ? 15 : Number(values.timeout);
    if (!(timeout > 0)) throw new UsageError("gemini cert hosts trust: --timeout must be > 0");
    let info: CertificateInfo;
    try {
      const conn = await dial(host, { port, timeout: timeout * 1000 });
      info = conn.peerCertificate;
      conn.destroy();
    } catch (error) {
      throw new CertError((error as Error).message, { cause: error });
    }
    const previous = await ctx.knownHosts.get(host, port);
    const where = formatHostPort(host, port);
    let status = "not pinned yet";
    if (previous) {
      status = pinMatches(previous, info)
        ? `already pinned (since ${day(previous.firstSeen)}); the key matches`
        : `pinned to a DIFFERENT key since ${day(previous.firstSeen)} (${
          fp(previous.spkiSha256 || previous.certSha256)
        })`;
    }
    await ctx.io.stdout.write(
      `${where} presents:\n` + describeCertificate(info) +
        `  trust store:         ${status}\n`,
    );
    const question = { ask: `Pin this certificate's key for ${where}?`, action: `pin ${where}` };
    if (!(await confirmOrYes(ctx, values.yes, question))) {
      await ctx.io.stderr.write("Nothing pinned\n");
      return 1;
    }
    const keep = previous && pinMatches(previous, info) ? previous : undefined;
    await ctx.knownHosts.put(pinFor(info, { host, port, previous: keep }));
    await ctx.io.stdout.write(`Pinned ${where} (SPKI ${fp(info.spkiSha256)})\n`);
    return 0;
  },
};

const hostsImportCommand: Sub = {
  spec: {
    name: "gemini cert hosts import",
    usage: ["gemini cert hosts import --from lagrange|gmni|amfora|telescope [--replace] FILE"],
    summary: "Import the trusted servers of another client. Lagrange (trusted.2.txt) and " +
      "Amfora (tofu.toml) pin public keys, kept as spki pins; gmni and Telescope " +
      "(known_hosts) pin whole certificates, kept as cert pins and upgraded to spki pins on " +
      "the next visit whose certificate matches. Existing pins are kept unless --replace.",
    options: {
      from: {
        type: "string",
        value: "CLIENT",
        description: "the file's format: lagrange, gmni, amfora or telescope",
      },
      replace: { type: "boolean", description: "replace existing pins for the same host:port" },
    },
    positionals: { min: 1, max: 1 },
    examples: [
      "gemini cert hosts import --from lagrange ~/.config/lagrange/trusted.2.txt",
      "gemini cert hosts import --from gmni ~/.local/share/gmni/known_hosts",
      "gemini cert hosts import --from amfora ~/.cache/amfora/tofu.toml",
      "gemini cert hosts import --from telescope ~/.local/share/telescope/known_hosts",
    ],
  },
  async run(ctx, values, [file]): Promise<number> {
    const from = values.from;
    if (from !== "lagrange" && from !== "gmni" && from !== "amfora" && from !== "telescope") {
      throw new UsageError(
        "gemini cert hosts import: --from must be lagrange, gmni, amfora or telescope",
      );
    }
    const text = await readFileText(file, "the file");
    let result;
    try {
      result = importKnownHosts(text, { format: from as KnownHostsFormat, file });
    } catch (error) {
      throw new CertError((error as Error).message, { cause: error });
    }
    const existing = new Set(
      (await ctx.knownHosts.list()).map((e) => formatHostPort(e.host, e.port)),
    );
    const chosen = values.replace
      ? result.entries
      : result.entries.filter((e) => !existing.has(formatHostPort(e.host, e.port)));
    await ctx.knownHosts.putMany(chosen);
    const kept = result.entries.length - chosen.length;
    await ctx.io.stdout.write(
      `Imported ${chosen.length} ${chosen.length === 1 ? "pin" : "pins"} from ${basename(file)}` +
        (kept ? `; kept ${kept} existing (use --replace to overwrite)` : "") +
        (result.skipped.length ? `; skipped ${result.skipped.length}` : "") + "\n",
    );
    for (const why of result.skipped) await ctx.io.stderr.write(`  skipped ${why}\n`);
    return 0;
  },
};

// ---------------------------------------------------------------------------------------
// Dispatch

const COMMANDS: Record<string, Sub> = {
  new: newCommand,
  list: listCommand,
  show: showCommand,
  scope: scopeCommand,
  rm: rmCommand,
  export: exportCommand,
  import: importCommand,
  encrypt: encryptCommand,
  decrypt: decryptCommand,
  server: serverCommand,
  renew: renewCommand,
  hosts: hostsListCommand,
};

const HOSTS: Record<string, Sub> = {
  list: hostsListCommand,
  forget: hostsForgetCommand,
  trust: hostsTrustCommand,
  import: hostsImportCommand,
};

const SUMMARIES: [string, string][] = [
  ["new NAME", "create an identity (client certificate)"],
  ["list", "list identities"],
  ["show NAME", "show an identity"],
  ["scope add|rm NAME URL", "change where an identity is used"],
  ["rm NAME", "delete an identity"],
  ["export NAME", "print an identity as PEM"],
  ["import NAME CERT [KEY]", "add an identity from PEM files"],
  ["encrypt NAME", "protect an identity's key with a passphrase"],
  ["decrypt NAME", "remove the passphrase"],
  ["server HOST...", "create a server certificate and key"],
  ["renew CERTFILE --key KEY", "renew a server certificate with the same key"],
  ["hosts", "list the trust store (known hosts)"],
  ["hosts forget HOST[:PORT]", "remove a pin"],
  ["hosts trust HOST[:PORT]", "connect, show the certificate and pin it"],
  ["hosts import FILE --from X", "import pins from lagrange, gmni, amfora, telescope"],
];

function certHelp(): string {
  const width = Math.max(...SUMMARIES.map(([c]) => c.length));
  return [
    "Usage: gemini cert <command> [options]",
    "",
    "Manage identities (client certificates), server certificates and the trust store.",
    "",
    "Commands:",
    ...SUMMARIES.map(([c, s]) => `  ${c.padEnd(width)}  ${s}`),
    "",
    "Run gemini cert <command> --help for the options of each command.",
    "",
    "Files (GEMINI_HOME relocates them to $GEMINI_HOME/data):",
    "  $XDG_DATA_HOME/gemini/identities/NAME.{crt,key,toml}   identities",
    "  $XDG_DATA_HOME/gemini/known_hosts                      the trust store",
    "",
  ].join("\n");
}

/** Breaks `text` into lines of at most `width` characters at spaces. */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join("\n");
}

/**
 * Runs `gemini cert` with `args` (after `cert`) and returns its exit code: 0 on success,
 * 1 on failure, 2 on a usage error.
 *
 * @example
 * ```ts
 * import { main } from "./cert.ts";
 * import { memoryIo } from "./io.ts";
 * const io = memoryIo();
 * console.assert(await main(["--help"], io) === 0);
 * console.assert(io.stdout.text().includes("Usage: gemini cert"));
 * ```
 */
export async function main(args: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    await io.stdout.write(certHelp());
    return first === undefined ? 2 : 0;
  }
  let sub = COMMANDS[first];
  let subArgs = rest;
  if (first === "hosts" && rest[0] && rest[0] in HOSTS) {
    sub = HOSTS[rest[0]];
    subArgs = rest.slice(1);
  }
  if (!sub) {
    const hint = suggest(first, Object.keys(COMMANDS));
    await io.stderr.write(
      `gemini cert: unknown command "${first}"` +
        (hint ? ` (did you mean "${hint}"?)\n` : "; see gemini cert --help\n"),
    );
    return 2;
  }
  const paths = resolvePaths((name) => io.env(name));
  const ctx: Context = {
    io,
    input: new Input(io),
    identities: openIdentityStore(paths),
    knownHosts: openKnownHosts(paths),
  };
  try {
    const { values, positionals } = parseCommand(sub.spec, subArgs);
    if (values.help) {
      await io.stdout.write(formatHelp({ ...sub.spec, summary: wrapWords(sub.spec.summary, 90) }));
      return 0;
    }
    return await sub.run(ctx, values, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      await io.stderr.write(`${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    await io.stderr.write(`gemini cert: ${message}\n`);
    return 1;
  } finally {
    ctx.input.release();
  }
}
