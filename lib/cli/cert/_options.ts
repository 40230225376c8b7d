/**
 * The options several `gemini cert` subcommands share, and their checks. Internal to
 * `lib/cli/cert/`.
 *
 * @module
 */

import { normalizeScope, PASSPHRASE_ENV } from "../../client/identities.ts";
import type { KeyAlgorithm } from "../../tls/certificate.ts";
import { type OptionSpec, UsageError } from "../args.ts";

/** Default validity of identities and server certificates, in days (about ten years). */
export const DEFAULT_DAYS = 3650;

/** The help footer of the subcommands that may need a passphrase. */
export const PASSPHRASE_FOOTER = `Environment:
  ${PASSPHRASE_ENV}  passphrase for encrypted identity keys when there is no
                              terminal to ask on (it is used, when set, instead of asking)
  GEMINI_HOME                 relocates the files ($GEMINI_HOME/data/identities/)`;

/** `--scope URL` (repeatable). */
export const SCOPE_OPTION = {
  type: "string",
  multiple: true,
  value: "URL",
  description: "use it for URLs under gemini://host[:port]/path",
} as const satisfies OptionSpec;

/** `--days N`. */
export const DAYS_OPTION = {
  type: "string",
  value: "N",
  description: `validity in days (default ${DEFAULT_DAYS})`,
} as const satisfies OptionSpec;

/** `--key TYPE`. */
export const KEY_OPTION = {
  type: "string",
  value: "TYPE",
  description: "ec (default, P-256), rsa or ed25519",
} as const satisfies OptionSpec;

/** The key algorithm of `--key` (default `ec`). */
export function keyAlgorithm(value: string | undefined): KeyAlgorithm {
  const key = value ?? "ec";
  if (key !== "ec" && key !== "rsa" && key !== "ed25519") {
    throw new UsageError(`gemini cert: --key must be ec, rsa or ed25519, not "${key}"`);
  }
  return key;
}

/** The validity of `--days`: a whole number from 1 to 36500 (default {@linkcode DEFAULT_DAYS}). */
export function days(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DAYS;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 36_500) {
    throw new UsageError(`gemini cert: --days must be a whole number from 1 to 36500`);
  }
  return n;
}

/** The scopes given, normalized; a usage error names a bad one. */
export function scopes(list: readonly string[]): string[] {
  return list.map((s) => {
    try {
      return normalizeScope(s);
    } catch (error) {
      throw new UsageError(`gemini cert: ${(error as Error).message}`);
    }
  });
}
