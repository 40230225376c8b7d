/**
 * Command-line parsing for the subcommands on top of `node:util` `parseArgs`: one spec per
 * command gives the parser, the `--help` text and "did you mean" suggestions for typos.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One option of a command. */
export interface OptionSpec {
  /** `boolean` for flags, `string` for options that take a value. */
  type: "boolean" | "string";
  /** One-letter alias, e.g. `o` for `-o`. */
  short?: string;
  /** Whether the option may be given more than once (values collected in an array). */
  multiple?: boolean;
  /** Placeholder for the value in the help text, e.g. `FILE`. Default `VALUE`. */
  value?: string;
  /** One line for the help text. Mention the default here. */
  description: string;
}

/** The options of a command, by long name (without `--`). */
export type OptionSpecs = Record<string, OptionSpec>;

/** Everything needed to parse a command's arguments and to print its help. */
export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** The command as typed, e.g. `gemini get`. */
  name: string;
  /** Usage lines without the leading `Usage:`, e.g. `gemini get [options] URL`. */
  usage: string[];
  /** One or two sentences on what the command does. */
  summary: string;
  /** The options, by long name (without `--`). `help` (`-h`) is added automatically. */
  options: O;
  /** Smallest and largest number of positional arguments. Default 0 and unlimited. */
  positionals?: { min?: number; max?: number };
  /** Example command lines, shown under `Examples:`. */
  examples?: string[];
  /** Free text after the options (exit codes, environment, files). */
  footer?: string;
}

/**
 * The parsed value of one option: `boolean` for a flag (`false` when absent), `string[]` for
 * a repeatable option (empty when absent), `string | undefined` for an option with a value.
 */
export type OptionValue<S extends OptionSpec> = S extends { multiple: true }
  ? S extends { type: "boolean" } ? boolean[] : string[]
  : S extends { type: "boolean" } ? boolean
  : string | undefined;

/**
 * The parsed values of a spec's options, typed from the spec, plus `help`. A spec typed only
 * as {@linkcode OptionSpecs} (no literal option names) gives the loose record of any value.
 */
export type ParsedValues<O extends OptionSpecs> = string extends keyof O
  ? Record<string, string | boolean | string[] | undefined>
  : { -readonly [K in keyof O]: OptionValue<O[K]> } & { help: boolean };

/** The parsed options (by long name) and positional arguments. */
export interface ParsedArgs<O extends OptionSpecs = OptionSpecs> {
  /** Option values, typed from the spec: see {@linkcode OptionValue}. */
  values: ParsedValues<O>;
  /** Positional arguments in order. */
  positionals: string[];
}

/** Bad command-line usage; the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  /** Creates a usage error with a message that says what was wrong. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/**
 * The edit distance between two strings (insertions, deletions, substitutions,
 * transpositions), used to suggest the option or command the user probably meant.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo.
 *
 * @example
 * ```ts
 * import { suggest } from "./args.ts";
 * import assert from "node:assert/strict";
 * assert.equal(suggest("sevre", ["get", "serve", "cert"]), "serve");
 * assert.equal(suggest("zzz", ["get", "serve", "cert"]), undefined);
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function withHelp(spec: CommandSpec<OptionSpecs>): OptionSpecs {
  return { ...spec.options, help: { type: "boolean", short: "h", description: "Show this help" } };
}

/**
 * Parses `args` against `spec`. Throws {@linkcode UsageError} for an unknown option (with a
 * suggestion), a missing value or a wrong number of positional arguments. When `--help`
 * is given, `values.help` is `true` and positional counts are not checked.
 *
 * The values come back typed from the spec (declare it with `satisfies CommandSpec` or inline
 * so that its option types stay literal): a flag is a `boolean` (`false` when absent), a
 * repeatable option a `string[]` (empty when absent), any other option `string | undefined`.
 *
 * @example
 * ```ts
 * import { type CommandSpec, parseCommand } from "./args.ts";
 * import assert from "node:assert/strict";
 * const spec = {
 *   name: "demo",
 *   usage: ["demo [options] URL"],
 *   summary: "A demo.",
 *   options: {
 *     output: { type: "string", short: "o", description: "Save to FILE" },
 *     proxy: { type: "string", multiple: true, description: "A proxy" },
 *     quiet: { type: "boolean", description: "Say less" },
 *   },
 * } satisfies CommandSpec;
 * const { values, positionals } = parseCommand(spec, ["-o", "x.gmi", "gemini://a/"]);
 * const output: string | undefined = values.output;
 * const proxies: string[] = values.proxy;
 * const quiet: boolean = values.quiet;
 * assert.equal(output, "x.gmi");
 * assert.deepEqual(proxies, []);
 * assert.equal(quiet, false);
 * assert.equal(positionals[0], "gemini://a/");
 * ```
 */
