/**
 * The `gemini` command. A thin shell: parse nothing here, run the CLI, exit with its code.
 *
 * @module
 */

import { run } from "./lib/cli/run.ts";

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
