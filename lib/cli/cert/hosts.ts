/**
 * `gemini cert hosts`: the trust store (known hosts) that `gemini get` and `gemini browse`
 * keep: list the pins, forget them, pin a server after looking at its certificate, import the
 * pins of other clients.
 *
 * @module
 */

import { basename } from "node:path";
import { formatHostPort, parseHostPort, pinFor, pinMatches } from "../../client/known_hosts.ts";
import { importKnownHosts } from "../../client/known_hosts_import.ts";
import type { KnownHost } from "../../client/types.ts";
import type { CertificateInfo } from "../../tls/certificate.ts";
import { dial } from "../../tls/dial.ts";
import { UsageError } from "../args.ts";
import {
  type CertCommand,
  certCommand,
  CertError,
  confirmOrYes,
  readFileText,
} from "./_command.ts";
import { day, describeCertificate, fp, table } from "./_format.ts";

/** A pin as the JSON of `hosts --json`. */
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

export const hostsListCommand: CertCommand = certCommand({
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
});

/** The host and port of a HOST[:PORT] argument (or a gemini:// URL). */
function hostArg(text: string): { host: string; port: number } {
  try {
    return parseHostPort(text);
  } catch (error) {
    throw new UsageError(`gemini cert hosts: ${(error as Error).message}`);
  }
}

export const hostsForgetCommand: CertCommand = certCommand({
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
});

export const hostsTrustCommand: CertCommand = certCommand({
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
});

export const hostsImportCommand: CertCommand = certCommand({
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
      result = importKnownHosts(text, { format: from, file });
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
});
