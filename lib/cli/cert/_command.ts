/**
 * What every `gemini cert` subcommand shares: the context it runs in (io and stores), its
 * definition (a spec whose parsed values reach `run` typed), the failure it reports with exit
 * code 1, and the questions it may ask on the terminal. Internal to `lib/cli/cert/`.
 *
 * @module
 */

import type { FileIdentityStore } from "../../client/identities.ts";
import { PASSPHRASE_ENV } from "../../client/identities.ts";
import type { FileKnownHosts } from "../../client/known_hosts.ts";
import {
  type CommandSpec,
  formatHelp,
  type OptionSpecs,
  parseCommand,
  type ParsedValues,
  UsageError,
} from "../args.ts";
import type { CliIo } from "../io.ts";
import { readLine } from "../prompt.ts";

/** What every subcommand gets: the io and the stores. */
export interface Context {
  /** The process streams and environment. */
  io: CliIo;
  /** The identities (client certificates). */
  identities: FileIdentityStore;
  /** The trust store. */
  knownHosts: FileKnownHosts;
}

/** A subcommand of `gemini cert`: its spec (for help) and a run on raw arguments. */
export interface CertCommand {
  /** Options, usage and help text. */
  spec: CommandSpec;
  /** Parses `args`, prints the help for `--help` or runs; returns the exit code. */
  run(ctx: Context, args: string[]): Promise<number>;
}

/** A subcommand as written: a spec and a run that gets the values typed from the spec. */
export interface CertCommandDefinition<O extends OptionSpecs> {
  /** Options, usage and help text. */
  spec: CommandSpec<O>;
  /** Runs with the parsed values and positional arguments; returns the exit code. */
  run(ctx: Context, values: ParsedValues<O>, positionals: string[]): Promise<number>;
}

/** A subcommand from its definition: `--help` prints its help, anything else runs it. */
export function certCommand<const O extends OptionSpecs>(
  definition: CertCommandDefinition<O>,
): CertCommand {
  const spec = definition.spec;
  return {
    spec,
    async run(ctx, args): Promise<number> {
      const { values, positionals } = parseCommand(spec, args);
      if (values.help) {
        await ctx.io.stdout.write(formatHelp({ ...spec, summary: wrapWords(spec.summary, 90) }));
        return 0;
      }
      return await definition.run(ctx, values, positionals);
    },
  };
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

/** A failure to report as `gemini cert: MESSAGE` with exit code 1. */
export class CertError extends Error {}

/** The text of a file the user named; a {@linkcode CertError} that says which when it fails. */
export async function readFileText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new CertError(`cannot read ${what} ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function ask(ctx: Context, question: string): Promise<boolean> {
  await ctx.io.stderr.write(`${question} [y/N] `);
  const answer = await readLine(ctx.io);
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
}

async function readHidden(ctx: Context, prompt: string): Promise<string | null> {
  await ctx.io.stderr.write(prompt);
  return await readLine(ctx.io, { hidden: true });
}

/**
 * A passphrase: from GEMINI_IDENTITY_PASSPHRASE when set, else asked on the terminal (twice
 * when `confirm`). Without either, a clear error.
 */
export async function passphrase(ctx: Context, what: string, confirm: boolean): Promise<string> {
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

/** `true` with `--yes`; else the answer to `question.ask`, which needs a terminal. */
export async function confirmOrYes(
  ctx: Context,
  yes: boolean,
  question: { ask: string; action: string },
): Promise<boolean> {
  if (yes) return true;
  if (!ctx.io.stdinIsTerminal) {
    throw new UsageError(
      `gemini cert: no terminal to ask on; add --yes to ${question.action}`,
    );
  }
  return await ask(ctx, question.ask);
}
