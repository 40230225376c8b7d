/**
 * The normal client of the soak benchmark: while an attack runs and after it, it fetches
 * the capsule's home page every `intervalMs` (one request at a time, each on a new TLS
 * connection, from a few loopback addresses in turn so that its own rate stays under the
 * server's default per-address limit) and records every request that did not get a
 * complete `20` answer within `timeoutMs`, and the worst latency.
 *
 * @module
 */

import { type AddressPool, pause, readAnswer, type Target, tlsFrom } from "./sockets.ts";

/** The outcome of one request. */
export interface FetchResult {
  /** Whether the answer was a complete `20` response within the deadline. */
  ok: boolean;
  /** From the start of the TCP connection to the end of the answer (or the failure), ms. */
  ms: number;
  /** Why it failed. */
  error?: string;
}

/** Options for {@linkcode fetchPage}. */
export interface FetchOptions {
  /** Source address. */
  from: string;
  /** Deadline for the whole request, ms. Default 2000. */
  timeoutMs?: number;
  /** Length of the expected body, bytes; unchecked when absent. */
  bodyLength?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Fetches `gemini://<servername>:<port>/` once. */
export async function fetchPage(target: Target, options: FetchOptions): Promise<FetchResult> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  try {
    const socket = await tlsFrom(target, options.from, timeoutMs);
    socket.write(encoder.encode(`gemini://${target.servername}:${target.port}/\r\n`));
    const answer = await readAnswer(socket, Math.max(1, timeoutMs - elapsed()), 1 << 20);
    const ms = elapsed();
    const text = decoder.decode(answer.bytes);
    const eol = text.indexOf("\r\n");
    const header = eol < 0 ? text.slice(0, 80) : text.slice(0, eol);
    if (!answer.ended) return { ok: false, ms, error: `no complete answer in ${timeoutMs} ms` };
    if (!header.startsWith("20 ")) {
      return { ok: false, ms, error: `answer ${JSON.stringify(header)}` };
    }
    const body = answer.bytes.length - (eol + 2);
    if (options.bodyLength !== undefined && body !== options.bodyLength) {
      return { ok: false, ms, error: `body of ${body} bytes, expected ${options.bodyLength}` };
    }
    return { ok: true, ms };
  } catch (error) {
    return { ok: false, ms: elapsed(), error: (error as Error).message };
  }
}

/** What a {@linkcode Probe} saw between start and stop. */
export interface ProbeReport {
  /** Requests made. */
  requests: number;
  /** Requests answered with a complete `20` in time. */
  ok: number;
  /** Slowest request (successful or not), ms. */
  worstMs: number;
  /** The first few failures, with the time since the probe started. */
  failures: string[];
}

/** Options for {@linkcode Probe}. */
export interface ProbeOptions {
  /** Source addresses, used in turn. */
  pool: AddressPool;
  /** Time between the starts of two requests, ms. Default 250. */
  intervalMs?: number;
  /** Deadline for one request, ms. Default 2000. */
  timeoutMs?: number;
  /** Length of the expected body, bytes. */
  bodyLength?: number;
}

/** A normal client that keeps fetching a page until stopped. */
export class Probe {
  #target: Target;
  #options: ProbeOptions;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #report: ProbeReport = { requests: 0, ok: 0, worstMs: 0, failures: [] };

  /** A probe of `target`. */
  constructor(target: Target, options: ProbeOptions) {
    this.#target = target;
    this.#options = options;
  }

  /** Starts fetching. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops after the request in progress and returns what was seen. */
  async stop(): Promise<ProbeReport> {
    this.#stop.abort();
    await this.#loop;
    return this.#report;
  }

  async #run(): Promise<void> {
    const interval = this.#options.intervalMs ?? 250;
    const began = performance.now();
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const started = performance.now();
      const result = await fetchPage(this.#target, {
        from: this.#options.pool.next(),
        timeoutMs: this.#options.timeoutMs,
        bodyLength: this.#options.bodyLength,
      });
      const r = this.#report;
      r.requests++;
      r.worstMs = Math.max(r.worstMs, result.ms);
      if (result.ok) r.ok++;
      else if (r.failures.length < 5) {
        r.failures.push(`at ${((started - began) / 1000).toFixed(1)} s: ${result.error}`);
      }
      await pause(Math.max(0, interval - (performance.now() - started)), signal);
    }
  }
}
