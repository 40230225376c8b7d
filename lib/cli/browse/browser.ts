/**
 * The controller of `gemini browse`: runs the model's effects (fetches through a
 * {@linkcode Fetcher}, answers, bookmarks, subscriptions, downloads), turns the client's
 * human decisions ({@linkcode ClientHooks}) into prompts in the prompt line, and hands every
 * new state to the user interface (full screen or line mode).
 *
 * @module
 */

import { basename, join } from "node:path";
import mime from "mime-types";
import type {
  CertificateChange,
  ClientHooks,
  GeminiResponse,
  Identity,
  IdentityStore,
  InvalidCertificate,
  RequestOptions,
} from "../../client/types.ts";
import { describeInvalidCertificate } from "../../client/server_certificate.ts";
import { checkIdentityName, makeIdentity, normalizeScope } from "../../client/identities.ts";
import { ClientError } from "../../client/types.ts";
import { gemtextTitle, parseGemfeed, parseGemtext } from "../../gemtext/mod.ts";
import { formatSize } from "../../gemtext/size.ts";
import { formatFingerprint, generateCertificate } from "../../tls/certificate.ts";
import {
  type BrowserEvent,
  type BrowserState,
  type Effect,
  helpGemtext,
  type Page,
  type Prompt,
  update,
} from "./model.ts";
import type { BrowseStore, Subscriptions } from "./store.ts";
import { errorPage, type Failure } from "./error_page.ts";
import { SessionIdentities } from "./session_identities.ts";
import { shownUrl } from "./layout.ts";

/** Fetches one URL (the real `Client.fetch`, or a fake in tests). */
export type Fetcher = (url: string, options: RequestOptions) => Promise<GeminiResponse>;

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

const SAFE_NAME = /[^A-Za-z0-9._ -]+/g;

/** A file name for a download of `url`: the last path segment, cleaned, or `download`. */
export function downloadName(url: string, mediaType: string): string {
  let name = "";
  try {
    const path = new URL(url).pathname;
    name = decodeURIComponent(basename(path));
  } catch {
    // keep the default
  }
  name = name.replace(SAFE_NAME, "_").replace(/^\.+/, "").slice(0, 120);
  // The usual extension of the media type, so that the file opens with the right program.
  const ext = mime.extension(mediaType.split(";")[0].trim().toLowerCase());
  if (name === "") {
    const sub = mediaType.split("/")[1]?.split(/[;+]/)[0]?.replace(SAFE_NAME, "") ?? "";
    name = ext ? `download.${ext}` : sub ? `download.${sub}` : "download";
  } else if (!name.includes(".") && ext && ext !== "bin") name = `${name}.${ext}`;
  return name;
}

/** The handler program for `mediaType` from `handlers` (exact, then `type/*`, then `*`). */
export function handlerFor(
  handlers: Record<string, string>,
  mediaType: string,
): string | undefined {
  const essence = mediaType.split(";")[0].trim().toLowerCase();
  return handlers[essence] ?? handlers[`${essence.split("/")[0]}/*`] ?? handlers["*"];
}

