/**
 * The keys of `gemini browse` as tables, written once: each row names the keys, says what they
 * do, and maps each key to the command the model carries out. The same rows drive the key
 * handling (`./page_keys.ts`, `./prompt_keys.ts`), the help page (`./help.ts`), `--help` and
 * the README (a test compares them), so they cannot disagree.
 *
 * @module
 */

import type { EditCommand } from "./line_editor.ts";

/** What a key does on a page. */
export type PageCommand =
  | "scroll-down"
  | "scroll-up"
  | "page-down"
  | "page-up"
  | "top"
  | "bottom"
  | "scroll-left"
  | "scroll-right"
  | "next-link"
  | "previous-link"
  | "follow"
  | "open"
  | "edit-url"
  | "back"
  | "forward"
  | "reload"
  | "search"
  | "next-match"
  | "previous-match"
  | "up"
  | "root"
  | "bookmark"
  | "bookmarks"
  | "history"
  | "subscribe"
  | "subscriptions"
  | "link-in-tab"
  | "duplicate-tab"
  | "close-tab"
  | "previous-tab"
  | "next-tab"
  | "go-tab"
  | "list-tabs"
  | "copy-link"
  | "copy-page"
  | "messages"
  | "help"
  | "cancel"
  | "redraw"
  | "quit";

/** What a key does in a prompt (besides typing). */
export type PromptCommand =
  | EditCommand
  | "complete"
  | "complete-back"
  | "panel-up"
  | "panel-down"
  | "submit"
  | "cancel";

/** One row of a key table. */
export interface KeyBinding<C extends string> {
  /** The keys as shown to people, e.g. `b, Left`. */
  label: string;
  /** What they do. */
  action: string;
  /** Key names (as `decodeKeys` gives them) and their commands. */
  keys: Readonly<Record<string, C>>;
}

/**
 * Digits that pick a link. The rule: on a page with fewer than 10 links a digit follows its
 * link at once; with more, the link is followed as soon as the digits typed can name only one
 * link (`3` on a page with 25 links, `12` on a page with 150), and Enter follows the number
 * typed so far. After `t` (new tab) or `y` (copy) the same digits pick the link for them.
 */
export const DIGITS_BINDING = {
  label: "1-9",
  action: "follow link N: at once below 10 links, else when the number is unambiguous (or Enter)",
} as const;

/** The keys of a page, in the order the help lists them. */
export const PAGE_KEYMAP: readonly KeyBinding<PageCommand>[] = [
  {
    label: "j, Down",
    action: "scroll down one line",
    keys: { j: "scroll-down", down: "scroll-down" },
  },
  { label: "k, Up", action: "scroll up one line", keys: { k: "scroll-up", up: "scroll-up" } },
  {
    label: "Space, PgDn",
    action: "scroll down one page",
    keys: { " ": "page-down", pagedown: "page-down", "ctrl-f": "page-down" },
  },
  { label: "PgUp", action: "scroll up one page", keys: { pageup: "page-up", "ctrl-b": "page-up" } },
  { label: "g, Home", action: "go to the top", keys: { g: "top", home: "top" } },
  { label: "G, End", action: "go to the bottom", keys: { G: "bottom", end: "bottom" } },
  {
    label: "<, >",
    action: "scroll wide preformatted text left / right",
    keys: { "<": "scroll-left", ">": "scroll-right" },
  },
  {
    label: "Tab, Shift-Tab",
    action: "select the next / previous link",
    keys: { tab: "next-link", "shift-tab": "previous-link" },
  },
  { label: "Enter", action: "follow the selected link", keys: { enter: "follow" } },
  {
    label: "o, :",
    action: "open a URL (Tab completes from history and bookmarks)",
    keys: { o: "open", ":": "open" },
  },
  { label: "e", action: "edit the URL of this page", keys: { e: "edit-url" } },
  { label: "b, Left", action: "back (from memory, no request)", keys: { b: "back", left: "back" } },
  {
    label: "f, Right",
    action: "forward (from memory, no request)",
    keys: { f: "forward", right: "forward" },
  },
  {
    label: "R",
    action: "reload (asks first if it re-sends a hidden answer)",
    keys: { R: "reload" },
  },
  { label: "/", action: "search the page", keys: { "/": "search" } },
  {
    label: "n, N",
    action: "next / previous search match",
    keys: { n: "next-match", N: "previous-match" },
  },
  { label: "u", action: "up one path level", keys: { u: "up" } },
  { label: "r", action: "go to the root of the capsule", keys: { r: "root" } },
  {
    label: "t",
    action: "open the selected link (or link N: t then digits) in a new tab",
    keys: { t: "link-in-tab" },
  },
  { label: "T", action: "new tab showing this page", keys: { T: "duplicate-tab" } },
  { label: "x", action: "close this tab", keys: { x: "close-tab" } },
  {
    label: "[, ], Alt-1-9",
    action: "previous / next tab, tab N",
    keys: {
      "[": "previous-tab",
      "]": "next-tab",
      ...Object.fromEntries(
        Array.from({ length: 9 }, (_, i) => [`alt-${i + 1}`, "go-tab" as const]),
      ),
    },
  },
  { label: "L", action: "list the tabs and switch to one", keys: { L: "list-tabs" } },
  {
    label: "y",
    action: "copy the selected link's URL (or link N: y then digits) to the clipboard",
    keys: { y: "copy-link" },
  },
  { label: "Y", action: "copy this page's URL to the clipboard", keys: { Y: "copy-page" } },
  {
    label: "B",
    action: "bookmark this page (again, or on a selected bookmark: remove it)",
    keys: { B: "bookmark" },
  },
  { label: "m", action: "bookmarks page", keys: { m: "bookmarks" } },
  { label: "h", action: "history page", keys: { h: "history" } },
  { label: "s", action: "subscribe to this page as a feed", keys: { s: "subscribe" } },
  { label: "S", action: "subscriptions: new feed entries", keys: { S: "subscriptions" } },
  { label: "M", action: "messages: the recent messages in full", keys: { M: "messages" } },
  { label: "?", action: "this help page", keys: { "?": "help" } },
  {
    label: "Esc",
    action: "cancel a prompt, a page load, a selection or a search",
    keys: { escape: "cancel" },
  },
  { label: "Ctrl-L", action: "redraw the screen", keys: { "ctrl-l": "redraw" } },
  {
    label: "q, Ctrl-C",
    action: "quit (Ctrl-C first cancels a page load)",
    keys: { q: "quit", "ctrl-c": "quit" },
  },
];

