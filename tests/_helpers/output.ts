/**
 * A child process's output stream (usually stderr of `./gemini serve`), collected as text,
 * with a bounded wait for a pattern in it.
 *
 * @module
 */

import { waitForValue } from "./wait.ts";

/** Collects a child's stream and waits for patterns in it. */
export class Output {
  /** Everything read so far. */
  text = "";
  #done: Promise<void>;

  /** Starts reading `stream` to its end. */
  constructor(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    this.#done = (async () => {
      for await (const chunk of stream) this.text += decoder.decode(chunk, { stream: true });
    })().catch(() => {});
  }

  /**
   * The first match of `pattern` in the text from offset `from` on; throws with the whole
   * output when none appears within `timeoutMs`.
   */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return await waitForValue(
      () => pattern.exec(this.text.slice(from)) ?? undefined,
      `${pattern}`,
      { timeoutMs, intervalMs: 20 },
    ).catch(() => {
      throw new Error(`did not see ${pattern}; output:\n${this.text}`);
    });
  }

  /** Resolves when the stream has ended. */
  get done(): Promise<void> {
    return this.#done;
  }
}
