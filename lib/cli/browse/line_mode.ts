/**
 * The line mode of `gemini browse` (`--line`, a dumb terminal, or output that is not a
 * terminal): prints each page once, then reads commands a line at a time. Commands map onto
 * the keys of the full-screen browser, so both modes share one model.
 *
 * @module
 */

import { stripControls } from "../../gemtext/controls.ts";
import type { CliIo } from "../io.ts";
import { isInterrupt, readLine } from "../prompt.ts";
import type { Browser } from "./browser.ts";
import type { BrowserEvent, BrowserState, Page, Prompt } from "./model.ts";
import { statusText } from "./model.ts";

/** One row of the line mode's command table. */
export interface LineCommand {
  /** The commands as shown to people, e.g. `b, back / f, forward`. */
  label: string;
  /** What they do. */
  action: string;
  /** Words typed alone and the browser key each stands for. */
  words?: Readonly<Record<string, string>>;
  /** Words typed alone that the line mode itself carries out. */
  local?: Readonly<Record<string, LocalCommand>>;
}

/** What the line mode does itself rather than through a key. */
export type LocalCommand = "print" | "help";

/**
 * The commands of the line mode, in the order `help` lists them. The same rows drive
 * {@linkcode commandKeys}, {@linkcode localCommand} and the `help` text.
 */
export const LINE_COMMANDS: readonly LineCommand[] = [
  { label: "N", action: "follow link number N" },
  { label: "URL, o URL, go URL", action: "open a URL" },
  {
    label: "b, back / f, forward",
    action: "history",
    words: { b: "b", back: "b", f: "f", forward: "f" },
  },
  { label: "r, reload", action: "reload the page", words: { r: "R", reload: "R" } },
  { label: "p, print", action: "print the page again", local: { p: "print", print: "print" } },
  { label: "/TEXT, n, N", action: "search, next, previous match", words: { n: "n", N: "N" } },
  { label: "up, root", action: "up one path level, capsule root", words: { up: "u", root: "r" } },
  {
    label: "B, bookmark / m, bookmarks",
    action: "toggle a bookmark, list bookmarks",
    words: { B: "B", bookmark: "B", m: "m", bookmarks: "m" },
  },
  { label: "h, history", action: "visited pages", words: { h: "h", history: "h" } },
  {
    label: "s, subscribe / S, subscriptions",
    action: "subscribe to this page, new feed entries",
    words: { s: "s", subscribe: "s", S: "S", subscriptions: "S" },
  },
  { label: "M, messages", action: "the recent messages", words: { M: "M", messages: "M" } },
  { label: "?, help", action: "this list", local: { "?": "help", help: "help" } },
  { label: "q, quit", action: "quit", words: { q: "q", quit: "q", exit: "q" } },
];

const WORDS = new Map(LINE_COMMANDS.flatMap((c) => Object.entries(c.words ?? {})));
const LOCAL = new Map(LINE_COMMANDS.flatMap((c) => Object.entries(c.local ?? {})));

/**
 * The command the line mode carries out itself for a line (`p`, `help`...), or `undefined`.
 *
 * @example
 * ```ts
 * import { localCommand } from "./line_mode.ts";
 * import assert from "node:assert/strict";
 * assert.equal(localCommand(" print "), "print");
 * assert.equal(localCommand("?"), "help");
 * assert.equal(localCommand("back"), undefined);
 * ```
 */
export function localCommand(line: string): LocalCommand | undefined {
  return LOCAL.get(line.trim());
}

/** The `help` text: the command table in two columns. */
export function lineHelp(): string {
  const w = Math.max(...LINE_COMMANDS.map((c) => c.label.length));
  return LINE_COMMANDS.map((c) => `  ${c.label.padEnd(w)}  ${c.action}`).join("\n") + "\n";
}

/**
 * The keys (or events) that a line-mode command stands for, or `undefined` when the command
 * is unknown. A number follows that link, however many links the page has.
 *
 * @example
 * ```ts
 * import { commandKeys } from "./line_mode.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(commandKeys("12"), [{ type: "follow", number: 12 }]);
 * assert.deepEqual(commandKeys("back"), ["b"]);
 * ```
 */
