/**
 * The retry policy of the client, as one pure decision: after a response, send the request
 * again (after how long), or stop and say why. One budget of retries and one budget of
 * waiting cover every reason to retry (44 SLOW DOWN, and 40, 41 and 43), and a request that
 * carries the user's input is not re-sent unless asked.
 *
 * @module
 */

import { normalizeStatus, Status } from "../protocol/status.ts";
import { slowDownSeconds } from "../protocol/response.ts";
import type { RetryReport } from "./types.ts";

/** Default number of retries of one fetch. */
export const DEFAULT_RETRIES = 3;
/** Default total waiting before retries in one fetch, seconds. */
export const DEFAULT_MAX_WAIT_SECONDS = 30;

/** The limits a retry must fit in. */
export interface RetryPolicy {
  /** Retries allowed in all. Default {@linkcode DEFAULT_RETRIES}. */
  retries?: number;
  /** Seconds of waiting allowed in all. Default {@linkcode DEFAULT_MAX_WAIT_SECONDS}. */
  maxWaitSeconds?: number;
  /** Whether a request carrying the user's input may be re-sent. Default false. */
  retryInput?: boolean;
}

/** What to do after a response: retry after `seconds`, or stop (and why). */
export type RetryDecision =
  | { retry: true; seconds: number }
  | { retry: false; stopped: NonNullable<RetryReport["stopped"]> };

/** The statuses worth asking again after a wait: 40, 41, 43 and 44 (not 42, a CGI error). */
const RETRIED: ReadonlySet<number> = new Set([
  Status.TemporaryFailure,
  Status.ServerUnavailable,
  Status.ProxyError,
  Status.SlowDown,
]);

/**
 * Whether to retry after `status`/`meta`, given the retries made so far (`done`) and
 * whether the request carried the user's input. `undefined` when the status is not one to
 * retry (only 40, 41, 43, 44 and the undefined codes handled as 40 are). The wait is the
 * seconds a `44` names, else 1, 2, 4 ... seconds by the number of retries made.
 *
 * @example
 * ```ts
 * import { planRetry } from "./retry.ts";
 * import assert from "node:assert";
 * const none = { count: 0, waitedSeconds: 0 };
 * assert.deepEqual(planRetry(44, "5", none, false, {}), { retry: true, seconds: 5 });
 * assert.deepEqual(planRetry(44, "90", none, false, {}), { retry: false, stopped: "max-wait" });
 * assert.deepEqual(planRetry(40, "", none, true, {}), { retry: false, stopped: "input" });
 * assert.equal(planRetry(51, "", none, false, {}), undefined);
 * ```
 */
export function planRetry(
  status: number,
  meta: string,
  done: Pick<RetryReport, "count" | "waitedSeconds">,
  carriesInput: boolean,
  policy: RetryPolicy,
): RetryDecision | undefined {
  const handled = normalizeStatus(status);
  if (!RETRIED.has(handled)) return undefined;
  if (carriesInput && !policy.retryInput) return { retry: false, stopped: "input" };
  if (done.count >= (policy.retries ?? DEFAULT_RETRIES)) {
    return { retry: false, stopped: "retries" };
  }
  const seconds = handled === Status.SlowDown && /^\s*[0-9]/.test(meta)
    ? slowDownSeconds(meta)
    : 2 ** done.count;
  const left = (policy.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS) - done.waitedSeconds;
  if (seconds > left) return { retry: false, stopped: "max-wait" };
  return { retry: true, seconds };
}
