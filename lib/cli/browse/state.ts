/**
 * The state of `gemini browse` as plain data: what is shown, the tabs and their histories
 * (with the pages kept in memory), the prompt, the message, and the events and effects that
 * move it. `update()` in `./model.ts` is the only thing that changes it.
 *
 * @module
 */

import type { HistoryPosition } from "./line_editor.ts";
import type { Layout, Page } from "./layout.ts";

export type { Layout, Page };

/**
 * How a fetch moves through history: `push` adds the page after the current one, `reload`
 * replaces it in place. (Back and forward never fetch: their pages come from memory.)
 */
export type Nav = "push" | "reload";

/** A place in history: a URL, how far down it was read, and the page kept in memory. */
export interface HistoryEntry {
  /** The URL. */
  url: string;
  /** Scroll offset when left. */
  scroll: number;
  /** The URL carries a sensitive answer (never shown). */
  sensitive?: boolean;
  /** The page as it was shown (absent once dropped from memory). */
  page?: Page;
  /** When the page was left (the state's clock), to drop the least recently used first. */
  used?: number;
  /** Columns wide preformatted rows were scrolled sideways when left. */
  hscroll?: number;
}

/** One answer of a choice prompt. */
export interface Choice {
  /** The key that picks it (one character). */
  key: string;
  /** What it does, e.g. `trust once`. */
  label: string;
  /** The value sent back in the `answer` effect. */
  value: string;
}

/** What the model itself does with the answer of one of its own choice prompts. */
export type PromptAction =
  | { type: "resend"; url: string }
  | { type: "switch-tab" };

/**
 * A question in the prompt area. `url` and `search` belong to the model; the others are
 * asked by the controller (`ask` event, with an `id`) and answered with an `answer` effect.
 */
export interface Prompt {
  /** `url` open a URL; `search` find in page; `input` visible text; `secret` hidden text
   * (never drawn); `text` visible text asked by the browser; `choice` one key of `choices`. */
  kind: "url" | "search" | "input" | "secret" | "text" | "choice";
  /** Id of a controller question; answers carry it. */
  id?: number;
  /** The question. */
  label: string;
  /** Text typed so far. */
  value: string;
  /** The cursor in `value` (a UTF-16 offset at a grapheme boundary); default: the end. */
  cursor?: number;
  /** Answers of a `choice` prompt. */
  choices?: Choice[];
  /** Value answered on Escape for a `choice` prompt (default: `null`). */
  cancelValue?: string;
  /** Lines shown above the question (e.g. certificate fingerprints); they wrap. */
  details?: string[];
  /** URL completion: candidates for the text as it was before Tab, and the one shown. */
  completion?: { base: string; index: number };
  /** A short note shown at the end of the prompt (e.g. `2 of 5`, `no completion`). */
  note?: string;
  /** Where Up/Down have gone in the prompt's history. */
  history?: HistoryPosition;
  /** First row shown of a prompt area taller than the screen (PgUp/PgDn). */
  scroll?: number;
  /** For the model's own choice prompts: what the answer does. */
  action?: PromptAction;
}

/** Effects `update` asks the controller to carry out. */
export type Effect =
  | { type: "fetch"; id: number; url: string; nav: Nav; sensitive?: boolean }
  | { type: "cancel" }
  | { type: "answer"; id: number; value: string | null }
  | { type: "bookmark-add"; url: string; title: string }
  | { type: "bookmark-remove"; url: string }
  | { type: "subscribe"; url: string; title: string }
  | { type: "copy"; text: string }
  | { type: "quit" };

/** What a step of the model gives: the next state and the effects to carry out. */
export type Step = [BrowserState, Effect[]];

/** Everything that can happen to the model besides a key. */
export type BrowserEvent =
  | { type: "key"; key: string }
  | { type: "resize"; width: number; height: number }
  | { type: "loaded"; id: number; page: Page }
  | { type: "finished"; id: number; message: string }
  | { type: "progress"; text: string }
  | { type: "message"; text: string }
  | { type: "ask"; prompt: Prompt }
  | { type: "unask"; id: number }
  | { type: "follow"; number: number }
  | { type: "bookmarks"; urls: string[] }
  | { type: "known"; urls: string[] };

