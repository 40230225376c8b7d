/**
 * Bounded polling for tests: wait until a condition holds, rather than sleep a fixed time
 * and hope it holds by then (a race on a loaded machine).
 */

/** Options for {@linkcode waitFor} and {@linkcode waitForValue}. */
export interface WaitOptions {
  /** The longest wait, ms. Default 10000: a bound against hangs, not a speed requirement. */
  timeoutMs?: number;
  /** Time between checks, ms. Default 10. */
  intervalMs?: number;
}

/**
 * Resolves with what `probe` returns once it is not `undefined`; checks every
 * `intervalMs`, and throws `Timed out after N ms waiting for WHAT` past `timeoutMs`.
 */
export async function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  // Bounded in count as well as in time (one more turn than the time allows).
  const turns = Math.ceil(timeoutMs / Math.max(intervalMs, 1)) + 1;
  for (let turn = 0; turn < turns; turn++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Resolves once `check` holds (see {@linkcode waitForValue}). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: WaitOptions = {},
): Promise<void> {
  await waitForValue(async () => (await check()) ? true : undefined, what, options);
}
