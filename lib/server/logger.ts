/**
 * The four-method logger the server reports through. Errors and warnings go here (to
 * stderr by default); the access log is a separate writer ({@linkcode AccessLog}).
 *
 * @module
 */

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where the server reports what happens outside the access log. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Normal events: started, listening, stopped. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something odd that the server survived. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure, e.g. a handler that threw. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Something lines can be written to. */
export interface LineWriter {
  /** Writes one line (with its newline). */
  write(line: string): void | Promise<void>;
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** `text` (default) or `json` lines. */
  format?: "text" | "json";
  /** Clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

// C0 controls, DEL, C1 controls and the Unicode line and paragraph separators: anything a
// terminal or a log reader could take for a line break or a control sequence.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
// The same set, to test for (nearly no log line has one).
// deno-lint-ignore no-control-regex
const HAS_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;
const SHORT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `\n`, `\r`, `\t` or `\uXXXX` for each control character (C0, DEL, C1, U+2028, U+2029) in
 * `text`, so it stays one line. Internal to lib/server (the access log uses it too).
 */
export function _escapeControls(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(
    CONTROL,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A field value for a text line: bare when it is one plain word, else a JSON string. */
function formatValue(value: unknown): string | undefined {
  if (value instanceof Error) return _escapeControls(JSON.stringify(value.stack ?? value.message));
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return undefined; // undefined, functions, symbols: left out
  // deno-lint-ignore no-control-regex
  if (/^[^\s"=\\\x00-\x1f\x7f-\x9f]+$/.test(text)) return text;
  return _escapeControls(JSON.stringify(text));
}

/** A field name for a text line: anything but letters, digits, `_`, `.` and `-` becomes `_`. */
function formatKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]/g, "_") || "_";
}

/** The fields of a text line, ` key=value` each; fields whose value is `undefined` are left out. */
function formatFields(fields: Record<string, unknown> | undefined): string {
  let out = "";
  for (const [key, value] of Object.entries(fields ?? {})) {
    const text = formatValue(value);
    if (text !== undefined) out += ` ${formatKey(key)}=${text}`;
  }
  return out;
}

/**
 * A logger that writes one line per message to `out` (default: standard error). Control
 * characters (C0, DEL, C1, U+2028, U+2029) in the message and in field values are written
 * as escapes (`\n`, `\u001b`), so no caller can start a new log line or send terminal
 * control sequences; fields whose value is `undefined` are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ write: (l) => void lines.push(l) }, { now: () => new Date(0) });
 * log.error("handler failed", { id: "abc", generated: undefined });
 * assert.equal(lines[0], "1970-01-01T00:00:00.000Z error handler failed id=abc\n");
 * log.warn("bad\r\nforged", { mime: "a\nb" });
 * assert.equal(lines[1], '1970-01-01T00:00:00.000Z warn bad\\r\\nforged mime="a\\nb"\n');
 * ```
 */
export function createLogger(
  out: LineWriter = stderrWriter(),
  options: LoggerOptions = {},
): Logger {
  const min = LEVELS[options.level ?? "info"];
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < min) return;
    const time = now().toISOString();
    let line: string;
    if (options.format === "json") {
      const extra: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields ?? {})) {
        extra[k] = v instanceof Error ? (v.stack ?? v.message) : v;
      }
      // JSON.stringify escapes C0 controls and leaves out undefined values; DEL, C1 and the
      // Unicode separators (which can only sit inside strings here) are escaped too.
      line = _escapeControls(JSON.stringify({ time, level, message, ...extra }));
    } else {
      line = `${time} ${level} ${_escapeControls(message)}${formatFields(fields)}`;
    }
    void out.write(line + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** A {@linkcode LineWriter} for the process's standard error. */
export function stderrWriter(): LineWriter {
  const encoder = new TextEncoder();
  return { write: (line: string): void => void Deno.stderr.writeSync(encoder.encode(line)) };
}

/** A {@linkcode LineWriter} for the process's standard output. */
export function stdoutWriter(): LineWriter {
  const encoder = new TextEncoder();
  return { write: (line: string): void => void Deno.stdout.writeSync(encoder.encode(line)) };
}
