/**
 * `gemini cert`: identities (client certificates), server certificates and the trust store,
 * on the same files that `gemini get` and `gemini browse` use. This module dispatches to the
 * subcommand families: `./identities.ts`, `./server.ts` and `./hosts.ts`.
 *
 * @module
 */

import { resolvePaths } from "../../files/paths.ts";
import { openIdentityStore } from "../../client/identities.ts";
import { openKnownHosts } from "../../client/known_hosts.ts";
import { suggest, UsageError } from "../args.ts";
import type { CliIo } from "../io.ts";
import type { CertCommand, Context } from "./_command.ts";
import {
  decryptCommand,
  encryptCommand,
  exportCommand,
  importCommand,
  listCommand,
  newCommand,
  rmCommand,
  scopeCommand,
  showCommand,
} from "./identities.ts";
import { renewCommand, serverCommand } from "./server.ts";
import {
  hostsForgetCommand,
  hostsImportCommand,
  hostsListCommand,
  hostsTrustCommand,
} from "./hosts.ts";

const COMMANDS: Record<string, CertCommand> = {
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

const HOSTS: Record<string, CertCommand> = {
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

/** The subcommand that `args` name and the arguments that follow it, if any. */
function lookup(args: string[]): { command?: CertCommand; args: string[] } {
  const [first, ...rest] = args;
  if (first === "hosts" && rest[0] !== undefined && Object.hasOwn(HOSTS, rest[0])) {
    return { command: HOSTS[rest[0]], args: rest.slice(1) };
  }
  return { command: Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined, args: rest };
}

/**
 * Runs `gemini cert` with `args` (after `cert`) and returns its exit code: 0 on success,
 * 1 on failure, 2 on a usage error.
 *
 * @example
 * ```ts
 * import { main } from "./mod.ts";
 * import { memoryIo } from "../io.ts";
 * import assert from "node:assert/strict";
 * const io = memoryIo();
 * assert.equal(await main(["--help"], io), 0);
 * assert.match(io.stdout.text(), /^Usage: gemini cert /);
 * ```
 */
export async function main(args: string[], io: CliIo): Promise<number> {
  const first = args[0];
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    await io.stdout.write(certHelp());
    return first === undefined ? 2 : 0;
  }
  const { command, args: rest } = lookup(args);
  if (!command) {
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
    identities: openIdentityStore(paths),
    knownHosts: openKnownHosts(paths),
  };
  try {
    return await command.run(ctx, rest);
  } catch (error) {
    if (error instanceof UsageError) {
      await io.stderr.write(`${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    await io.stderr.write(`gemini cert: ${message}\n`);
    return 1;
  }
}