/** `2026-12-01 07:05` in the local time zone (the stored time is UTC). */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 16);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}`;
}

function dateOf(d: Date | string | undefined): string {
  if (d === undefined) return "unknown";
  const date = typeof d === "string" ? new Date(d) : d;
  return Number.isNaN(date.getTime()) ? String(d) : date.toISOString().slice(0, 10);
}

/**
 * A SHA-256 fingerprint as colon-separated hex in groups of eight bytes with a space between
 * groups, so that it wraps between groups on a narrow screen.
 *
 * @example
 * ```ts
 * import { groupedFingerprint } from "./browser.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   groupedFingerprint("ab".repeat(16)),
 *   "AB:AB:AB:AB:AB:AB:AB:AB AB:AB:AB:AB:AB:AB:AB:AB",
 * );
 * ```
 */
export function groupedFingerprint(hex: string): string {
  if (!hex) return "unknown";
  const pairs = formatFingerprint(hex).split(":");
  const groups: string[] = [];
  for (let i = 0; i < pairs.length; i += 8) groups.push(pairs.slice(i, i + 8).join(":"));
  return groups.join(" ");
}

/**
 * The lines that describe a certificate change (shown above its prompt and on the page of a
 * refused change): each fingerprint under its own label, on a line of its own.
 */
export function certificateChangeDetails(change: CertificateChange): string[] {
  const p = change.pinned;
  const n = change.presented;
  const target = change.port === 1965 ? change.host : `${change.host}:${change.port}`;
  const byKey = p.pin === "spki" || !p.certSha256;
  const what = byKey ? "key" : "certificate";
  return [
    `The certificate of ${target} has CHANGED since you trusted it. The owner may have ` +
    "renewed it, or someone may be intercepting the connection.",
    `Trusted ${what}, SHA-256 (first seen ${dateOf(p.firstSeen)}, last seen ` +
    `${dateOf(p.lastSeen)}, expires ${dateOf(p.notAfter)}):`,
    `  ${groupedFingerprint(byKey ? p.spkiSha256 : p.certSha256)}`,
    `New ${what}, SHA-256 (valid ${dateOf(n.notBefore)} to ${dateOf(n.notAfter)}, subject ` +
    `${n.subject}):`,
    `  ${groupedFingerprint(byKey ? n.spkiSha256 : n.certSha256)}`,
  ];
}

/** The lines that describe an expired or not yet valid certificate (shown above the prompt). */
export function invalidCertificateDetails(invalid: InvalidCertificate): string[] {
  return [
    `${describeInvalidCertificate(invalid)}.`,
    `Subject ${invalid.presented.subject}, key SHA-256:`,
    `  ${groupedFingerprint(invalid.presented.spkiSha256)}`,
    invalid.reason === "expired"
      ? "The server's operator should renew it. Going on is safe only if you expected this."
      : "Check this computer's clock; if it is right, the server's operator made a mistake.",
  ];
}

/** The scope of a client-certificate request: the URL without query, normalized. */
export function identityScope(url: URL): string {
  const path = url.pathname || "/";
  const raw = `${url.protocol}//${url.host}${path}`;
  try {
    return normalizeScope(raw);
  } catch {
    return raw;
  }
}

/** Runs the browser: state, effects and prompts. */
export class Browser {
  #state: BrowserState;
  #options: BrowserOptions;
  #fetcher: Fetcher;
  #abort: AbortController | undefined;
  #answers = new Map<number, (value: string | null) => void>();
  #nextAsk = 1;
  #quit: () => void = () => {};
  #quitted = false;
  #done: Promise<void>;
  #insecure: Set<string>;
  #tasks = new Set<Promise<unknown>>();
  #sensitiveLoads = new Set<number>();
  #currentLoad = 0;
  #redirectedTo: string | undefined;
  #identities: SessionIdentities;
  #trustedOnce = new Map<string, string>();
  /** Invalid certificates (host:port and certificate SHA-256) accepted for this session. */
  #invalidOnce = new Set<string>();
  /** A warning or notice given during a load, shown again once its page is on screen. */
  #notice: { id: number; text: string } | undefined;

