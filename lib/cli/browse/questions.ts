/**
 * The client's human decisions in `gemini browse` ({@linkcode ClientHooks}), each asked in the
 * prompt area: input (visible or hidden), a changed or invalid certificate, a redirect to
 * another host or scheme, an unencrypted scheme, an identity, a passphrase. Answers that hold
 * for the session ("trust once", "go on", "always for this host") are kept here.
 *
 * @module
 */

import type { CertificateChange, ClientHooks, InvalidCertificate } from "../../client/types.ts";
import { certificateChangeDetails, invalidCertificateDetails } from "./certificate_details.ts";
import { chooseIdentity } from "./identity_question.ts";
import type { SessionIdentities } from "./session_identities.ts";
import type { BrowserEvent, Prompt } from "./state.ts";
import type { BrowseStore } from "./store.ts";

/** What the questions need from the browser. */
export interface QuestionHost {
  /** Asks in the prompt area; resolves with the answer (`null`: cancelled). */
  ask(prompt: Omit<Prompt, "id" | "value">): Promise<string | null>;
  /** Feeds an event to the model. */
  dispatch(event: BrowserEvent): void;
  /** Shows a message now, and again when the page being loaded is shown. */
  tell(text: string): void;
  /** Runs background work; a failure becomes a message. */
  track(task: Promise<unknown>): void;
  /** The id of the load in flight (the one a question belongs to). */
  currentLoad(): number;
  /** Load `id` was reached with a hidden answer: its URL is never shown or recorded. */
  markSensitive(id: number): void;
  /** The load in flight is being redirected to `url`. */
  noteRedirect(url: string): void;
  /** Bookmarks and the hosts allowed over unencrypted schemes. */
  store: BrowseStore;
  /** The saved identities and the transient ones of this session. */
  identities: SessionIdentities;
}

/** The client hooks of a browser, and the answers that hold until it quits. */
export class ClientQuestions {
  #host: QuestionHost;
  /** Keys trusted once, by host:port: the SPKI SHA-256 accepted. */
  #trustedOnce = new Map<string, string>();
  /** Invalid certificates (host:port and certificate SHA-256) accepted for this session. */
  #invalidOnce = new Set<string>();
  /** Hosts allowed over unencrypted schemes (`scheme://host:port`). */
  #insecure: Set<string>;

  /** Questions asked through `host`; `allowInsecure` hosts are not asked about. */
  constructor(host: QuestionHost, allowInsecure: Iterable<string> = []) {
    this.#host = host;
    this.#insecure = new Set(allowInsecure);
  }

  /** Allows `hosts` (`scheme://host:port`) over unencrypted schemes without asking. */
  allowInsecure(hosts: Iterable<string>): void {
    for (const host of hosts) this.#insecure.add(host);
  }

  /** The hooks the client calls for human decisions. */
  hooks(): ClientHooks {
    const host = this.#host;
    return {
      onInput: (r) => this.#input(r.prompt, r.sensitive),
      onCertificateChange: (change) => this.#certificateChange(change),
      onInvalidCertificate: (invalid) => this.#invalidCertificate(invalid),
      onPermanentRedirect: (r) => this.#moveBookmark(r.from.href, r.to.href),
      onIdentityRequired: (r) =>
        chooseIdentity({
          ask: (prompt) => host.ask(prompt),
          message: (text) => host.dispatch({ type: "message", text }),
          identities: host.identities,
        }, r),
      onRedirect: (r) => this.#redirect(r),
      onInsecure: (url) => this.#insecureScheme(url),
      onPassphrase: (identity) =>
        host.ask({ kind: "secret", label: `Passphrase for identity ${identity.name}` }),
      onRetryWait: (info) =>
        host.dispatch({
          type: "progress",
          text: `${info.status}: waiting ${info.seconds} s before retry ${info.attempt}…`,
        }),
      onWarning: (message) => host.tell(`Warning: ${message}`),
    };
  }

  /** Status 10 and 11: a visible or hidden answer for the load in flight. */
  async #input(prompt: string, sensitive: boolean): Promise<string | null> {
    const load = this.#host.currentLoad();
    const answer = await this.#host.ask({
      kind: sensitive ? "secret" : "input",
      label: prompt.trim() || "Input",
    });
    if (sensitive && answer !== null) this.#host.markSensitive(load);
    return answer;
  }

  async #certificateChange(change: CertificateChange): Promise<"abort" | "once" | "save"> {
    // "Trust once" holds for this key until the browser quits, not for one request:
    // otherwise every link on the capsule would ask again.
    const key = `${change.host}:${change.port}`;
    if (this.#trustedOnce.get(key) === change.presented.spkiSha256) return "once";
    const answer = await this.#host.ask({
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
  }

  async #invalidCertificate(invalid: InvalidCertificate): Promise<"abort" | "once"> {
    // Like "trust once": this certificate is accepted until the browser quits.
    const key = `${invalid.host}:${invalid.port} ${invalid.presented.certSha256}`;
    if (this.#invalidOnce.has(key)) return "once";
    const answer = await this.#host.ask({
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
  }

  async #redirect(r: { from: URL; to: URL }): Promise<boolean> {
    this.#host.noteRedirect(r.to.href);
    const answer = await this.#host.ask({
      kind: "choice",
      label: `${r.from.host} redirects to ${
        r.to.protocol === r.from.protocol ? "another host" : "another scheme"
      }: ${r.to.href} — follow?`,
      choices: [{ key: "y", label: "yes", value: "y" }, { key: "n", label: "no", value: "n" }],
      cancelValue: "n",
    });
    return answer === "y";
  }

  async #insecureScheme(url: URL): Promise<boolean> {
    const key = `${url.protocol}//${url.host}`;
    if (this.#insecure.has(key)) return true;
    const answer = await this.#host.ask({
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
      this.#host.track(this.#host.store.addInsecureHost(key));
    }
    return answer === "y" || answer === "a";
  }

  /** A bookmark of a URL that moved for good (31) follows it. */
  async #moveBookmark(from: string, to: string): Promise<void> {
    const store = this.#host.store;
    try {
      if (!(await store.moveBookmark(from, to))) return;
      const bookmarks = await store.bookmarks();
      this.#host.dispatch({ type: "bookmarks", urls: bookmarks.map((b) => b.url) });
      this.#host.tell(`Bookmark moved for good to ${to}`);
    } catch (error) {
      this.#host.tell(`Error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