/** What a tab holds: its page, where it is read, its history and its fetch. */
export interface Tab {
  /** The page shown, if any. */
  page?: Page;
  /** The page laid out at the width it was last shown at. */
  layout: Layout;
  /** First page row on screen. */
  scroll: number;
  /** Columns wide preformatted rows are scrolled to the left. */
  hscroll: number;
  /** Index (0-based) of the link selected with Tab. */
  selected?: number;
  /** Pages behind (last = most recent). */
  back: HistoryEntry[];
  /** Pages ahead (last = next). */
  forward: HistoryEntry[];
  /** The fetch in flight. */
  loading?: { id: number; url: string; nav: Nav };
  /** Progress of the fetch in flight (download size, retry wait), shown in the status line. */
  progress?: string;
  /** The URL of the last fetch started (what `R` retries when no page is shown). */
  attempted?: string;
  /** Search term and the page rows that match it. */
  search?: { term: string; matches: number[]; index: number };
}

/** The names of the fields of a {@linkcode Tab}. */
export const TAB_FIELDS = [
  "page",
  "layout",
  "scroll",
  "hscroll",
  "selected",
  "back",
  "forward",
  "loading",
  "progress",
  "attempted",
  "search",
] as const satisfies readonly (keyof Tab)[];

/** Which prompts share a history of answers. */
export type PromptHistoryKind = "url" | "search" | "input";

/**
 * The whole browser state. Treat as immutable: `update` returns a new one. The fields of
 * {@linkcode Tab} are those of the active tab; the other tabs wait in `tabs`.
 */
export interface BrowserState extends Tab {
  /** Window size in cells. */
  width: number;
  /** Window rows. */
  height: number;
  /** Readable maximum width of the page column. */
  maxWidth: number;
  /** Emit ANSI styles in page rows. */
  color: boolean;
  /** Digits typed to pick a link. */
  digits: string;
  /** What the digits pick a link for: follow it (default), open it in a new tab, copy it. */
  pick?: "tab" | "copy";
  /** Next fetch id. */
  nextId: number;
  /** The open prompt. */
  prompt?: Prompt;
  /** Controller questions waiting behind the open prompt. */
  queued: Prompt[];
  /** The message below the status line. */
  message: string;
  /** Recent messages, newest first (`M` shows them). */
  log: string[];
  /** Bookmarked URLs (for `B` to add or remove). */
  bookmarks: string[];
  /** URLs for completion (history and bookmarks), most recent first. */
  known: string[];
  /** Every tab; the entry at `tab` is stale (the active tab's fields are the state's own). */
  tabs: Tab[];
  /** Index of the active tab. */
  tab: number;
  /** Answers given in this session, newest first, by kind of prompt (never hidden ones). */
  answers: Record<PromptHistoryKind, string[]>;
  /** Bounds of the pages kept in memory for back and forward. */
  cache: { pages: number; chars: number };
  /** A counter that orders the moments pages are left (for the cache). */
  clock: number;
}

/** Options for `initialState`. */
export interface InitialStateOptions {
  /** Window columns. Default 80. */
  width?: number;
  /** Window rows. Default 24. */
  height?: number;
  /** Readable maximum page width. Default 100. */
  maxWidth?: number;
  /** ANSI styles in page rows. Default false. */
  color?: boolean;
  /** Most pages kept in memory behind and ahead, over all tabs. Default 100. */
  cachePages?: number;
  /** Most characters of page text kept in memory, over all tabs. Default 16 Mi. */
  cacheChars?: number;
}

/** How a screen line is drawn. */
export type LineStyle = "page" | "selected" | "status" | "prompt" | "message" | "box" | "more";

/** One line of the screen. `indent` plus the width of `plain` is at most the window width. */
export interface ScreenLine {
  /** The text without ANSI sequences, at most the window width wide. */
  plain: string;
  /** The text to draw (with ANSI styles when colour is on and the row is plain page text). */
  text: string;
  /** How to draw it. */
  style: LineStyle;
  /** Columns `[start, end)` of search matches in `plain`. */
  marks?: [number, number][];
  /** The row of the current search match (`n`/`N` move it): drawn more strongly. */
  current?: boolean;
  /** Key hints drawn dimmed at the right end of the line (prompt, message; fits the width). */
  hint?: string;
  /** Blank columns before the text (the margin of a centred page column). */
  indent?: number;
}

/** Most tabs open at once (so that Alt-1 ... Alt-9 reach every one). */
export const MAX_TABS = 9;
/** Most answers remembered per kind of prompt. */
export const MAX_ANSWERS = 50;
/** Most messages kept for `M`. */
export const MAX_LOG = 50;
