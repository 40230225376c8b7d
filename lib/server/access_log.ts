/**
 * The access log: one line per request with time, client IP (omittable), host, path,
 * status, bytes, duration and client-certificate fingerprint, as text or JSON.
 *
 * @module
 */

import { _escapeControls, type LineWriter } from "./logger.ts";

/** One finished request. */
export interface AccessEntry {
  /** When the request finished. */
  time: Date;
  /** The request id. */
  requestId: string;
  /** Client IP address. */
  ip: string;
  /** Requested host (empty when the request was refused before it was parsed). */
  host: string;
  /** Requested path (empty when refused before parsing). */
  path: string;
  /** The status sent, or 0 when none could be sent. */
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** Milliseconds from accepting the connection to closing it. */
  durationMs: number;
  /** SHA-256 of the client certificate (hex), if one was sent. */
  clientCertificate?: string;
}

/** Options for {@linkcode AccessLog}. */
export interface AccessLogOptions {
  /** `text` (default): space-separated fields; `json`: one object per line. */
  format?: "text" | "json";
  /** Leave client IP addresses out of the log. Default `false`. */
  omitIp?: boolean;
}

/**
 * `path` with a Titan `;token=` parameter and everything after it replaced by
 * `;token=[redacted]`: a token is a password, and a malformed Titan request keeps its
 * parameters in the path. (The token may hold an encoded `;`, so nothing after it is kept.)
 */
function redactToken(path: string): string {
  if (!path.includes(";")) return path;
  const at = path.search(/;token=/i);
  return at < 0 ? path : `${path.slice(0, at)};token=[redacted]`;
}

/**
 * Formats an access-log entry as one line (with its newline). A Titan token in the path is
 * never written (`;token=[redacted]`); control characters in the path are escaped.
 *
 * @example
 * ```ts
 * import { formatAccessEntry } from "./access_log.ts";
 * import assert from "node:assert/strict";
 * const line = formatAccessEntry({
 *   time: new Date(0), requestId: "r1", ip: "127.0.0.1", host: "localhost", path: "/",
 *   status: 20, bytes: 12, durationMs: 3,
 * });
 * assert.equal(line, '1970-01-01T00:00:00.000Z 127.0.0.1 localhost "/" 20 12 3ms - r1\n');
 * ```
 */
export function formatAccessEntry(entry: AccessEntry, options: AccessLogOptions = {}): string {
  const ip = options.omitIp ? "-" : entry.ip || "-";
  if (options.format === "json") {
    const record: Record<string, unknown> = {
      time: isoTime(entry.time),
      id: entry.requestId,
      ...(options.omitIp ? {} : { ip: entry.ip }),
      host: entry.host,
      path: redactToken(entry.path),
      status: entry.status,
      bytes: entry.bytes,
      duration_ms: entry.durationMs,
      client_cert: entry.clientCertificate ?? null,
    };
    return _escapeControls(JSON.stringify(record)) + "\n";
  }
  const line = `${isoTime(entry.time)} ${ip} ${entry.host || "-"} ${
    JSON.stringify(redactToken(entry.path))
  } ${entry.status} ${entry.bytes} ${entry.durationMs}ms ${
    entry.clientCertificate ?? "-"
  } ${entry.requestId}`;
  return _escapeControls(line) + "\n";
}

/** The second (Unix time) whose ISO text {@linkcode isoTime} keeps, and that text. */
let isoSecond = NaN;
let isoPrefix = "";

/**
 * `date.toISOString()`, formatted once per second: V8 formats every call from scratch,
 * and an access log asks for the same second many times.
 */
function isoTime(date: Date): string {
  const ms = date.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = date.toISOString();
    // Years outside 0000-9999 have a longer form: not cached.
    if (iso.length !== 24) return iso;
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

/** Writes access-log lines. */
export class AccessLog {
  #out: LineWriter;
  #options: AccessLogOptions;

  /** A log writing to `out` with `options`. */
  constructor(out: LineWriter, options: AccessLogOptions = {}) {
    this.#out = out;
    this.#options = options;
  }

  /** Writes one entry. Never throws. */
  log(entry: AccessEntry): void {
    try {
      const written = this.#out.write(formatAccessEntry(entry, this.#options));
      if (written instanceof Promise) written.catch(() => {});
    } catch {
      // a broken log must not break serving
    }
  }
}
