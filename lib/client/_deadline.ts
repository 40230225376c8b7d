/**
 * The client's deadlines: `withDeadline` of `lib/tls/deadline.ts`, with a passing deadline
 * turned into a `timeout` {@linkcode ClientError} and an abort into an `aborted` one, each
 * worded by the caller. Internal.
 *
 * @module
 */

import { DeadlineError, withDeadline } from "../tls/deadline.ts";
import type { ClientError } from "./types.ts";

/** The limits of one wait and the errors that tell of each. */
export interface _Limits {
  /** The deadline (`Date.now()` milliseconds). */
  at: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
  /** The error when the deadline passes first. */
  timeout(): ClientError;
  /**
   * The error when `signal` aborts first (or had aborted before the wait). Default: the
   * signal's reason.
   */
  aborted?(): ClientError;
}

/**
 * The result of `start()`, unless `limits.at` passes or `limits.signal` aborts first.
 * `start` is not called when the signal has already aborted; what it started is not
 * cancelled (its caller releases the connection).
 */
export async function _within<T>(start: () => Promise<T>, limits: _Limits): Promise<T> {
  const { signal } = limits;
  const aborted = (): unknown => limits.aborted?.() ?? signal?.reason;
  if (signal?.aborted) throw aborted();
  const promise = start();
  // A wait refused at once never looks at the promise: its failure is not unhandled then.
  promise.catch(() => {});
  try {
    return await withDeadline(promise, { at: limits.at, signal });
  } catch (error) {
    if (error instanceof DeadlineError) throw limits.timeout();
    if (signal?.aborted && error === signal.reason) throw aborted();
    throw error;
  }
}

/**
 * The longest delay a timer can hold (2^31 - 1 ms, about 24.8 days). Longer delays overflow
 * to 1 ms in setTimeout, which would turn a huge timeout into an instant one and a huge
 * 44 wait into no wait at all; they are held to this instead.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` held to what a timer can wait: from 0 to {@linkcode MAX_TIMER_MS}. */
export function _timerMs(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}
