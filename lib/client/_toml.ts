/**
 * Parsing the client's TOML files with errors that name the file and line. Internal.
 *
 * @module
 */

import { parse as parseToml } from "smol-toml";

/**
 * Parses `text` as TOML. Invalid TOML throws a SyntaxError
 * `FILE:LINE: invalid TOML: FIRST LINE OF THE PARSER'S MESSAGE` followed by `suffix`.
 */
export function _parseTomlFile(
  text: string,
  file: string,
  suffix = "",
): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const line = (error as { line?: number }).line;
    const message = String((error as Error).message).split("\n")[0];
    throw new SyntaxError(`${file}${line ? `:${line}` : ""}: invalid TOML: ${message}${suffix}`, {
      cause: error,
    });
  }
}
