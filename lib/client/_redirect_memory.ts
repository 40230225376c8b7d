/**
 * The permanent redirects (31) a client has followed, remembered for its life so that the
 * next fetch of the old URL goes straight to the new one. Internal.
 *
 * @module
 */

/** Source URL -> target URL, oldest first, at most `max` of them. */
export class _RedirectMemory {
  readonly #max: number;
  readonly #moved = new Map<string, string>();

  /** A memory of at most `max` redirects (the oldest are forgotten first). */
  constructor(max: number) {
    this.#max = max;
  }

  /** Where a remembered redirect sends `href`, if one does. */
  get(href: string): string | undefined {
    return this.#moved.get(href);
  }

  /** Remembers that `from` moved to `to` (as the newest entry). */
  remember(from: URL, to: URL): void {
    this.#moved.delete(from.href);
    this.#moved.set(from.href, to.href);
    while (this.#moved.size > this.#max) {
      this.#moved.delete(this.#moved.keys().next().value!);
    }
  }

  /** Forgets the redirects of each of `urls` (a chain that closed a loop). */
  forget(urls: readonly URL[]): void {
    for (const url of urls) this.#moved.delete(url.href);
  }
}
