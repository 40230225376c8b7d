/**
 * The controller of `gemini browse`: runs the model's effects (fetches through a
 * {@linkcode Fetcher}, answers, bookmarks, subscriptions, downloads), turns the client's
 * human decisions into prompts in the prompt line (`./questions.ts`), and hands every new
 * state to the user interface (full screen or line mode).
 *
 * @module
 */

import type { ClientHooks, GeminiResponse, IdentityStore } from "../../client/types.ts";
import { ClientError } from "../../client/types.ts";
import { gemtextTitle, parseGemfeed, parseGemtext } from "../../gemtext/mod.ts";
import { formatSize } from "../../gemtext/size.ts";
import { aboutPage } from "./about_pages.ts";
import { certificateChangeDetails, invalidCertificateDetails } from "./certificate_details.ts";
import type { Fetcher } from "./client_fetcher.ts";
import { downloadName, handlerFor, saveBody } from "./downloads.ts";
import { errorPage, type Failure } from "./error_page.ts";
import { isExternal, schemeOf, spawnDetached, startOpener } from "./external.ts";
import { shownUrl } from "./layout.ts";
import {
  type BrowserEvent,
  type BrowserState,
  type Effect,
  type Page,
  type Prompt,
  update,
} from "./model.ts";
import { ClientQuestions, type QuestionHost } from "./questions.ts";
import { SessionIdentities } from "./session_identities.ts";
import type { BrowseStore } from "./store.ts";

export type { Fetcher } from "./client_fetcher.ts";
export {
  certificateChangeDetails,
  groupedFingerprint,
  invalidCertificateDetails,
} from "./certificate_details.ts";
import { isInput, isRedirect, isSuccess } from "../../protocol/status.ts";
export { downloadName, handlerFor } from "./downloads.ts";
export { identityScope } from "./identity_question.ts";
export { messagesGemtext } from "./about_pages.ts";

/** Options for {@linkcode Browser}. */
export interface BrowserOptions {
  /** Makes the fetcher, given the hooks that ask the person. */
  makeFetcher: (hooks: ClientHooks) => Fetcher;
  /** Bookmarks, history, session, subscriptions. */
  store: BrowseStore;
  /**
   * Identities offered for status 60 (and where new ones are saved). Pass the same
   * {@linkcode SessionIdentities} to the fetcher so that transient identities are used again
   * for their scope. Default: none saved.
   */
  identities?: IdentityStore;
  /** Where downloads go. */
  downloadsDir: string;
  /** Programs that open non-text responses, by media type (`image/png`, `image/*`, `*`). */
  handlers?: Record<string, string>;
  /** The system opener, e.g. `["xdg-open"]`. */
  opener?: string[];
  /**
   * Programs (argv, the URL is added last) for links of schemes the browser does not fetch,
   * by scheme (`mailto`, `https`...). A scheme listed here is never fetched, even through a
   * proxy. Others fall back on the client, then on `opener`.
   */
  schemes?: Record<string, string[]>;
  /** Puts text on the terminal's clipboard (OSC 52); absent: copying says it cannot. */
  copy?: (text: string) => void;
  /**
   * Starts an opener program on a file or URL; default: `Deno.Command(...).spawn()`. Throws
   * when the program cannot be started (the browser says so).
   */
  spawn?: (command: string[]) => void;
  /** Called with every new state. */
  render: (state: BrowserState) => void;
  /** Initial state. */
  state: BrowserState;
  /** Hosts allowed without asking over unencrypted schemes (`scheme://host:port`). */
  allowInsecure?: string[];
}

/** Runs the browser: state, effects and prompts. */
export class Browser {
  #state: BrowserState;
  #options: BrowserOptions;
  #fetcher: Fetcher;
  #questions: ClientQuestions;
  #abort: AbortController | undefined;
  #answers = new Map<number, (value: string | null) => void>();
  #nextAsk = 1;
  #quit: () => void = () => {};
  #quitted = false;
  #done: Promise<void>;
  #tasks = new Set<Promise<unknown>>();
  #saves: Promise<void> = Promise.resolve();
  #sensitiveLoads = new Set<number>();
  #currentLoad = 0;
  #redirectedTo: string | undefined;
  /** A warning or notice given during a load, shown again once its page is on screen. */
  #notice: { id: number; text: string } | undefined;

  /** A browser with the given dependencies. */
  constructor(options: BrowserOptions) {
    this.#options = options;
    this.#state = options.state;
    const identities = options.identities instanceof SessionIdentities
      ? options.identities
      : new SessionIdentities(options.identities);
    this.#questions = new ClientQuestions(this.#questionHost(identities), options.allowInsecure);
    this.#fetcher = options.makeFetcher(this.hooks);
    this.#done = new Promise((resolve) => this.#quit = resolve);
  }

