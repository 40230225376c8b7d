/**
 * The one rule for text from the network that is printed to a terminal: which characters a
 * terminal must never receive, and a function that takes them out. Used by the gemtext
 * renderer, `gemini browse`, `gemini get` and `gemini cert`. Pure.
 *
 * @module
 */

/** Options for {@linkcode stripControls}. */
export interface StripControlsOptions {
  /** Keep horizontal tabs (U+0009), for text whose tabs are expanded or allowed. Default false. */
  tab?: boolean;
  /** Keep line feeds (U+000A), for text printed as several lines. Default false. */
  newline?: boolean;
  /**
   * What each control character becomes. Default U+FFFD (one column wide, so the text keeps
   * its length and shows that something was there); `""` removes them.
   */
  replacement?: string;
}

// C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F). ESC (U+001B) starts every 7-bit
// escape sequence and CSI, OSC, DCS, SOS, PM, APC and ST are its 8-bit C1 forms, so this set
// holds every character that could introduce a sequence; CR and BS could overwrite what is
// already on the line.
// deno-lint-ignore no-control-regex
const ALL = /[\x00-\x1f\x7f-\x9f]/g;
// deno-lint-ignore no-control-regex
const BUT_TAB = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
// deno-lint-ignore no-control-regex
const BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;
// deno-lint-ignore no-control-regex
const BUT_TAB_NEWLINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * `text` with every character a terminal must never receive replaced by U+FFFD, or by
 * `options.replacement`: C0 controls (U+0000 to U+001F, ESC among them), DEL (U+007F) and
 * C1 controls (U+0080 to U+009F, the 8-bit CSI, OSC and DCS among them). Tabs and line
 * feeds are in the set too; they stay when the options allow them.
 * Everything else, including every character outside C0 and C1, is kept as it is.
 *
 * @example
 * ```ts
 * import { stripControls } from "./controls.ts";
 * import assert from "node:assert/strict";
 * assert.equal(stripControls("a\x1b[2Jb\tc"), "a\uFFFD[2Jb\uFFFDc");
 * assert.equal(stripControls("a\tb\r\n", { tab: true }), "a\tb\uFFFD\uFFFD");
 * assert.equal(
 *   stripControls("x\x9b31m\ty\n", { tab: true, newline: true, replacement: "" }),
 *   "x31m\ty\n",
 * );
 * ```
 */
export function stripControls(text: string, options: StripControlsOptions = {}): string {
  const set = options.tab
    ? (options.newline ? BUT_TAB_NEWLINE : BUT_TAB)
    : (options.newline ? BUT_NEWLINE : ALL);
  return text.replace(set, options.replacement ?? "\uFFFD");
}
