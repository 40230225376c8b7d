/**
 * The `gemini` command. A thin shell: parse nothing here, run the CLI, exit with its code.
 *
 * @module
 */

import { run } from "./lib/cli/run.ts";
import { SERVE_WORKER_NAME } from "./lib/cli/serve_messages.ts";

if (import.meta.main) {
  if ((globalThis as { name?: string }).name === SERVE_WORKER_NAME) {
    // This file is also the entry of `gemini serve --workers` workers when it is bundled
    // into one file (a worker cannot load a module that the bundle does not contain).
    await import("./lib/cli/serve_worker.ts");
  } else {
    Deno.exit(await run(Deno.args));
  }
}
