/**
 * The top-level command: `gemini <command> [options]`. Dispatches to one module per
 * subcommand (loaded on demand, so `gemini get` never loads the server) and maps errors to
 * exit codes. Only `cli.ts` exits the process.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { type CliIo, processIo } from "./io.ts";
import { suggest, UsageError } from "./args.ts";

/** The toolkit's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** A subcommand: takes its arguments and the process streams, returns an exit code. */
export type Subcommand = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Subcommand> }> = {
  get: {
    summary: "fetch a URL and print it, save it or report it as JSON",
    load: async () => (await import("./get.ts")).main,
  },
  browse: {
    summary: "read Gemini space in an interactive terminal browser",
    load: async () => (await import("./browse.ts")).main,
  },
  serve: {
    summary: "serve a capsule (static files, virtual hosts, CGI, Titan)",
    load: async () => (await import("./serve.ts")).main,
  },
  cert: {
    summary: "manage identities, server certificates and the trust store",
    load: async () => (await import("./cert/mod.ts")).main,
  },
};

function topHelp(): string {
  const lines = [
    `gemini ${VERSION}: a toolkit for the Gemini protocol`,
    "",
    "Usage: gemini <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     Show this help (or `gemini <command> --help` for a command)",
    "  -V, --version  Show the version",
    "",
    "Files live in $XDG_CONFIG_HOME/gemini and $XDG_DATA_HOME/gemini;",
    "GEMINI_HOME relocates both (to $GEMINI_HOME/config and $GEMINI_HOME/data).",
  ];
  return lines.join("\n") + "\n";
}

/**
 * Runs the CLI with `args` (without the program name) and returns the exit code.
 *
 * @example
 * ```ts
 * import { run, VERSION } from "./run.ts";
 * import { memoryIo } from "./io.ts";
 * import assert from "node:assert/strict";
 * const io = memoryIo();
 * assert.equal(await run(["--version"], io), 0);
 * assert.equal(io.stdout.text(), `gemini ${VERSION}\n`);
 * ```
 */
export async function run(args: string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0])) {
      return await run([rest[0], "--help"], io);
    }
    await io.stdout.write(topHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version" || first === "version") {
    await io.stdout.write(`gemini ${VERSION}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!command) {
    const hint = suggest(first, Object.keys(COMMANDS));
    await io.stderr.write(
      `gemini: unknown command "${first}"` +
        (hint ? ` (did you mean "${hint}"?)\n` : "; see gemini --help\n"),
    );
    return 2;
  }
  try {
    const main = await command.load();
    return await main(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      await io.stderr.write(`${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    await io.stderr.write(`gemini ${first}: ${message}\n`);
    return 1;
  }
}
