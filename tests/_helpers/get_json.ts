/**
 * The `gemini get --json` contract in tests: every JSON output a test reads goes through
 * {@linkcode parseGetJson}, which checks that it is exactly one JSON object and that it is
 * valid against `schemas/get-output.schema.json` (with Ajv, a test-only dependency).
 */

import { Ajv2020 } from "ajv/dist/2020.js";
import { join } from "node:path";
import { ROOT } from "./launcher.ts";

/** The schema of `gemini get --json`, as shipped. */
export const GET_OUTPUT_SCHEMA: Record<string, unknown> = JSON.parse(
  await Deno.readTextFile(join(ROOT, "schemas", "get-output.schema.json")),
);

const validate = new Ajv2020({
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: true,
}).compile(GET_OUTPUT_SCHEMA);

/** The problems of `value` against the schema (empty when valid). */
export function schemaErrors(value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

/**
 * Parses what `gemini get --json` wrote to stdout (text or bytes): it must be exactly one
 * JSON object followed by a newline, valid against the schema. Returns the object.
 */
// deno-lint-ignore no-explicit-any
export function parseGetJson(stdout: string | Uint8Array): any {
  const text = typeof stdout === "string" ? stdout : new TextDecoder().decode(stdout);
  if (!text.endsWith("}\n")) {
    throw new Error(`get --json output is not one object and a newline: ${JSON.stringify(text)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`get --json output is not one JSON value: ${JSON.stringify(text)}`, {
      cause: error,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`get --json output is not an object: ${text}`);
  }
  const problems = schemaErrors(value);
  if (problems.length > 0) {
    throw new Error(`get --json output breaks the schema:\n${problems.join("\n")}\n${text}`);
  }
  return value;
}