export function commandKeys(line: string): (string | BrowserEvent)[] | undefined {
  const text = line.trim();
  if (text === "") return [];
  if (/^\d+$/.test(text)) return [{ type: "follow", number: Number(text) }];
  if (text.startsWith("/")) return ["/", ...text.slice(1), "enter"];
  const [word, ...rest] = text.split(/\s+/);
  const arg = rest.join(" ");
  const key = WORDS.get(word);
  if (rest.length === 0 && key !== undefined) return [key];
  if ((word === "o" || word === "go" || word === "open") && arg !== "") {
    return ["o", ...arg, "enter"];
  }
  if (
    rest.length === 0 && (/^[a-z][a-z0-9+.-]*:\/\//i.test(word) || /^[\w.-]+\.[a-z]+/i.test(word))
  ) {
    return ["o", ...word, "enter"];
  }
  return undefined;
}

/**
 * Text from a server (a question, a redirect target, a certificate's names) as it may reach
 * the terminal: no escape or other control character, line breaks and tabs kept.
 */
function printable(text: string): string {
  return stripControls(text, { newline: true, tab: true });
}

function promptText(prompt: Prompt): string {
  if (prompt.kind === "choice") {
    return `${prompt.label} ${
      (prompt.choices ?? []).map((c) => `[${c.key}] ${c.label}`).join(" ")
    }`;
  }
  const label = prompt.label.trim();
  const hidden = prompt.kind === "secret" ? " (hidden)" : "";
  return /[?:!.]$/.test(label) ? `${label}${hidden}` : `${label}${hidden}:`;
}

/** Turns model states into printed text: each new page once, then new messages. */
export class LinePrinter {
  #page: Page | undefined;
  #message = "";
  #search: BrowserState["search"];
  #queue: string[] = [];
  #now: () => number;
  #progressAt = -Infinity;

  /** A printer; `now` (milliseconds) paces progress lines, at most one a second. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The render callback for the {@linkcode Browser}. */
  render = (state: BrowserState): void => {
    if (state.page && state.page !== this.#page) {
      this.#page = state.page;
      this.#search = undefined;
      const rows = state.layout.rows.map((r) => state.color ? r.text : r.plain);
      this.#queue.push(rows.join("\n") + "\n", `-- ${statusText(state)}\n`);
    }
    if (state.search && state.search !== this.#search) {
      this.#search = state.search;
      const rows = state.search.matches.map((i) =>
        `${String(i + 1).padStart(5)}: ${state.layout.rows[i].plain}`
      );
      this.#queue.push(rows.join("\n") + (rows.length > 0 ? "\n" : ""));
    }
    if (state.message !== this.#message) {
      this.#message = state.message;
      const quiet = /^(Match \d|Loading |Follow link |Press \? for help)/.test(state.message) ||
        state.message === state.page?.title;
      // Progress (download size, retry wait) is printed at most once a second.
      const progress = state.progress !== undefined && state.message === state.progress;
      const paced = progress && this.#now() - this.#progressAt < 1000;
      if (progress && !paced) this.#progressAt = this.#now();
      if (state.message !== "" && !quiet && !paced) {
        this.#queue.push(printable(state.message) + "\n");
      }
    }
  };

  /** Prints the current page again on the next flush. */
  reprint(): void {
    this.#page = undefined;
  }

  /** Writes what is queued. */
  async flush(io: CliIo): Promise<void> {
    const text = this.#queue.join("");
    this.#queue = [];
    if (text !== "") await io.stdout.write(text);
  }
}

/**
 * Prints the question of `state` (or the command prompt) and reads the answer: `null` at the
 * end of input, or when the quit comes first; `undefined` when there is nothing to do with it.
 * Ctrl-C (a raw-mode byte) cancels a question and quits at the command prompt, as it would in
 * a cooked terminal; a line too long is refused.
 */
async function readAnswer(
  io: CliIo,
  browser: Browser,
  quit: Promise<null>,
): Promise<string | null | undefined> {
  const state = browser.state;
  const write = (text: string): Promise<void> => io.stdout.write(text);
  if (state.prompt?.details) await write(printable(state.prompt.details.join("\n")) + "\n");
  await write(state.prompt ? printable(promptText(state.prompt)) + " " : "> ");
  const hidden = state.prompt?.kind === "secret";
  try {
    return await Promise.race([readLine(io, { hidden, output: io.stdout }), quit]);
  } catch (error) {
    if (error instanceof RangeError) {
      await write(`${error.message}\n`);
      return undefined;
    }
    if (!isInterrupt(error)) throw error;
    if (!state.prompt) return null;
    browser.dispatch("escape");
    return undefined;
  }
}

/** Gives a line to the open question: a choice takes its first character, text all of it. */
function answer(browser: Browser, prompt: Prompt, line: string): void {
  if (prompt.kind === "choice") {
    browser.dispatch(line.trim() === "" ? "escape" : line.trim()[0]);
    return;
  }
  for (const ch of line) browser.dispatch(ch);
  browser.dispatch("enter");
}

/** Carries out a command line: the line mode's own, or the keys it stands for. */
async function command(
  io: CliIo,
  browser: Browser,
  printer: LinePrinter,
  line: string,
): Promise<void> {
  const text = line.trim();
  const local = localCommand(text);
  if (local === "help") return await io.stdout.write(lineHelp());
  if (local === "print") {
    printer.reprint();
    printer.render(browser.state);
    return;
  }
  const keys = commandKeys(text);
  if (keys === undefined) return await io.stdout.write(`Unknown command "${text}"; type help\n`);
  for (const key of keys) browser.dispatch(key);
}

/** Runs the line mode until `q` or the end of input; returns the exit code. */
export async function runLineMode(
  io: CliIo,
  browser: Browser,
  printer: LinePrinter,
  startUrl: string | undefined,
): Promise<number> {
  const quit = browser.done.then(() => null);
  await browser.loadStores();
  if (startUrl) browser.open(startUrl);
  else browser.dispatch("?");
  while (!browser.quitted) {
    // Let fetches settle (or reach a question) before reading the next command.
    await settle(browser);
    await printer.flush(io);
    if (browser.quitted) break;
    const line = await readAnswer(io, browser, quit);
    if (line === undefined) continue;
    if (line === null) {
      if (!browser.quitted) browser.dispatch("q");
      break;
    }
    const prompt = browser.state.prompt;
    if (prompt) answer(browser, prompt, line);
    else await command(io, browser, printer, line);
  }
  await browser.idle();
  await printer.flush(io);
  return 0;
}

/** Waits until no fetch is in flight or a question is open (bounded). */
async function settle(browser: Browser): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const s = browser.state;
    if (!s.loading || s.prompt) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
