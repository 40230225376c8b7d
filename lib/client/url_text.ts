/**
 * Checks on URL text before it is parsed: what `Client.fetch` refuses in a URL given as
 * text, for programs (such as `gemini get`) that sort a URL argument before fetching it.
 *
 * @module
 */

import { ClientError } from "./types.ts";

/**
 * Throws a `bad-url` {@linkcode ClientError} when `text` (after trimming the ends, as the
 * URL parser does) holds a control character. The WHATWG parser silently drops tabs and line
 * breaks inside a URL, which would fetch a URL nobody wrote; every other control character
 * is refused with it. `Client.fetch` makes this check on every URL given as a string.
 *
 * @example
 * ```ts
 * import { checkUrlText } from "./url_text.ts";
 * import { ClientError } from "./types.ts";
 * import assert from "node:assert";
 * checkUrlText("  gemini://example.org/a%09b\n"); // the ends are trimmed; %09 is fine
 * assert.throws(
 *   () => checkUrlText("gemini://example.org/a\tb"),
 *   (error) => error instanceof ClientError && error.code === "bad-url" &&
 *     error.message.includes("U+0009 at character 23"),
 * );
 * ```
 */
export function checkUrlText(text: string): void {
  const trimmed = text.trim();
  // deno-lint-ignore no-control-regex
  const control = /[\x00-\x1f\x7f]/.exec(trimmed);
  if (!control) return;
  const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
  throw new ClientError(
    "bad-url",
    `URL ${JSON.stringify(trimmed)} has control character U+00${code} at character ${
      control.index + 1
    }; percent-encode it (%${code}) if it belongs there`,
  );
}
