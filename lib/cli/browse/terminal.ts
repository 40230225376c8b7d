/**
 * The terminal side of `gemini browse`: key decoding (escape sequences, split reads), the
 * ANSI painting of the model's screen lines, and a full-screen session (alternate screen,
 * raw mode, resize through SIGWINCH and `Deno.consoleSize`).
 *
 * @module
 */

import type { ScreenLine } from "./model.ts";

const CSI_KEYS: Record<string, string> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  Z: "shift-tab",
  "1~": "home",
  "7~": "home",
  "4~": "end",
  "8~": "end",
  "2~": "insert",
  "3~": "delete",
  "5~": "pageup",
  "6~": "pagedown",
};

const CONTROL_KEYS: Record<string, string> = {
  "\r": "enter",
  "\n": "enter",
  "\t": "tab",
  "\x7f": "backspace",
  "\x08": "backspace",
  "\x01": "ctrl-a",
  "\x02": "ctrl-b",
  "\x03": "ctrl-c",
  "\x04": "ctrl-d",
  "\x05": "ctrl-e",
  "\x06": "ctrl-f",
  "\x0b": "ctrl-k",
  "\x0c": "ctrl-l",
  "\x15": "ctrl-u",
  "\x17": "ctrl-w",
};

/** Modifier parameters of CSI keys (`ESC [ 1 ; 5 D` is Ctrl-Left). */
const MODIFIERS: Record<string, string> = { "2": "shift-", "3": "alt-", "5": "ctrl-" };

/**
 * Splits terminal input into key names: printable characters as themselves, and `up`,
 * `down`, `left`, `right`, `pageup`, `pagedown`, `home`, `end`, `shift-tab`, `tab`, `enter`,
 * `backspace`, `delete`, `escape`, `ctrl-c`... An escape sequence cut off at the end of
 * `text` is returned in `rest` (to be completed by the next read) unless `final` is true, in
 * which case a lone ESC is the Escape key. `\r\n` is one Enter.
 *
 * @example
 * ```ts
 * import { decodeKeys } from "./terminal.ts";
 * import assert from "node:assert/strict";
 * const a = decodeKeys("j\x1b[6~\x1b[", false);
 * assert.equal(a.keys.join(), "j,pagedown");
 * assert.equal(a.rest, "\x1b[");
 * assert.equal(decodeKeys("\x1b", true).keys[0], "escape");
 * ```
 */
export function decodeKeys(text: string, final: boolean): { keys: string[]; rest: string } {
  const keys: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\x1b") {
      const next = text[i + 1];
      if (next === undefined) {
        if (!final) return { keys, rest: text.slice(i) };
        keys.push("escape");
        i++;
        continue;
      }
      if (next === "[") {
        let j = i + 2;
        while (j < text.length && /[0-9;?]/.test(text[j])) j++;
        if (j >= text.length) {
          if (!final) return { keys, rest: text.slice(i) };
          keys.push("escape");
          i++;
          continue;
        }
        const params = text.slice(i + 2, j);
        const last = text[j];
        const code = last === "~" ? `${params.split(";")[0]}~` : last;
        const named = CSI_KEYS[code];
        const modifier = MODIFIERS[params.split(";")[1] ?? ""] ?? "";
        keys.push(
          named ? (named === "shift-tab" ? named : modifier + named) : `unknown:${params}${last}`,
        );
        i = j + 1;
        continue;
      }
      if (next === "O") {
        const last = text[i + 2];
        if (last === undefined) {
          if (!final) return { keys, rest: text.slice(i) };
          keys.push("escape");
          i++;
          continue;
        }
        keys.push(CSI_KEYS[last] ?? `unknown:O${last}`);
        i += 3;
        continue;
      }
      if (next === "\x1b") {
        keys.push("escape");
        i++;
        continue;
      }
      keys.push(`alt-${next}`);
      i += 2;
      continue;
    }
    if (ch === "\r" && text[i + 1] === "\n") {
      keys.push("enter");
      i += 2;
      continue;
    }
    const named = CONTROL_KEYS[ch];
    if (named) {
      keys.push(named);
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const char = String.fromCodePoint(cp);
    if (cp >= 0x20) keys.push(char);
    i += char.length;
  }
  return { keys, rest: "" };
}

