/**
 * Running the openssl command in tests (Debian package `openssl`; a missing command fails
 * the test with a clear message).
 *
 * @module
 */

/** What one openssl run gave. */
export interface OpensslRun {
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Runs `openssl ARGS` with `input` on stdin (none when undefined), whatever its exit code. */
export async function runOpenssl(
  args: string[],
  input?: Uint8Array | string,
): Promise<OpensslRun> {
  let child;
  try {
    child = new Deno.Command("openssl", {
      args,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error("these tests need the openssl command (apt-get install openssl)", {
      cause: error,
    });
  }
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
    await writer.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: out.stderr };
}

/** Runs `openssl ARGS` and returns its stdout; a non-zero exit throws with its stderr. */
export async function openssl(args: string[], input?: Uint8Array | string): Promise<Uint8Array> {
  const out = await runOpenssl(args, input);
  if (out.code !== 0) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}
