/**
 * `parseCommand()`: values typed from the spec (checked by the type checker here, so a wrong
 * type fails `deno check`), the defaults of absent options, and the usage errors.
 */

import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  type CommandSpec,
  formatHelp,
  parseCommand,
  type ParsedArgs,
  UsageError,
} from "../../lib/cli/args.ts";

/** `true` only when `A` and `B` are the same type (each assignable to the other exactly). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

const SPEC = {
  name: "demo",
  usage: ["demo [options] URL"],
  summary: "A demo.",
  options: {
    output: { type: "string", short: "o", value: "FILE", description: "Save to FILE" },
    proxy: { type: "string", multiple: true, description: "A proxy" },
    quiet: { type: "boolean", short: "q", description: "Say less" },
    "dry-run": { type: "boolean", description: "Do nothing" },
  },
  positionals: { min: 1, max: 2 },
} satisfies CommandSpec;

Deno.test("parseCommand() types each value from the spec", () => {
  const { values } = parseCommand(SPEC, ["-o", "x", "--proxy", "a", "gemini://h/"]);
  const output: Same<typeof values.output, string | undefined> = true;
  const proxy: Same<typeof values.proxy, string[]> = true;
  const quiet: Same<typeof values.quiet, boolean> = true;
  const dryRun: Same<typeof values["dry-run"], boolean> = true;
  const help: Same<typeof values.help, boolean> = true;
  assertEquals([output, proxy, quiet, dryRun, help], [true, true, true, true, true]);
  // @ts-expect-error: an option the spec does not have is a type error
  assertEquals(values.frobnicate, undefined);
});

Deno.test("parseCommand() fills absent options: false for flags, [] for lists", () => {
  const { values, positionals } = parseCommand(SPEC, ["gemini://h/"]);
  assertEquals(values.output, undefined);
  assertEquals("output" in values, false);
  assertEquals({ ...values }, { proxy: [], quiet: false, "dry-run": false, help: false });
  assertEquals(positionals, ["gemini://h/"]);
});

Deno.test("parseCommand() collects repeated options and reads short and long forms", () => {
  const { values } = parseCommand(SPEC, [
    "-q",
    "--output=o.gmi",
    "--proxy",
    "a",
    "--proxy",
    "b",
    "--dry-run",
    "u",
    "v",
  ]);
  assertEquals(values, {
    output: "o.gmi",
    proxy: ["a", "b"],
    quiet: true,
    "dry-run": true,
    help: false,
  });
});

Deno.test("parseCommand() keeps the loose record for a spec typed as CommandSpec", () => {
  // The old call shape (a spec annotated `CommandSpec`) still compiles and parses.
  const wide: CommandSpec = SPEC;
  const parsed: ParsedArgs = parseCommand(wide, ["--quiet", "u"]);
  const loose: Same<
    typeof parsed.values,
    Record<string, string | boolean | string[] | undefined>
  > = true;
  assertEquals(loose, true);
  assertEquals(parsed.values.quiet, true);
  assertEquals(parsed.values.output as string | undefined, undefined);
});

Deno.test("parseCommand() counts positionals at the exact limits, except with --help", () => {
  assertEquals(parseCommand(SPEC, ["a"]).positionals, ["a"]);
  assertEquals(parseCommand(SPEC, ["a", "b"]).positionals, ["a", "b"]);
  const none = assertThrows(() => parseCommand(SPEC, []), UsageError);
  assertEquals(none.message, "demo: missing argument (usage: demo [options] URL); see demo --help");
  const many = assertThrows(() => parseCommand(SPEC, ["a", "b", "c"]), UsageError);
  assertEquals(many.message, 'demo: unexpected argument "c" (usage: demo [options] URL)');
  assertEquals(parseCommand(SPEC, ["--help"]).values.help, true);
  assertEquals(parseCommand(SPEC, ["-h", "a", "b", "c"]).values.help, true);
});

Deno.test("parseCommand() suggests the option meant by a typo", () => {
  const long = assertThrows(() => parseCommand(SPEC, ["--ouptut", "x", "u"]), UsageError);
  assertEquals(long.message, "demo: unknown option --ouptut (did you mean --output?)");
  const short = assertThrows(() => parseCommand(SPEC, ["-z", "u"]), UsageError);
  assertEquals(short.message, "demo: unknown option -z (did you mean -o?)");
  const far = assertThrows(() => parseCommand(SPEC, ["--frobnicate", "u"]), UsageError);
  assertEquals(far.message, "demo: unknown option --frobnicate; see demo --help");
  const missing = assertThrows(() => parseCommand(SPEC, ["u", "--output"]), UsageError);
  assertEquals(missing.message.startsWith("demo: "), true);
});

Deno.test("formatHelp() lists the options with their values and the help flag", () => {
  const text = formatHelp(SPEC);
  assertEquals(text.split("\n").slice(0, 3), ["Usage: demo [options] URL", "", "A demo."]);
  for (
    const line of [
      "  -o, --output FILE  Save to FILE",
      "      --proxy VALUE  A proxy (repeatable)",
      "  -q, --quiet        Say less",
      "  -h, --help         Show this help",
    ]
  ) {
    assertEquals(text.includes(line + "\n"), true, line);
  }
});