function padTo(text: string, plainWidth: number, width: number): string {
  return plainWidth < width ? text + " ".repeat(width - plainWidth) : text;
}

function withMarks(line: ScreenLine): string {
  if (!line.marks || line.marks.length === 0) return line.text;
  // The current match: bold, underlined, reversed; other matches: reversed.
  const on = line.current ? "\x1b[1;4;7m" : "\x1b[7m";
  const off = line.current ? "\x1b[22;24;27m" : "\x1b[27m";
  let out = "";
  let at = 0;
  for (const [start, end] of line.marks) {
    out += line.plain.slice(at, start) + on + line.plain.slice(start, end) + off;
    at = end;
  }
  return out + line.plain.slice(at);
}

function sameLine(a: ScreenLine | undefined, b: ScreenLine): boolean {
  if (!a) return false;
  if (a.text !== b.text || a.plain !== b.plain || a.style !== b.style) return false;
  if ((a.current ?? false) !== (b.current ?? false) || a.hint !== b.hint) return false;
  if ((a.indent ?? 0) !== (b.indent ?? 0)) return false;
  return JSON.stringify(a.marks ?? []) === JSON.stringify(b.marks ?? []);
}

/**
 * The ANSI text that draws `lines` on a `width`-column screen from the top-left corner, and
 * puts the cursor at `cursor` (shown) or hides it. With `previous` (the lines on screen now,
 * at the same size), only the rows that differ are drawn, so a key press rewrites one or two
 * rows instead of the whole screen. The frame is one synchronized update (DEC mode 2026) for
 * terminals that support it.
 *
 * @example
 * ```ts
 * import { paint } from "./terminal.ts";
 * import assert from "node:assert/strict";
 * const a = [{ plain: "one", text: "one", style: "page" as const }];
 * const b = [{ plain: "two", text: "two", style: "page" as const }];
 * assert.ok(paint(b, 10, undefined, (t) => t.length, a).includes("two"));
 * assert.ok(!paint(a, 10, undefined, (t) => t.length, a).includes("one"));
 * ```
 */
export function paint(
  lines: readonly ScreenLine[],
  width: number,
  cursor: { row: number; col: number } | undefined,
  plainWidth: (text: string) => number,
  previous?: readonly ScreenLine[],
): string {
  let out = "\x1b[?2026h\x1b[?25l";
  lines.forEach((line, row) => {
    if (previous && sameLine(previous[row], line)) return;
    // The whole row is erased first: whatever the terminal holds there (another program's
    // output, a cell a wide character left) never shows through.
    out += `\x1b[${row + 1};1H\x1b[0m\x1b[2K`;
    if (line.indent) out += `\x1b[${row + 1};${line.indent + 1}H`;
    switch (line.style) {
      case "page":
        out += withMarks(line);
        break;
      case "selected":
        out += "\x1b[7m" + line.plain + "\x1b[27m";
        break;
      case "status":
        out += "\x1b[7m" + padTo(line.plain, plainWidth(line.plain), width) + "\x1b[27m";
        break;
      case "prompt":
        out += "\x1b[1m" + line.plain + "\x1b[22m";
        break;
      case "more":
        out += "\x1b[2m" + line.plain + "\x1b[22m";
        break;
      default:
        out += line.plain;
    }
    if (line.hint && (line.style === "prompt" || line.style === "message")) {
      const used = plainWidth(line.plain) + plainWidth(line.hint);
      out += " ".repeat(Math.max(1, width - used)) + "\x1b[2m" + line.hint + "\x1b[22m";
    }
    out += "\x1b[0m\x1b[K";
  });
  if (cursor) out += `\x1b[${cursor.row + 1};${cursor.col + 1}H\x1b[?25h`;
  return out + "\x1b[?2026l";
}

