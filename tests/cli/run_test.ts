/**
 * The top-level `gemini` command: version, help, dispatch to a subcommand's module, typos
 * and names that are not commands.
 */

import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { run, VERSION } from "../../lib/cli/run.ts";

Deno.test("gemini --version and --help; no command is a usage error", async () => {
  const version = memoryIo();
  assertEquals(await run(["-V"], version), 0);
  assertEquals(version.stdout.text(), `gemini ${VERSION}\n`);
  const help = memoryIo();
  assertEquals(await run(["--help"], help), 0);
  for (const name of ["get", "browse", "serve", "cert"]) {
    assertStringIncludes(help.stdout.text(), `\n  ${name} `);
  }
  const none = memoryIo();
  assertEquals(await run([], none), 2);
  assertEquals(none.stdout.text(), help.stdout.text());
});

Deno.test("gemini help COMMAND shows that command's help", async () => {
  const io = memoryIo();
  assertEquals(await run(["help", "cert"], io), 0);
  assertStringIncludes(io.stdout.text(), "Usage: gemini cert <command> [options]");
});

Deno.test("gemini suggests the command meant by a typo", async () => {
  const io = memoryIo();
  assertEquals(await run(["sevre"], io), 2);
  assertEquals(io.stderr.text(), 'gemini: unknown command "sevre" (did you mean "serve"?)\n');
});

Deno.test("gemini treats names of object properties as unknown commands", async () => {
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const io = memoryIo();
    assertEquals(await run([name], io), 2, name);
    assertStringIncludes(io.stderr.text(), `gemini: unknown command "${name}"`);
    const help = memoryIo();
    assertEquals(await run(["help", name], help), 0, name);
    assertStringIncludes(help.stdout.text(), "Usage: gemini <command> [options]");
  }
});