/** The keys of a prompt (typing inserts text; these edit, complete or answer). */
export const PROMPT_KEYMAP: readonly KeyBinding<PromptCommand>[] = [
  {
    label: "Left, Right",
    action: "move the cursor (also Ctrl-B, Ctrl-F)",
    keys: { left: "left", right: "right", "ctrl-b": "left", "ctrl-f": "right" },
  },
  {
    label: "Ctrl-Left, Ctrl-Right",
    action: "move by word (also Alt-B, Alt-F)",
    keys: {
      "ctrl-left": "word-left",
      "ctrl-right": "word-right",
      "alt-b": "word-left",
      "alt-f": "word-right",
    },
  },
  {
    label: "Home, End",
    action: "start / end of the line (also Ctrl-A, Ctrl-E)",
    keys: { home: "start", end: "end", "ctrl-a": "start", "ctrl-e": "end" },
  },
  {
    label: "Backspace, Delete",
    action: "delete before / at the cursor (also Ctrl-D)",
    keys: { backspace: "backspace", delete: "delete", "ctrl-d": "delete" },
  },
  {
    label: "Ctrl-W",
    action: "delete the word before the cursor",
    keys: { "ctrl-w": "delete-word" },
  },
  { label: "Ctrl-K", action: "delete to the end of the line", keys: { "ctrl-k": "kill-end" } },
  { label: "Ctrl-U", action: "delete to the start of the line", keys: { "ctrl-u": "kill-start" } },
  {
    label: "Up, Down",
    action: "earlier / later answers of this session (never hidden ones)",
    keys: { up: "history-previous", down: "history-next" },
  },
  {
    label: "Tab, Shift-Tab",
    action: "complete a URL from history and bookmarks",
    keys: { tab: "complete", "shift-tab": "complete-back" },
  },
  {
    label: "PgUp, PgDn",
    action: "scroll a question taller than the screen",
    keys: { pageup: "panel-up", pagedown: "panel-down" },
  },
  { label: "Enter", action: "answer", keys: { enter: "submit" } },
  { label: "Esc", action: "cancel", keys: { escape: "cancel", "ctrl-c": "cancel" } },
];

function index<C extends string>(table: readonly KeyBinding<C>[]): ReadonlyMap<string, C> {
  const map = new Map<string, C>();
  for (const row of table) {
    for (const [key, command] of Object.entries(row.keys) as [string, C][]) map.set(key, command);
  }
  return map;
}

const PAGE_INDEX = index(PAGE_KEYMAP);
const PROMPT_INDEX = index(PROMPT_KEYMAP);

/**
 * The page command of a key name, or `undefined`.
 *
 * @example
 * ```ts
 * import { pageCommand } from "./keymap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(pageCommand("left"), "back");
 * assert.equal(pageCommand("z"), undefined);
 * ```
 */
export function pageCommand(key: string): PageCommand | undefined {
  return PAGE_INDEX.get(key);
}

/**
 * The prompt command of a key name, or `undefined` (then a printable key is typed).
 *
 * @example
 * ```ts
 * import { promptCommand } from "./keymap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(promptCommand("ctrl-w"), "delete-word");
 * ```
 */
export function promptCommand(key: string): PromptCommand | undefined {
  return PROMPT_INDEX.get(key);
}

/** The page keys for help texts (`?`, `--help`, the README): digits first, then the table. */
export const KEYS: readonly { keys: string; action: string }[] = [
  { keys: DIGITS_BINDING.label, action: DIGITS_BINDING.action },
  ...PAGE_KEYMAP.map((k) => ({ keys: k.label, action: k.action })),
];

/** The prompt keys for help texts (`?`, `--help`, the README). */
export const PROMPT_KEYS: readonly { keys: string; action: string }[] = PROMPT_KEYMAP.map((
  k,
) => ({ keys: k.label, action: k.action }));

/**
 * A navigation key without its modifier (`ctrl-up` → `up`), for modified keys that have no
 * binding of their own.
 *
 * @example
 * ```ts
 * import { unmodified } from "./keymap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(unmodified("ctrl-up"), "up");
 * assert.equal(unmodified("shift-pagedown"), "pagedown");
 * assert.equal(unmodified("ctrl-w"), "ctrl-w");
 * ```
 */
export function unmodified(key: string): string {
  return key.replace(
    /^(shift|ctrl|alt)-(?=up$|down$|left$|right$|home$|end$|pageup$|pagedown$|delete$)/,
    "",
  );
}
