/**
 * `gemini serve` (not built yet).
 *
 * @module
 */

import type { CliIo } from "./io.ts";

/** Runs `gemini serve` and returns its exit code. */
export async function main(_args: string[], io: CliIo): Promise<number> {
  await io.stderr.write("gemini serve: not built yet\n");
  return 1;
}
