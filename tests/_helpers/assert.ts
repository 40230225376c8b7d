/**
 * Assertions for the tests, on top of `node:assert/strict` (the std assert module is not
 * reachable from this project's machines). Names follow std's so tests read familiarly.
 */

import nodeAssert from "node:assert/strict";

/** Asserts that `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Asserts deep equality (structural, strict). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Asserts that `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) {
    nodeAssert.fail(
      message ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
    );
  }
}

/** Asserts that `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message);
}

/** Asserts that `fn` throws an instance of `ErrorClass` whose message includes `includes`. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    check(error, ErrorClass, includes);
    return error as E;
  }
  return nodeAssert.fail("expected the function to throw");
}

/** Asserts that `fn` rejects with an instance of `ErrorClass` whose message includes `includes`. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    check(error, ErrorClass, includes);
    return error as E;
  }
  return nodeAssert.fail("expected the promise to reject");
}

function check(
  error: unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => Error,
  includes?: string,
): void {
  if (ErrorClass && !(error instanceof ErrorClass)) {
    nodeAssert.fail(`expected ${ErrorClass.name}, got ${error}`);
  }
  if (includes !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(includes)) {
      nodeAssert.fail(`expected error message to include ${JSON.stringify(includes)}: ${message}`);
    }
  }
}
