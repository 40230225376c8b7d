/**
 * `gemini cert`'s dispatch, run in-process as a user runs it: the help of every subcommand,
 * typos, and names that are not subcommands.
 */

import { assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { ok, withHome } from "./_home.ts";

const SUBCOMMANDS = [
  ["new"],
  ["list"],
  ["show"],
  ["scope"],
  ["rm"],
  ["export"],
  ["import"],
  ["encrypt"],
  ["decrypt"],
  ["server"],
  ["renew"],
  ["hosts"],
  ["hosts", "forget"],
  ["hosts", "trust"],
  ["hosts", "import"],
];

Deno.test("gemini cert --help lists every command, and each has its own --help", async () => {
  await withHome(async (home) => {
    const top = ok(await home.run(["--help"]));
    for (const sub of SUBCOMMANDS) {
      assertStringIncludes(top.out, sub.join(" "));
      const help = ok(await home.run([...sub, "--help"]), `${sub.join(" ")} --help`);
      assertStringIncludes(help.out, `Usage: gemini cert ${sub.join(" ")}`);
      assertStringIncludes(help.out, "Examples:");
    }
    assertEquals((await home.run([])).code, 2);
    const typo = await home.run(["lsit"]);
    assertEquals(typo.code, 2);
    assertStringIncludes(typo.err, 'did you mean "list"?');
    const bad = await home.run(["new", "a", "--dayz", "3"]);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.err, "did you mean --days?");
    assertStringIncludes(
      (await home.run(["new", "--help"])).out,
      "GEMINI_IDENTITY_PASSPHRASE",
    );
  });
});

Deno.test("gemini cert treats names of object properties as unknown commands", async () => {
  await withHome(async (home) => {
    for (const args of [["constructor"], ["toString"], ["__proto__"]]) {
      const result = await home.run(args);
      assertEquals(result.code, 2, args.join(" "));
      assertStringIncludes(result.err, `gemini cert: unknown command "${args[0]}"`);
    }
    // `hosts` followed by such a name is `hosts` with an unexpected argument.
    const hosts = await home.run(["hosts", "constructor"]);
    assertEquals(hosts.code, 2);
    assertStringIncludes(hosts.err, 'unexpected argument "constructor"');
  });
});