  /** A browser with the given dependencies. */
  constructor(options: BrowserOptions) {
    this.#options = options;
    this.#state = options.state;
    this.#insecure = new Set(options.allowInsecure ?? []);
    this.#identities = options.identities instanceof SessionIdentities
      ? options.identities
      : new SessionIdentities(options.identities);
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
   * allowed for good over unencrypted schemes.
   */
  async loadStores(): Promise<void> {
    const [bookmarks, history, insecure] = await Promise.all([
      this.#options.store.bookmarks(),
      this.#options.store.history(),
      this.#options.store.insecureHosts(),
    ]);
    // Hosts allowed "always" over an unencrypted scheme in an earlier session.
    for (const host of insecure) this.#insecure.add(host);
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
    return {
      onInput: async (r) => {
        const load = this.#currentLoad;
        const answer = await this.ask({
          kind: r.sensitive ? "secret" : "input",
          label: r.prompt.trim() || "Input",
        });
        if (r.sensitive && answer !== null) this.#sensitiveLoads.add(load);
        return answer;
      },
      onCertificateChange: async (change) => {
        // "Trust once" holds for this key until the browser quits, not for one request:
        // otherwise every link on the capsule would ask again.
        const key = `${change.host}:${change.port}`;
        if (this.#trustedOnce.get(key) === change.presented.spkiSha256) return "once";
        const answer = await this.ask({
          kind: "choice",
          label: "Trust the new certificate?",
          details: certificateChangeDetails(change),
          choices: [
            { key: "a", label: "abort", value: "abort" },
            { key: "o", label: "trust once (this session)", value: "once" },
            { key: "s", label: "trust and save", value: "save" },
          ],
          cancelValue: "abort",
        });
        if (answer === "once") this.#trustedOnce.set(key, change.presented.spkiSha256);
        return answer === "once" || answer === "save" ? answer : "abort";
      },
      onInvalidCertificate: async (invalid) => {
        // Like "trust once": this certificate is accepted until the browser quits.
        const key = `${invalid.host}:${invalid.port} ${invalid.presented.certSha256}`;
        if (this.#invalidOnce.has(key)) return "once";
        const answer = await this.ask({
          kind: "choice",
          label: invalid.reason === "expired"
            ? "The certificate has EXPIRED. Go on?"
            : "The certificate is NOT VALID YET. Go on?",
          details: invalidCertificateDetails(invalid),
          choices: [
            { key: "a", label: "abort", value: "abort" },
            { key: "o", label: "go on (this session)", value: "once" },
          ],
          cancelValue: "abort",
        });
        if (answer !== "once") return "abort";
        this.#invalidOnce.add(key);
        return "once";
      },
      onPermanentRedirect: (r) => this.#moveBookmark(r.from.href, r.to.href),
      onIdentityRequired: (r) => this.#chooseIdentity(r.url, r.status, r.meta),
      onRedirect: async (r) => {
        this.#redirectedTo = r.to.href;
        const answer = await this.ask({
          kind: "choice",
          label: `${r.from.host} redirects to ${
            r.to.protocol === r.from.protocol ? "another host" : "another scheme"
          }: ${r.to.href} — follow?`,
          choices: [{ key: "y", label: "yes", value: "y" }, { key: "n", label: "no", value: "n" }],
          cancelValue: "n",
        });
        return answer === "y";
      },
      onInsecure: async (url) => {
        const key = `${url.protocol}//${url.host}`;
        if (this.#insecure.has(key)) return true;
        const answer = await this.ask({
          kind: "choice",
          label: `${url.protocol.slice(0, -1)} is NOT encrypted. Connect to ${url.host}?`,
          choices: [
            { key: "y", label: "yes, this time", value: "y" },
            { key: "a", label: "always for this host", value: "a" },
            { key: "n", label: "no", value: "n" },
          ],
          cancelValue: "n",
        });
        if (answer === "a") {
          this.#insecure.add(key);
          this.#track(this.#options.store.addInsecureHost(key));
        }
        return answer === "y" || answer === "a";
      },
      onPassphrase: (identity) =>
        this.ask({ kind: "secret", label: `Passphrase for identity ${identity.name}` }),
      onRetryWait: (info) =>
        this.dispatch({
          type: "progress",
          text: `${info.status}: waiting ${info.seconds} s before retry ${info.attempt}…`,
        }),
      onWarning: (message) => this.#tell(`Warning: ${message}`),
    };
  }

  /** Shows `text` on the message line now, and again when the page being loaded is shown. */
  #tell(text: string): void {
    this.#notice = { id: this.#currentLoad, text };
    this.dispatch({ type: "message", text });
  }

  /** A bookmark of a URL that moved for good (31) follows it. */
  async #moveBookmark(from: string, to: string): Promise<void> {
    try {
      if (!(await this.#options.store.moveBookmark(from, to))) return;
      const bookmarks = await this.#options.store.bookmarks();
      this.dispatch({ type: "bookmarks", urls: bookmarks.map((b) => b.url) });
      this.#tell(`Bookmark moved for good to ${to}`);
    } catch (error) {
      this.#tell(`Error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #chooseIdentity(url: URL, status: number, meta: string): Promise<Identity | null> {
    const store = this.#identities;
    const existing = store.persistent ? await store.list() : [];
    const shown = existing.slice(0, 9);
    const scope = identityScope(url);
    const what = status === 61
      ? "needs an identity that is authorised here"
      : status === 62
      ? "needs a valid client certificate (an identity)"
      : "asks for a client certificate (an identity)";
    const answer = await this.ask({
      kind: "choice",
      label: "Identity:",
      details: [
        `${url.host} ${what}: ${status} ${meta || "(no message)"}`,
        `The identity chosen is used for ${scope} and below.`,
        ...(shown.length > 0
          ? ["Saved identities:", ...shown.map((id, i) => `  [${i + 1}] ${id.name}`)]
          : []),
        ...(store.persistent ? ["  [n] create a new identity and save it"] : []),
        "  [t] a transient identity, forgotten when the browser quits",
      ],
      choices: [
        ...shown.map((id, i) => ({ key: String(i + 1), label: id.name, value: `id:${i}` })),
        ...(store.persistent ? [{ key: "n", label: "new", value: "new" }] : []),
        { key: "t", label: "transient", value: "transient" },
        { key: "c", label: "cancel", value: "cancel" },
      ],
      cancelValue: "cancel",
    });
    if (answer?.startsWith("id:")) {
      const identity = shown[Number(answer.slice(3))];
      if (!identity.scopes.includes(scope)) {
        const updated = { ...identity, scopes: [...identity.scopes, scope] };
        await store.update(updated);
        return updated;
      }
      return identity;
    }
    if (answer === "new" && store.persistent) {
      const name = await this.ask({ kind: "text", label: "Name for the new identity" });
      if (!name) return null;
      try {
        checkIdentityName(name);
      } catch (error) {
        this.dispatch({ type: "message", text: (error as Error).message });
        return null;
      }
      if (await store.get(name)) {
        this.dispatch({ type: "message", text: `An identity named ${name} already exists` });
        return null;
      }
      const identity = await this.#makeIdentity(name, [scope]);
      await store.add(identity);
      return identity;
    }
    if (answer === "transient") {
      const name = `transient-${crypto.randomUUID().slice(0, 8)}`;
      const identity = await this.#makeIdentity(name, [scope]);
      store.addTransient(identity);
      return identity;
    }
    return null;
  }

  async #makeIdentity(name: string, scopes: string[]): Promise<Identity> {
    const bundle = await generateCertificate(name, { days: 365 * 5 });
    return makeIdentity(name, { cert: bundle.cert, key: bundle.key, scopes });
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

  async #internalPage(url: string, signal: AbortSignal): Promise<Page> {
    const store = this.#options.store;
    const page = (title: string, body: string): Page => ({
      url,
      body,
      mediaType: "text/gemini",
      title,
    });
    switch (url.split("?")[0]) {
      case "about:help":
        return page("Help", helpGemtext());
      case "about:messages":
        return page("Messages", messagesGemtext(this.#state.log));
      case "about:bookmarks": {
        const list = await store.bookmarks();
        return page(
          "Bookmarks",
          [
            "# Bookmarks",
            "",
            list.length === 0 ? "No bookmarks yet: press B on a page to add it." : "",
            ...list.map((b) => `=> ${b.url} ${b.title}`),
            "",
            "To remove a bookmark, press B on its page, or select it here with Tab and press B.",
            "",
          ].join("\n"),
        );
      }
      case "about:history": {
        const list = await store.history();
        return page(
          "History",
          [
            "# History",
            "",
            ...list.slice(0, 500).map((v) =>
              `=> ${v.url} ${localTime(v.time)} ${v.title ?? v.url}`
            ),
            "",
          ].join("\n"),
        );
      }
      case "about:subscriptions":
        // After "mark all as read" the page is the plain list again, so that going back
        // to it or reloading it never marks newer entries as read.
        return {
          ...page("Subscriptions", await this.#subscriptionsPage(url.includes("?read"), signal)),
          url: "about:subscriptions",
        };
    }
    throw new ClientError("unsupported-scheme", `Unknown page ${url}`);
  }

  async #subscriptionsPage(markRead: boolean, signal: AbortSignal): Promise<string> {
    const store = this.#options.store;
    const subs: Subscriptions = await store.subscriptions();
    const lines = ["# Subscriptions", ""];
    if (subs.feeds.length === 0) {
      lines.push("No subscriptions yet: press s on a gemlog page to subscribe.", "");
      return lines.join("\n");
    }
    const seen = new Set(subs.seen);
    const fresh: { date: string; title: string; url: string; feed: string }[] = [];
    const failures: string[] = [];
    for (const [i, feed] of subs.feeds.entries()) {
      if (signal.aborted) break;
      this.dispatch({
        type: "progress",
        text: `Checking ${feed.title} (${i + 1} of ${subs.feeds.length})…`,
      });
      try {
        const response = await this.#fetcher(feed.url, { signal });
        if (response.status < 20 || response.status > 29) {
          failures.push(`${feed.title}: ${response.status} ${response.meta}`);
          continue;
        }
        const parsed = parseGemfeed(await response.text(), response.url);
        for (const e of parsed.entries) {
          if (!seen.has(e.url)) fresh.push({ ...e, feed: feed.title });
        }
      } catch (error) {
        failures.push(`${feed.title}: ${error instanceof Error ? error.message : error}`);
      }
    }
    fresh.sort((a, b) => b.date.localeCompare(a.date));
    if (markRead) {
      await store.updateSubscriptions((s) => ({
        feeds: s.feeds,
        seen: [...s.seen, ...fresh.map((e) => e.url)],
      }));
      lines.push("All entries marked as read.", "");
    } else if (fresh.length === 0) {
      lines.push("No new entries.", "");
    } else {
      lines.push(`## ${fresh.length} new ${fresh.length === 1 ? "entry" : "entries"}`, "");
      for (const e of fresh.slice(0, 200)) {
        lines.push(`=> ${e.url} ${e.date} ${e.feed}: ${e.title}`);
      }
      lines.push("", "=> about:subscriptions?read Mark all as read", "");
    }
    lines.push("## Feeds", "", ...subs.feeds.map((f) => `=> ${f.url} ${f.title}`), "");
    if (failures.length > 0) lines.push("## Errors", "", ...failures.map((f) => `* ${f}`), "");
    return lines.join("\n");
  }

  async #load(id: number, url: string, signal: AbortSignal): Promise<void> {
    try {
      if (url.startsWith("about:")) {
        const page = await this.#internalPage(url, signal);
        if (!signal.aborted) this.dispatch({ type: "loaded", id, page });
        return;
      }
      if (this.#options.schemes?.[schemeOf(url)]) {
        await this.#openExternal(id, url);
        return;
      }
      const response = await this.#fetcher(url, { signal });
      if (signal.aborted) return;
      const finalUrl = response.url.href;
      const status = response.status;
      if (status >= 20 && status <= 29) {
        const mediaType = response.mediaType?.essence ?? "text/gemini";
        if (!mediaType.startsWith("text/")) {
          await this.#download(id, response, mediaType, signal);
          return;
        }
        const body = await response.text();
        if (signal.aborted) return;
        const title = mediaType === "text/gemini" ? gemtextTitle(parseGemtext(body)) : undefined;
        const page: Page = {
          url: finalUrl,
          body,
          mediaType,
          title,
          status,
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
        return;
      }
      await response.body.cancel().catch(() => {});
      if (status >= 10 && status <= 19) {
        this.dispatch({ type: "finished", id, message: "Input cancelled" });
      } else if (status >= 30 && status <= 39) {
        this.dispatch({
          type: "finished",
          id,
          message: `Redirect to ${response.meta} not followed`,
        });
      } else {
        this.#showError(id, finalUrl, { status, meta: response.meta });
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ClientError) {
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
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      this.#showError(id, url, { message });
    } finally {
      if (this.#currentLoad === id) this.#redirectedTo = undefined;
      if (this.#notice?.id === id) this.#notice = undefined;
    }
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
    try {
      (this.#options.spawn ?? spawnDetached)(command);
      return undefined;
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? "not installed"
        : error instanceof Error
        ? error.message
        : String(error);
      const table = scheme ? `[browse.schemes] (${scheme} = "program")` : "[browse.handlers]";
      return `Could not start ${command[0]} (${why}); set a handler in ${table}`;
    }
  }

  async #visited(url: string, title: string | undefined): Promise<void> {
    const store = this.#options.store;
    await store.addVisit({ url, title, time: new Date().toISOString() });
    await store.setLastUrl(url);
    const subs = await store.subscriptions();
    if (subs.feeds.length > 0 && !subs.seen.includes(url)) {
      await store.updateSubscriptions((s) => ({ feeds: s.feeds, seen: [...s.seen, url] }));
    }
  }

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
    const dir = this.#options.downloadsDir;
    await Deno.mkdir(dir, { recursive: true });
    const path = await freePath(dir, name);
    const tmp = `${path}.part`;
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    let total = 0;
    let shown = 0;
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let chunk = value;
        while (chunk.length > 0) chunk = chunk.subarray(await file.write(chunk));
        total += value.length;
        if (total - shown >= 65536) {
          shown = total;
          this.dispatch({ type: "progress", text: `Saving ${name}: ${formatSize(total)}` });
        }
        if (signal.aborted) throw new Error("cancelled");
      }
    } catch (error) {
      file.close();
      await Deno.remove(tmp).catch(() => {});
      throw error;
    }
    file.close();
    await Deno.rename(tmp, path);
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
      this.dispatch({ type: "finished", id, message: `Saved ${formatSize(total)} to ${path}` });
    }
  }
}

/** The scheme of a URL in lower case, without the colon (`""` when there is none). */
function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase() ?? "";
}

/**
 * Whether a client error means the URL is for another program: a scheme the client does not
 * fetch, or a URL of a scheme other than gemini and gopher that it could not even parse
 * (`mailto:` has no host).
 */
function isExternal(error: ClientError, url: string): boolean {
  if (error.code === "unsupported-scheme") return true;
  const scheme = schemeOf(url);
  if (scheme === "" || scheme === "gemini" || scheme === "gopher") return false;
  return (error.code as string) === "bad-url" || (error.code as string) === "scheme";
}

/** The page of recent messages (`M`), newest first. */
export function messagesGemtext(log: readonly string[]): string {
  return [
    "# Messages",
    "",
    log.length === 0 ? "No messages yet." : "The newest first, each in full:",
    "",
    ...log.flatMap((m) => [m.replace(/^(=>|#|\*|>|```)/, " $1"), ""]),
  ].join("\n");
}

async function freePath(dir: string, name: string): Promise<string> {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  for (let i = 0; i < 1000; i++) {
    const candidate = join(dir, i === 0 ? name : `${stem}-${i}${ext}`);
    try {
      await Deno.lstat(candidate);
    } catch {
      return candidate;
    }
  }
  return join(dir, `${stem}-${crypto.randomUUID().slice(0, 8)}${ext}`);
}

function spawnDetached(command: string[]): void {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  // Reap it in the background; its exit status does not matter.
  child.status.catch(() => {});
}
