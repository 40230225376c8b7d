/**
 * The help page of `gemini browse`, made from the key tables of `./keymap.ts`. Pure.
 *
 * @module
 */

import { KEYS, PROMPT_KEYS } from "./keymap.ts";

/**
 * The help page (`about:help`, gemtext): every key of the key tables, then how links, tabs,
 * the clipboard and the memory of pages work.
 *
 * @example
 * ```ts
 * import { helpGemtext } from "./help.ts";
 * import assert from "node:assert/strict";
 * const help = helpGemtext();
 * assert.match(help, /^\* j, Down: scroll down one line$/m);
 * assert.match(help, /^\* Ctrl-W: delete the word before the cursor$/m);
 * ```
 */
export function helpGemtext(): string {
  return [
    "# gemini browse: keys",
    "",
    ...KEYS.map((k) => `* ${k.keys}: ${k.action}`),
    "",
    "## In a prompt",
    "",
    "Type the answer and press Enter; Esc cancels. A choice prompt takes one of the keys " +
    "shown in brackets. The question, its details and every choice always show in full: " +
    "the area below the status line grows as needed, and PgUp/PgDn scroll it when it is " +
    "taller than the window.",
    "",
    ...PROMPT_KEYS.map((k) => `* ${k.keys}: ${k.action}`),
    "",
    "## Links, tabs, the clipboard",
    "",
    "On a page with fewer than 10 links a digit follows its link at once. With more, the " +
    "link is followed as soon as the digits typed can name only one link (3 on a page of " +
    "25 links; 12 on a page of 150), and Enter follows the number typed so far.",
    "",
    "t opens a link in a new tab (the selected one, or t then its number); y copies a " +
    "link's URL to the terminal's clipboard the same way (OSC 52; the terminal must allow " +
    "it). Links to schemes the browser does not fetch (mailto, https...) offer the program " +
    "set in [browse.schemes] of config.toml, else the system's opener.",
    "",
    "## Memory",
    "",
    "Back and forward show pages from memory and never send a request; only R (reload) " +
    "fetches a page again, and it asks first when the page was reached with a hidden " +
    "(sensitive) answer. A page dropped from memory to keep it bounded says so; R loads it.",
    "",
    "The status line shows the tab, the URL, the status and media type, whether the " +
    "server's certificate is trusted, the identity (client certificate) in use and how far " +
    "down the page you are. Trust and identity decisions are always asked, never taken " +
    "silently.",
    "",
    "=> about:bookmarks Bookmarks",
    "=> about:history History",
    "=> about:subscriptions Subscriptions",
    "=> about:messages Messages",
    "",
  ].join("\n");
}