export function parseCommand<const O extends OptionSpecs>(
  spec: CommandSpec<O>,
  args: string[],
): ParsedArgs<O> {
  const options = withHelp(spec);
  const config: Record<string, { type: "boolean" | "string"; short?: string; multiple?: boolean }> =
    {};
  for (const [name, option] of Object.entries(options)) {
    config[name] = { type: option.type };
    if (option.short) config[name].short = option.short;
    if (option.multiple) config[name].multiple = true;
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(spec, options, error), { cause: error });
  }
  const values = withDefaults(options, parsed.values);
  const positionals = parsed.positionals;
  if (!values.help) checkPositionals(spec, positionals);
  return { values: values as ParsedValues<O>, positionals };
}

/** The parsed values with the absent ones filled in: `false` for flags, `[]` for lists. */
function withDefaults(
  options: OptionSpecs,
  parsed: Record<string, string | boolean | (string | boolean)[] | undefined>,
): Record<string, string | boolean | (string | boolean)[] | undefined> {
  const values = { ...parsed };
  for (const [name, option] of Object.entries(options)) {
    if (values[name] !== undefined) continue;
    if (option.multiple) values[name] = [];
    else if (option.type === "boolean") values[name] = false;
  }
  return values;
}

function checkPositionals(spec: CommandSpec<OptionSpecs>, positionals: string[]): void {
  const min = spec.positionals?.min ?? 0;
  const max = spec.positionals?.max ?? Infinity;
  if (positionals.length < min) {
    throw new UsageError(
      `${spec.name}: missing argument (usage: ${spec.usage[0]}); see ${spec.name} --help`,
    );
  }
  if (positionals.length > max) {
    throw new UsageError(
      `${spec.name}: unexpected argument "${positionals[max]}" (usage: ${spec.usage[0]})`,
    );
  }
}

function describeParseError(
  spec: CommandSpec<OptionSpecs>,
  options: OptionSpecs,
  error: unknown,
): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const unknown = /Unknown option '(-{1,2})([^']*)'/.exec(message);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const [, dashes, name] = unknown;
    const candidates = dashes === "--"
      ? Object.keys(options)
      : Object.values(options).flatMap((o) => (o.short ? [o.short] : []));
    const hint = suggest(name, candidates);
    return `${spec.name}: unknown option ${dashes}${name}` +
      (hint ? ` (did you mean ${dashes}${hint}?)` : `; see ${spec.name} --help`);
  }
  const first = message.split("\n")[0].replace(/\.$/, "");
  return `${spec.name}: ${first}`;
}

/**
 * The `--help` text of a command: usage, summary, options with their values and
 * descriptions, examples and footer.
 *
 * @example
 * ```ts
 * import { formatHelp } from "./args.ts";
 * import assert from "node:assert/strict";
 * const text = formatHelp({ name: "demo", usage: ["demo URL"], summary: "A demo.", options: {} });
 * assert.ok(text.startsWith("Usage: demo URL\n"));
 * assert.match(text, /-h, --help +Show this help/);
 * ```
 */
export function formatHelp(spec: CommandSpec<OptionSpecs>): string {
  const lines: string[] = [];
  spec.usage.forEach((u, i) => lines.push(`${i === 0 ? "Usage:" : "      "} ${u}`));
  lines.push("", spec.summary, "", "Options:");
  const rows = Object.entries(withHelp(spec)).map(([name, o]) => {
    const flag = (o.short ? `-${o.short}, ` : "    ") + `--${name}` +
      (o.type === "string" ? ` ${o.value ?? "VALUE"}` : "");
    return [flag, o.description + (o.multiple ? " (repeatable)" : "")];
  });
  const width = Math.min(30, Math.max(...rows.map(([flag]) => flag.length)));
  for (const [flag, description] of rows) {
    if (flag.length > width) lines.push(`  ${flag}`, `  ${" ".repeat(width)}  ${description}`);
    else lines.push(`  ${flag.padEnd(width)}  ${description}`);
  }
  if (spec.examples?.length) {
    lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  }
  if (spec.footer) lines.push("", spec.footer.trimEnd());
  return lines.join("\n") + "\n";
}
