/**
 * Deadlines for promises: a time limit and an abort signal raced against any promise,
 * with the timer and the listener removed as soon as it settles (nothing is kept alive per
 * call once it is over, which matters on a server's per-connection paths).
 *
 * @module
 */

/** The error a promise is rejected with when its deadline passes. */
export class DeadlineError extends Error {
  /** Creates the error; `message` says what ran out of time. */
  constructor(message = "Deadline passed", options?: ErrorOptions) {
    super(message, options);
    this.name = "DeadlineError";
  }
}

/** When a {@linkcode withDeadline} race ends. Both may be given; the first wins. */
export interface DeadlineOptions {
  /** The deadline as a time (`Date.now()` milliseconds). */
  at?: number;
  /** Aborting it rejects with its `reason`. */
  signal?: AbortSignal;
  /** The message of the {@linkcode DeadlineError}. Default `Deadline passed`. */
  message?: string;
}

/**
 * Settles like `promise`, unless the deadline passes first (rejects with a
 * {@linkcode DeadlineError}) or `signal` aborts first (rejects with its reason). The promise
 * itself is not cancelled.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { DeadlineError, withDeadline } from "./deadline.ts";
 * assert.equal(await withDeadline(Promise.resolve(1), { at: Date.now() + 1000 }), 1);
 * await assert.rejects(
 *   withDeadline(new Promise(() => {}), { at: Date.now() + 10 }),
 *   DeadlineError,
 * );
 * ```
 */
export function withDeadline<T>(promise: Promise<T>, options: DeadlineOptions): Promise<T> {
  const { at, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (at !== undefined && at <= Date.now()) {
    return Promise.reject(new DeadlineError(options.message));
  }
  if (at === undefined && signal === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    if (at !== undefined) {
      timer = setTimeout(() => reject(new DeadlineError(options.message)), at - Date.now());
    }
    if (signal) {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  return Promise.race([promise, limit]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  });
}
