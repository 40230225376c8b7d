/**
 * Running the `./gemini` launcher at the root of the checkout as a child process, the way a
 * user runs it: for the tests that check the command end to end.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The root of the checkout. */
export const ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The `./gemini` launcher. */
export const GEMINI: string = join(ROOT, "gemini");

/** What a finished `./gemini` run gave: exit code, raw stdout, decoded stderr. */
export interface LauncherResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs `./gemini ARGS` with GEMINI_HOME=`home`, NO_COLOR=1 and no stdin, to the end. */
export async function runGemini(args: string[], home: string): Promise<LauncherResult> {
  const output = await new Deno.Command(GEMINI, {
    args,
    env: { GEMINI_HOME: home, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}