  /** The current state. */
  get state(): BrowserState {
    return this.#state;
  }

  /** Whether the user has quit. */
  get quitted(): boolean {
    return this.#quitted;
  }

  /** Resolves when the user quits. */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Waits for background work (fetches, saves) to settle; for tests. */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && this.#tasks.size > 0; i++) await Promise.allSettled(this.#tasks);
  }

  /**
   * Loads bookmarks and history into the state (for `B` and URL completion), and the hosts

  /**
   * Loads bookmarks and history into the state (for `B` and URL completion), and the hosts
   * allowed for good over unencrypted schemes.
   */
  async loadStores(): Promise<void> {
    const [bookmarks, history, insecure] = await Promise.all([
      this.#options.store.bookmarks(),
      this.#options.store.history(),
      this.#options.store.insecureHosts(),
    ]);
    // Hosts allowed "always" over an unencrypted scheme in an earlier session.
    this.#questions.allowInsecure(insecure);
    this.dispatch({ type: "bookmarks", urls: bookmarks.map((b) => b.url) });
    const known = [...history.map((v) => v.url), ...bookmarks.map((b) => b.url)];
    this.dispatch({ type: "known", urls: [...new Set(known)] });
  }

  /** Feeds an event or a key to the model, runs its effects and renders. */
  dispatch(input: string | BrowserEvent): void {
    const { state, effects } = update(this.#state, input);
    this.#state = state;
    for (const effect of effects) this.#run(effect);
    this.#options.render(this.#state);
  }

  /** Opens `url` as if typed in the `o` prompt. */
  open(url: string): void {
    this.dispatch("o");
    for (const ch of url) this.dispatch(ch);
    this.dispatch("enter");
  }

  /** Asks a question in the prompt line; resolves with the answer (`null`: cancelled). */
  ask(prompt: Omit<Prompt, "id" | "value">): Promise<string | null> {
    const id = this.#nextAsk++;
    return new Promise((resolve) => {
      this.#answers.set(id, resolve);
      this.dispatch({ type: "ask", prompt: { ...prompt, id, value: "" } });
    });
  }

  /** The hooks the client calls for human decisions. */
  get hooks(): ClientHooks {
    return this.#questions.hooks();
  }

  /** What the client's questions may do with this browser. */
  #questionHost(identities: SessionIdentities): QuestionHost {
    return {
      ask: (prompt) => this.ask(prompt),
      dispatch: (event) => this.dispatch(event),
      tell: (text) => this.#tell(text),
      track: (task) => this.#track(task),
      currentLoad: () => this.#currentLoad,
      markSensitive: (id) => void this.#sensitiveLoads.add(id),
      noteRedirect: (url) => void (this.#redirectedTo = url),
      store: this.#options.store,
      identities,
    };
  }

  /** Shows `text` on the message line now, and again when the page being loaded is shown. */
  #tell(text: string): void {
    this.#notice = { id: this.#currentLoad, text };
    this.dispatch({ type: "message", text });
  }

  #track<T>(task: Promise<T>): void {
    const p = task.catch((error) => {
      this.dispatch({
        type: "message",
        text: `Error: ${error instanceof Error ? error.message : String(error)}`,
      });
    });
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  #run(effect: Effect): void {
    const store = this.#options.store;
    switch (effect.type) {
      case "fetch":
        this.#abort?.abort();
        this.#abort = new AbortController();
        this.#currentLoad = effect.id;
        this.#redirectedTo = undefined;
        if (effect.sensitive) this.#sensitiveLoads.add(effect.id);
        this.#track(this.#load(effect.id, effect.url, this.#abort.signal));
        break;
      case "cancel":
        this.#abort?.abort();
        this.#abort = undefined;
        break;
      case "answer": {
        const resolve = this.#answers.get(effect.id);
        this.#answers.delete(effect.id);
        resolve?.(effect.value);
        break;
      }
      case "bookmark-add":
        this.#track(store.addBookmark({ url: effect.url, title: effect.title }));
        break;
      case "bookmark-remove":
        this.#track(
          store.removeBookmark(effect.url).then(() => {
            // Removed from the bookmarks page: show the list without it.
            const s = this.#state;
            if (s.page?.url === "about:bookmarks" && !s.loading && !s.prompt) this.dispatch("R");
          }),
        );
        break;
      case "subscribe":
        this.#track(this.#subscribe(effect.url, effect.title));
        break;
      case "copy":
        if (!this.#options.copy) {
          this.dispatch({ type: "message", text: "This terminal has no clipboard to copy to" });
        } else this.#options.copy(effect.text);
        break;
      case "quit":
        this.#abort?.abort();
        for (const resolve of this.#answers.values()) resolve(null);
        this.#answers.clear();
        this.#quitted = true;
        this.#quit();
        break;
    }
  }

  async #subscribe(url: string, title: string): Promise<void> {
    const page = this.#state.page;
    if (!page || page.url !== url) return;
    const feed = parseGemfeed(page.body, url);
    if (page.mediaType !== "text/gemini" || feed.entries.length === 0) {
      this.dispatch({ type: "message", text: "Not a feed: no links with a YYYY-MM-DD date" });
      return;
    }
    await this.#options.store.updateSubscriptions((s) => ({
      feeds: [...s.feeds.filter((f) => f.url !== url), { url, title: feed.title ?? title }],
      seen: s.seen,
    }));
    this.dispatch({
      type: "message",
      text: `Subscribed to ${feed.title ?? title} (${feed.entries.length} entries)`,
    });
  }

  /** Loads `url` for fetch `id`: a page of the browser's, a link for another program, or a fetch. */
  async #load(id: number, url: string, signal: AbortSignal): Promise<void> {
    try {
      if (url.startsWith("about:")) {
        const page = await aboutPage(url, {
          store: this.#options.store,
          log: this.#state.log,
          fetcher: this.#fetcher,
          progress: (text) => this.dispatch({ type: "progress", text }),
          signal,
        });
        if (!signal.aborted) this.dispatch({ type: "loaded", id, page });
        return;
      }
      if (this.#options.schemes?.[schemeOf(url)]) {
        await this.#openExternal(id, url);
        return;
      }
      const response = await this.#fetcher(url, { signal });
      if (!signal.aborted) await this.#received(id, response, signal);
    } catch (error) {
      if (!signal.aborted) await this.#failed(id, url, error);
    } finally {
      if (this.#currentLoad === id) this.#redirectedTo = undefined;
      if (this.#notice?.id === id) this.#notice = undefined;
    }
  }

  /** A response: text is shown, anything else saved or opened, other statuses explained. */
  async #received(id: number, response: GeminiResponse, signal: AbortSignal): Promise<void> {
    const status = response.status;
    if (isSuccess(status)) {
      const mediaType = response.mediaType?.essence ?? "text/gemini";
      if (mediaType.startsWith("text/")) await this.#showText(id, response, signal);
      else await this.#download(id, response, mediaType, signal);
      return;
    }
    await response.body.cancel().catch(() => {});
    if (isInput(status)) {
      this.dispatch({ type: "finished", id, message: "Input cancelled" });
    } else if (isRedirect(status)) {
      this.dispatch({ type: "finished", id, message: `Redirect to ${response.meta} not followed` });
    } else {
      this.#showError(id, response.url.href, { status, meta: response.meta });
    }
  }

  /** A text page: shown, and recorded in history unless it carries a hidden answer. */
  async #showText(id: number, response: GeminiResponse, signal: AbortSignal): Promise<void> {
    const mediaType = response.mediaType?.essence ?? "text/gemini";
    const body = await response.text();
    if (signal.aborted) return;
    const finalUrl = response.url.href;
    const title = mediaType === "text/gemini" ? gemtextTitle(parseGemtext(body)) : undefined;
    const page: Page = {
      url: finalUrl,
      body,
      mediaType,
      title,
      status: response.status,
      meta: response.meta,
      trust: response.trust,
      identity: response.identity,
    };
    const sensitive = this.#sensitiveLoads.delete(id);
    if (sensitive) page.sensitive = true;
    this.dispatch({ type: "loaded", id, page });
    // The page's title replaced the message line: a warning of this load comes back.
    if (this.#notice?.id === id) this.dispatch({ type: "message", text: this.#notice.text });
    // A URL that carries a sensitive answer is never written to disk.
    if (!sensitive) await this.#visited(finalUrl, title);
  }

  /**
   * A fetch that failed: a link for another program is offered to it, a declined question
   * says so on the message line, anything else gets an error page.
   */
  async #failed(id: number, url: string, error: unknown): Promise<void> {
    if (!(error instanceof ClientError)) {
      const message = error instanceof Error ? error.message : String(error);
      this.#showError(id, url, { message });
      return;
    }
    const declined = this.#declined(error);
    const target = this.#redirectedTo ?? url;
    if (isExternal(error, target)) {
      await this.#openExternal(id, target);
      return;
    }
    if (declined) {
      this.dispatch({ type: "finished", id, message: declined });
      return;
    }
    this.#showError(id, url, {
      code: error.code,
      message: error.message,
      // The page says in its own words what the first line of the details says.
      details: error.change
        ? certificateChangeDetails(error.change).slice(1)
        : error.invalid
        ? invalidCertificateDetails(error.invalid)
        : undefined,
    });
  }

  /** The message for a fetch the person chose not to make (no error page for those). */
  #declined(error: ClientError): string | undefined {
    if (error.code === "scheme-change") {
      return `Redirect not followed${this.#redirectedTo ? ` to ${this.#redirectedTo}` : ""}`;
    }
    if (error.code === "insecure-refused") return "Not connected: the scheme is not encrypted";
    return undefined;
  }

  /** Shows the page that explains a failed fetch (never recorded in history). */
  #showError(id: number, url: string, failure: Failure): void {
    const sensitive = this.#sensitiveLoads.delete(id);
    const page = errorPage(url, failure, shownUrl({ url, sensitive }));
    if (sensitive) page.sensitive = true;
    this.dispatch({ type: "loaded", id, page });
  }

  /**
   * A link the browser does not fetch (mailto, https...): offer the program of its scheme
   * (`[browse.schemes]`), else the system opener, and copying the URL.
   */
  async #openExternal(id: number, url: string): Promise<void> {
    const scheme = schemeOf(url);
    const program = this.#options.schemes?.[scheme] ?? this.#options.opener ?? [];
    if (url.startsWith("about:")) {
      this.dispatch({ type: "finished", id, message: `Cannot open ${url}` });
      return;
    }
    const command = program.join(" ");
    const answer = await this.ask({
      kind: "choice",
      label: program.length > 0
        ? `Open ${url} with ${command}?`
        : `No program opens ${scheme}: links (set one in [browse.schemes]): ${url}`,
      choices: [
        ...(program.length > 0 ? [{ key: "y", label: "yes", value: "y" }] : []),
        { key: "c", label: "copy the URL", value: "c" },
        { key: "n", label: "no", value: "n" },
      ],
      cancelValue: "n",
    });
    if (answer === "y") {
      const failed = this.#spawn([...program, url], scheme);
      this.dispatch({ type: "finished", id, message: failed ?? `Opened ${url} with ${command}` });
    } else if (answer === "c") {
      this.dispatch({ type: "finished", id, message: "" });
      this.#run({ type: "copy", text: url });
      if (this.#options.copy) {
        this.dispatch({ type: "message", text: `Copied to the clipboard: ${url}` });
      }
    } else {
      this.dispatch({ type: "finished", id, message: `Not opened: ${url}` });
    }
  }

  /** Starts an opener; a message when it could not be started. */
  #spawn(command: string[], scheme?: string): string | undefined {
    return startOpener(this.#options.spawn ?? spawnDetached, command, scheme);
  }

  /**
   * Records a shown page in history and the session. Saves run one after another in the order
   * the pages were shown, so a slow save of an earlier page never lands after a later one's.
   */
  #visited(url: string, title: string | undefined): Promise<void> {
    const save = this.#saves.then(() => this.#save(url, title));
    this.#saves = save.catch(() => {});
    return save;
  }

  async #save(url: string, title: string | undefined): Promise<void> {
    const store = this.#options.store;
    await store.addVisit({ url, title, time: new Date().toISOString() });
    await store.setLastUrl(url);
    const subs = await store.subscriptions();
    if (subs.feeds.length > 0 && !subs.seen.includes(url)) {
      await store.updateSubscriptions((s) => ({ feeds: s.feeds, seen: [...s.seen, url] }));
    }
  }

  /** A response that is not text: saved to the downloads folder, and opened when asked. */
  async #download(
    id: number,
    response: GeminiResponse,
    mediaType: string,
    signal: AbortSignal,
  ): Promise<void> {
    const name = downloadName(response.url.href, mediaType);
    const handler = handlerFor(this.#options.handlers ?? {}, mediaType);
    const opener = handler ? [handler] : this.#options.opener;
    const answer = await this.ask({
      kind: "choice",
      label: `${name} is ${mediaType}, not text:`,
      choices: [
        { key: "s", label: "save", value: "save" },
        ...(opener && opener.length > 0
          ? [{ key: "o", label: `open with ${opener.join(" ")}`, value: "open" }]
          : []),
        { key: "c", label: "cancel", value: "cancel" },
      ],
      cancelValue: "cancel",
    });
    if (answer !== "save" && answer !== "open") {
      await response.body.cancel().catch(() => {});
      this.dispatch({ type: "finished", id, message: "Download cancelled" });
      return;
    }
    const { path, bytes } = await saveBody(response.body, {
      dir: this.#options.downloadsDir,
      name,
      signal,
      onProgress: (total) =>
        this.dispatch({ type: "progress", text: `Saving ${name}: ${formatSize(total)}` }),
    });
    if (answer === "open" && opener) {
      const failed = this.#spawn([...opener, path]);
      this.dispatch({
        type: "finished",
        id,
        message: failed
          ? `${failed}; the file is saved as ${path}`
          : `Opened ${path} with ${opener[0]}`,
      });
    } else {
      this.dispatch({ type: "finished", id, message: `Saved ${formatSize(bytes)} to ${path}` });
    }
  }
}
