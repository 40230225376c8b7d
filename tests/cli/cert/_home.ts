/**
 * A throwaway GEMINI_HOME for the `gemini cert` tests, with a way to run the command in it
 * (in-process, as a user runs it), and openssl's view of the files it writes.
 */

import { openssl } from "../../_helpers/openssl.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { main } from "../../../lib/cli/cert/mod.ts";
import { memoryIo } from "../../../lib/cli/io.ts";
import { FileIdentityStore } from "../../../lib/client/identities.ts";
import { FileKnownHosts } from "../../../lib/client/known_hosts.ts";
import { normalizeFingerprint } from "../../../lib/tls/fingerprint.ts";

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  terminal?: boolean;
}

/** A throwaway GEMINI_HOME and a way to run `gemini cert` in it. */
export interface Home {
  dir: string;
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  identities: FileIdentityStore;
  knownHosts: FileKnownHosts;
}

export async function withHome(fn: (home: Home) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gemini-cert-" });
  const home: Home = {
    dir,
    async run(args, options = {}): Promise<RunResult> {
      const io = memoryIo({
        env: { GEMINI_HOME: dir, ...options.env },
        stdin: options.stdin,
        terminal: options.terminal,
      });
      const code = await main(args, io);
      return { code, out: io.stdout.text(), err: io.stderr.text() };
    },
    identities: new FileIdentityStore(join(dir, "data", "identities")),
    knownHosts: new FileKnownHosts(join(dir, "data", "known_hosts")),
  };
  try {
    await fn(home);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export function ok(result: RunResult, what = "command"): RunResult {
  assertEquals(result.code, 0, `${what} failed: ${result.err}${result.out}`);
  return result;
}

/** openssl's view of a certificate file: whole-cert and SPKI SHA-256, and its key's SPKI. */
export async function opensslFingerprints(
  certFile: string,
  keyFile: string,
  passphrase?: string,
): Promise<{ cert: string; spki: string; keySpki: string }> {
  const text = new TextDecoder().decode(
    await openssl(["x509", "-in", certFile, "-noout", "-fingerprint", "-sha256"]),
  );
  const cert = normalizeFingerprint(text.split("=")[1]);
  const pub = await openssl(["x509", "-in", certFile, "-noout", "-pubkey"]);
  const spkiDer = await openssl(["pkey", "-pubin", "-outform", "DER"], pub);
  const keyArgs = ["pkey", "-in", keyFile, "-pubout", "-outform", "DER"];
  if (passphrase !== undefined) keyArgs.push("-passin", `pass:${passphrase}`);
  const keyDer = await openssl(keyArgs);
  const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
  return { cert, spki: sha(spkiDer), keySpki: sha(keyDer) };
}

export function printed(text: string, label: string): string {
  const m = new RegExp(`${label}[^:]*:\\s+([0-9A-F:]{95})`).exec(text);
  assert(m, `no ${label} fingerprint in:\n${text}`);
  return normalizeFingerprint(m[1]);
}
