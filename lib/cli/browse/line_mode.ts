/**
 * The line mode of `gemini browse` (`--line`, a dumb terminal, or output that is not a
 * terminal): prints each page once, then reads commands a line at a time. Commands map onto
 * the keys of the full-screen browser, so both modes share one model.
 *
 * @module
 */

import type { CliIo } from "../io.ts";
import type { Browser } from "./browser.ts";
import type { BrowserEvent, BrowserState, Page, Prompt } from "./model.ts";
import { statusText } from "./model.ts";

/** Commands of the line mode, for `help`. */
export const LINE_COMMANDS: readonly [string, string][] = [
  ["N", "follow link number N"],
  ["URL, o URL, go URL", "open a URL"],
  ["b, back / f, forward", "history"],
  ["r, reload", "reload the page"],
  ["p, print", "print the page again"],
  ["/TEXT, n, N", "search, next, previous match"],
  ["up, root", "up one path level, capsule root"],
  ["B, bookmark / m, bookmarks", "toggle a bookmark, list bookmarks"],
  ["h, history", "visited pages"],
  ["s, subscribe / S, subscriptions", "subscribe to this page, new feed entries"],
  ["M, messages", "the recent messages"],
  ["?, help", "this list"],
  ["q, quit", "quit"],
];

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
  const simple: Record<string, string> = {
    b: "b",
    back: "b",
    f: "f",
    forward: "f",
    r: "R",
    reload: "R",
    n: "n",
    N: "N",
    up: "u",
    root: "r",
    B: "B",
    bookmark: "B",
    m: "m",
    bookmarks: "m",
    h: "h",
    history: "h",
    s: "s",
    subscribe: "s",
    S: "S",
    subscriptions: "S",
    M: "M",
    messages: "M",
    q: "q",
    quit: "q",
    exit: "q",
  };
  if (rest.length === 0 && word in simple) return [simple[word]];
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

/** Reads lines (and hidden lines) from a byte stream. */
class LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async line(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffer.search(/\r?\n|\r/);
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        const m = /^\r?\n|^\r/.exec(this.#buffer.slice(nl))!;
        this.#buffer = this.#buffer.slice(nl + m[0].length);
        return line;
      }
      if (this.#ended) {
        if (this.#buffer === "") return null;
        const line = this.#buffer;
        this.#buffer = "";
        return line;
      }
      const { done, value } = await this.#reader.read();
      if (done) this.#ended = true;
      else this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }
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
        this.#queue.push(state.message + "\n");
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

/** Runs the line mode until `q` or the end of input; returns the exit code. */
export async function runLineMode(
  io: CliIo,
  browser: Browser,
  printer: LinePrinter,
  startUrl: string | undefined,
): Promise<number> {
  const reader = new LineReader(io.stdin);
  const write = (text: string): Promise<void> => io.stdout.write(text);
  const quit = browser.done.then(() => null);
  await browser.loadStores();
  if (startUrl) browser.open(startUrl);
  else browser.dispatch("?");
  while (!browser.quitted) {
    // Let fetches settle (or reach a question) before reading the next command.
    await settle(browser);
    await printer.flush(io);
    if (browser.quitted) break;
    const state: BrowserState = browser.state;
    if (state.prompt?.details) await write(state.prompt.details.join("\n") + "\n");
    await write(state.prompt ? promptText(state.prompt) + " " : "> ");
    const secret = state.prompt?.kind === "secret" && io.stdinIsTerminal;
    if (secret) io.setRaw(true);
    let line: string | null;
    try {
      line = await Promise.race([reader.line(), quit]);
    } finally {
      if (secret) {
        io.setRaw(false);
        await write("\n");
      }
    }
    if (line === null) {
      if (!browser.quitted) browser.dispatch("q");
      break;
    }
    const now = browser.state;
    if (now.prompt) {
      if (now.prompt.kind === "choice") {
        browser.dispatch(line.trim() === "" ? "escape" : line.trim()[0]);
      } else {
        for (const ch of line) browser.dispatch(ch);
        browser.dispatch("enter");
      }
      continue;
    }
    const text = line.trim();
    if (text === "?" || text === "help") {
      const w = Math.max(...LINE_COMMANDS.map(([c]) => c.length));
      await write(LINE_COMMANDS.map(([c, d]) => `  ${c.padEnd(w)}  ${d}`).join("\n") + "\n");
      continue;
    }
    if (text === "p" || text === "print") {
      printer.reprint();
      printer.render(browser.state);
      continue;
    }
    const keys = commandKeys(text);
    if (keys === undefined) {
      await write(`Unknown command "${text}"; type help\n`);
      continue;
    }
    for (const key of keys) browser.dispatch(key);
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