/**
 * The OSC 52 sequence that asks the terminal to put `text` on the system clipboard (terminals
 * and multiplexers that allow it; tmux with `set-clipboard on`).
 *
 * @example
 * ```ts
 * import { osc52 } from "./terminal.ts";
 * import assert from "node:assert/strict";
 * assert.equal(osc52("hi"), "\x1b]52;c;aGk=\x07");
 * ```
 */
export function osc52(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `\x1b]52;c;${btoa(binary)}\x07`;
}

/** A full-screen terminal session on Deno's stdin and stdout. */
export class FullScreen {
  #encoder = new TextEncoder();
  #decoder = new TextDecoder();
  #pending: Promise<number | null> | undefined;
  #buffer = new Uint8Array(4096);
  #rest = "";
  #resize: (() => void) | undefined;
  #started = false;
  #last: readonly ScreenLine[] | undefined;
  #lastWidth = 0;

  /** Enters the alternate screen and raw mode. */
  start(onResize: () => void): void {
    Deno.stdin.setRaw(true, { cbreak: false });
    this.#write("\x1b[?1049h\x1b[H\x1b[2J");
    this.#started = true;
    if (Deno.build.os !== "windows") {
      this.#resize = onResize;
      Deno.addSignalListener("SIGWINCH", onResize);
    }
  }

  /** Leaves the alternate screen and raw mode. Safe to call twice. */
  stop(): void {
    if (!this.#started) return;
    this.#started = false;
    if (this.#resize) Deno.removeSignalListener("SIGWINCH", this.#resize);
    this.#write("\x1b[0m\x1b[?25h\x1b[?1049l");
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin is gone
    }
  }

  /** Window size in cells. */
  size(): { width: number; height: number } {
    try {
      const { columns, rows } = Deno.consoleSize();
      return { width: columns, height: rows };
    } catch {
      return { width: 80, height: 24 };
    }
  }

  /** Draws a painted screen. */
  draw(ansi: string): void {
    this.#write(ansi);
  }

  /**
   * Draws `lines` in one write, only the rows that changed since the last call (everything
   * after a resize or {@linkcode FullScreen.invalidate}).
   */
  render(
    lines: readonly ScreenLine[],
    width: number,
    cursor: { row: number; col: number } | undefined,
    plainWidth: (text: string) => number,
  ): void {
    const same = this.#last !== undefined && this.#lastWidth === width &&
      this.#last.length === lines.length;
    const previous = same ? this.#last : undefined;
    const clear = previous ? "" : "\x1b[0m\x1b[H\x1b[2J";
    this.#write(clear + paint(lines, width, cursor, plainWidth, previous));
    this.#last = lines;
    this.#lastWidth = width;
  }

  /** Forgets what is on screen: the next render draws every row (Ctrl-L). */
  invalidate(): void {
    this.#last = undefined;
  }

  #write(text: string): void {
    let bytes = this.#encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
  }

  #read(): Promise<number | null> {
    this.#pending ??= Deno.stdin.read(this.#buffer);
    return this.#pending;
  }

  /** The next keys typed; `null` at the end of input. Waits 50 ms to complete an ESC sequence. */
  async keys(): Promise<string[] | null> {
    for (;;) {
      let n: number | null;
      if (this.#rest !== "") {
        const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 50));
        const got = await Promise.race([this.#read(), timer]);
        if (got === "timeout") {
          const { keys } = decodeKeys(this.#rest, true);
          this.#rest = "";
          return keys;
        }
        n = got;
      } else {
        n = await this.#read();
      }
      this.#pending = undefined;
      if (n === null) return null;
      const text = this.#rest + this.#decoder.decode(this.#buffer.subarray(0, n), { stream: true });
      const { keys, rest } = decodeKeys(text, false);
      this.#rest = rest;
      if (keys.length > 0) return keys;
    }
  }
}
