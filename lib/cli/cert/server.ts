/**
 * `gemini cert` for server certificates: `server` makes a self-signed certificate and key,
 * `renew` issues a new certificate with the same key.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { atomicWriteFile } from "../../files/atomic.ts";
import { isEncryptedKey } from "../../client/identities.ts";
import { normalizeHost } from "../../client/known_hosts.ts";
import {
  type CertificateInfo,
  certificateInfo,
  generateCertificate,
  renewCertificate,
} from "../../tls/certificate.ts";
import { UsageError } from "../args.ts";
import { type CertCommand, certCommand, CertError, passphrase, readFileText } from "./_command.ts";
import { day, fp, KEY_NAMES } from "./_format.ts";
import { days, DAYS_OPTION, KEY_OPTION, keyAlgorithm } from "./_options.ts";
import { PASSPHRASE_ENV } from "../../client/identities.ts";

/** What a renewal with the same key means for visitors, after `renew` and in its help. */
const RENEW_EXPLANATION =
  `The SPKI fingerprint is unchanged: clients that pin the public key (Lagrange, Amfora,
Kristall, gemini) accept the renewed certificate without a warning. The certificate
fingerprint changed: clients that pin the whole certificate (gmni, Telescope, Offpunk,
Bombadillo) will warn their users that the certificate changed, unless the certificate
they pinned has already expired.
`;

export const serverCommand: CertCommand = certCommand({
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
    const dir = resolve(values.out ?? ".");
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
});

/** Whether something (a file, a link, a folder) is at `path`. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

export const renewCommand: CertCommand = certCommand({
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
    if (values.key === undefined) {
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
    const target = values.out ?? certFile;
    await atomicWriteFile(target, renewed.cert, { mode: 0o644 });
    await ctx.io.stdout.write(
      `Wrote ${target}, valid until ${day(renewed.info.notAfter)} (same key)\n` +
        `  SPKI SHA-256:        ${fp(renewed.info.spkiSha256)} (unchanged)\n` +
        `  certificate SHA-256: ${fp(renewed.info.certSha256)}\n` +
        `          (was         ${fp(old.certSha256)})\n\n` + RENEW_EXPLANATION,
    );
    return 0;
  },
});
