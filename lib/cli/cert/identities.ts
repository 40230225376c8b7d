/**
 * `gemini cert` for identities (client certificates): new, list, show, scope, rm, export,
 * import, encrypt and decrypt, on the identity store that `gemini get` and `gemini browse`
 * use.
 *
 * @module
 */

import { join } from "node:path";
import { atomicWriteFile } from "../../files/atomic.ts";
import {
  checkIdentityName,
  decryptKey,
  encryptKey,
  isEncryptedKey,
  makeIdentity,
  PassphraseError,
  toPkcs8,
} from "../../client/identities.ts";
import type { Identity } from "../../client/types.ts";
import { generateCertificate } from "../../tls/certificate.ts";
import { suggest, UsageError } from "../args.ts";
import {
  type CertCommand,
  certCommand,
  CertError,
  confirmOrYes,
  type Context,
  passphrase,
  readFileText,
} from "./_command.ts";
import { day, describeCertificate, fingerprintLines, fp, KEY_NAMES, table } from "./_format.ts";
import {
  days,
  DAYS_OPTION,
  KEY_OPTION,
  keyAlgorithm,
  PASSPHRASE_FOOTER,
  SCOPE_OPTION,
  scopes,
} from "./_options.ts";

/** An identity as the JSON of `list --json` and `show --json`. */
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

/** The identity named `name`; an error that suggests a near name when there is none. */
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

export const newCommand: CertCommand = certCommand({
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
    const bundle = await generateCertificate(values.cn ?? name, {
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
});

export const listCommand: CertCommand = certCommand({
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
});

export const showCommand: CertCommand = certCommand({
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
});

export const scopeCommand: CertCommand = certCommand({
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
});

export const rmCommand: CertCommand = certCommand({
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
});

export const exportCommand: CertCommand = certCommand({
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
    if (values.out !== undefined) {
      await atomicWriteFile(values.out, pem, { mode: 0o600 });
      await ctx.io.stderr.write(`Wrote ${values.out} (certificate and key, mode 0600)\n`);
    } else {
      await ctx.io.stdout.write(pem);
    }
    return 0;
  },
});

/**
 * The key of `cert import` as it is stored: an encrypted key stays encrypted (its passphrase
 * is asked to check it); a plain one becomes PKCS#8, encrypted when `encrypt` asks for it.
 */
async function importedKey(
  ctx: Context,
  pem: string,
  from: { file: string; name: string; encrypt: boolean },
): Promise<{ key: string; type: string; secret?: string }> {
  if (isEncryptedKey(pem)) {
    const secret = await passphrase(ctx, `the key in ${from.file}`, false);
    let type: string;
    try {
      ({ type } = toPkcs8(pem, secret));
    } catch (error) {
      throw new CertError((error as Error).message, { cause: error });
    }
    return { key: encryptKey(pem, secret, { passphrase: secret }), type, secret };
  }
  let key: string;
  let type: string;
  try {
    ({ key, type } = toPkcs8(pem));
  } catch (error) {
    throw new CertError(`${from.file}: ${(error as Error).message}`, { cause: error });
  }
  if (!from.encrypt) return { key, type };
  const secret = await passphrase(ctx, `"${from.name}"`, true);
  return { key: encryptKey(key, secret), type, secret };
}

export const importCommand: CertCommand = certCommand({
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
      .exec(keyText);
    if (!keyBlock) throw new CertError(`${keyFile ?? certFile} holds no PEM private key`);
    const { key, type, secret } = await importedKey(ctx, keyBlock[0], {
      file: keyFile ?? certFile,
      name,
      encrypt: values.encrypt,
    });
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
});

export const encryptCommand: CertCommand = certCommand({
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
});

export const decryptCommand: CertCommand = certCommand({
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
});
