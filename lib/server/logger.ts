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

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.stack ?? value.message);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text ?? "") ? text : JSON.stringify(text);
}

/**
 * A logger that writes one line per message to `out` (default: standard error).
 *
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ write: (l) => void lines.push(l) }, { now: () => new Date(0) });
 * log.error("handler failed", { id: "abc" });
 * console.assert(lines[0] === "1970-01-01T00:00:00.000Z error handler failed id=abc\n");
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
      line = JSON.stringify({ time, level, message, ...extra });
    } else {
      line = `${time} ${level} ${message}` +
        Object.entries(fields ?? {}).map(([k, v]) => ` ${k}=${formatValue(v)}`).join("");
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
