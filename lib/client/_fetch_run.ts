/**
 * One `Client.fetch`: a loop that sends a request and hands the answer to the step for its
 * status family (input, redirect, retry after 44 or 40/41/43, certificate request), until a
 * step is done with a response. Each step says "done, with this response" or "go again" (with
 * the request it set). Internal to the client.
 *
 * @module
 */

import { setTimeout as delay } from "node:timers/promises";
import { normalizeStatus, Status } from "../protocol/status.ts";
import { hostAndPort, normalizeUrl, resolveUrl, withInput } from "../protocol/url.ts";
import { _timerMs } from "./_deadline.ts";
import type { _Exchange } from "./_exchange.ts";
import type { _RedirectMemory } from "./_redirect_memory.ts";
import { _Response } from "./_response.ts";
import { localResponse } from "./local_response.ts";
import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_RETRIES, planRetry } from "./retry.ts";
import {
  ClientError,
  type ClientHooks,
  type ClientOptions,
  type FailureContext,
  type GeminiResponse,
  type Identity,
  type RequestOptions,
  type RetryReport,
} from "./types.ts";

/** How many input prompts one fetch answers at most. */
const MAX_INPUTS = 5;

/** What a step decided: done, with the response to return; or go again, to `again`. */
type Outcome = { done: GeminiResponse } | { again: URL };

/** What a fetch needs of its client. */
export interface _RunHost {
  /** The client's options. */
  readonly options: ClientOptions;
  /** The permanent redirects the client remembers. */
  readonly moved: _RedirectMemory;
  /** One request for `url` (with `identity`, if any) and its response header. */
  exchange(url: URL, identity: Identity | undefined, signal?: AbortSignal): Promise<_Exchange>;
}

function sameOrigin(a: URL, b: URL): boolean {
  const x = hostAndPort(a);
  const y = hostAndPort(b);
  return a.protocol === b.protocol && x.host === y.host && x.port === y.port;
}

/** Waits `ms` before a retry; an abort of `signal` ends the wait with an `aborted` error. */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new ClientError("aborted", "Fetch aborted");
  try {
    await delay(_timerMs(ms), undefined, { signal });
  } catch (cause) {
    throw new ClientError("aborted", "Fetch aborted while waiting to retry", { cause });
  }
}

/** The state and steps of one fetch. */
export class _FetchRun {
  /** The URL being requested (after redirects and input). */
  current: URL;
  readonly #host: _RunHost;
  readonly #request: RequestOptions;
  readonly #hooks: ClientHooks;
  readonly #first: URL;
  readonly #startedAt = performance.now();
  readonly #redirects: URL[] = [];
  readonly #seen: Set<string>;
  readonly #maxRedirects: number;
  readonly #follows: boolean;
  readonly #policy: { retries: number; maxWaitSeconds: number; retryInput: boolean };
  readonly #retried: RetryReport = { count: 0, waitedSeconds: 0 };
  /** The last exchange, for the context of a failure. */
  #last: _Exchange | undefined;
  /** Whether the query of `current` is the user's answer to an input prompt. */
  #carriesInput = false;
  #inputUsed = false;
  #inputs = 0;
  #identityAsked = false;
  #granted: { identity: Identity; origin: URL } | undefined;

  /** A fetch of `start` for `host`'s client, with the per-request `request` options. */
  constructor(host: _RunHost, start: URL, request: RequestOptions) {
    const o = host.options;
    this.#host = host;
    this.#request = request;
    this.#hooks = o.hooks ?? {};
    this.current = start;
    this.#first = start;
    this.#seen = new Set([start.href]);
    this.#maxRedirects = o.maxRedirects ?? 5;
    this.#follows = (o.followRedirects ?? true) && this.#maxRedirects > 0;
    this.#policy = {
      retries: o.retries ?? DEFAULT_RETRIES,
      maxWaitSeconds: o.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS,
      retryInput: o.retryInput ?? false,
    };
  }

  /** Requests until a step is done; too many requests in all is `too-many-redirects`. */
  async run(): Promise<GeminiResponse> {
    const limit = this.#maxRedirects + this.#policy.retries + MAX_INPUTS + 3;
    for (let step = 0; step <= limit; step++) {
      const outcome = await this.#remembered() ?? await this.#ask();
      if ("done" in outcome) return outcome.done;
    }
    throw new ClientError(
      "too-many-redirects",
      `Gave up on ${this.#first.href} after ${limit} requests`,
    );
  }

  /**
   * What was known when the fetch failed with `error`: what the connection that failed said
   * (set by the exchange), else the last answer of this URL (a redirect not followed).
   */
  failureContext(error: ClientError): FailureContext {
    const inner = error.context;
    const known = this.#last?.url.href === this.current.href ? this.#last.init : undefined;
    return {
      url: this.current,
      redirects: [...this.#redirects],
      tls: inner?.tls ?? known?.tls,
      certificate: inner?.certificate ?? known?.certificate ?? error.change?.presented ??
        error.invalid?.presented,
      trust: inner?.trust ?? known?.trustReport,
    };
  }

  /** Sends the request for `current` and hands the answer to the step of its status. */
  async #ask(): Promise<Outcome> {
    const exchange = await this.#host.exchange(
      this.current,
      this.#identity(),
      this.#request.signal,
    );
    this.#last = exchange;
    switch (normalizeStatus(exchange.status)) {
      case Status.Input:
      case Status.SensitiveInput:
        return await this.#input(exchange);
      case Status.RedirectTemporary:
      case Status.RedirectPermanent:
        return await this.#redirect(exchange);
      case Status.TemporaryFailure:
      case Status.ServerUnavailable:
      case Status.ProxyError:
      case Status.SlowDown:
        return await this.#retry(exchange);
      case Status.ClientCertificateRequired:
      case Status.CertificateNotAuthorized:
      case Status.CertificateNotValid:
        return await this.#certificateRequest(exchange);
      default:
        return this.#done(exchange);
    }
  }

  /** The identity for `current`: the one asked for (same origin), or one granted on a 6x. */
  #identity(): Identity | undefined {
    const { identity } = this.#request;
    if (identity && sameOrigin(this.current, this.#first)) return identity;
    const granted = this.#granted;
    if (granted && sameOrigin(this.current, granted.origin)) return granted.identity;
    return undefined;
  }

  /** Done: the response of `exchange`, with what the whole fetch adds. */
  #done(exchange: _Exchange, stopped?: RetryReport["stopped"]): Outcome {
    return {
      done: new _Response({
        ...exchange.init,
        redirects: this.#redirects,
        startedAt: this.#startedAt,
        signal: this.#request.signal,
        retries: stopped ? { ...this.#retried, stopped } : { ...this.#retried },
      }),
    };
  }

  /** Moves on to `url`, whose query does or does not carry the user's input. */
  #moveTo(url: URL, carriesInput: boolean): Outcome {
    this.current = url;
    this.#carriesInput = carriesInput;
    return { again: url };
  }

  /**
   * Step: a permanent redirect followed before sends `current` straight to its target. The
   * checks are the same as when the server said 31; only the old address is not asked
   * again. `undefined` when there is none (or redirects are not followed).
   */
  async #remembered(): Promise<Outcome | undefined> {
    const moved = this.#follows ? this.#host.moved.get(this.current.href) : undefined;
    if (moved === undefined) return undefined;
    const from = this.current;
    if (await this.#follow(new URL(moved))) return { again: this.current };
    return {
      done: localResponse({
        url: from,
        status: Status.RedirectPermanent,
        meta: moved,
        redirects: this.#redirects,
        startedAt: this.#startedAt,
        signal: this.#request.signal,
        retries: { ...this.#retried },
      }),
    };
  }

  /** Step for 10/11: the answer given with the request (once), else the `onInput` hook. */
  async #input(exchange: _Exchange): Promise<Outcome> {
    if (this.#inputs >= MAX_INPUTS) return this.#done(exchange);
    let answer: string | null = null;
    if (this.#request.input !== undefined && !this.#inputUsed) {
      this.#inputUsed = true;
      answer = this.#request.input;
    } else if (this.#hooks.onInput) {
      answer = await this.#hooks.onInput({
        url: this.current,
        prompt: exchange.meta,
        sensitive: normalizeStatus(exchange.status) === Status.SensitiveInput,
      });
    }
    if (answer === null) return this.#done(exchange);
    this.#inputs++;
    await exchange.discard();
    let next: URL;
    try {
      next = withInput(this.current, answer);
    } catch (cause) {
      throw new ClientError(
        "bad-url",
        `The answer makes the URL longer than 1024 bytes: ${
          cause instanceof Error ? cause.message : cause
        }`,
        { cause },
      );
    }
    return this.#moveTo(next, true);
  }

  /**
   * Step for 30/31: checks the target (even when redirects are not followed, the 3x is then
   * the response), follows it, and remembers a permanent one for the life of the client.
   */
  async #redirect(exchange: _Exchange): Promise<Outcome> {
    await exchange.discard();
    let target: URL;
    try {
      target = normalizeUrl(resolveUrl(this.current, exchange.meta.trim()));
    } catch (cause) {
      throw new ClientError(
        "bad-header",
        `${this.current.href} redirects to ${
          JSON.stringify(exchange.meta)
        }, which is not a valid URL${cause instanceof Error ? ` (${cause.message})` : ""}`,
        { cause },
      );
    }
    if (!this.#follows) return this.#done(exchange);
    const from = this.current;
    if (!(await this.#follow(target))) return this.#done(exchange);
    if (normalizeStatus(exchange.status) === Status.RedirectPermanent) {
      // Permanent: remembered for the life of the client, and told (bookmarks move).
      this.#host.moved.remember(from, target);
      await this.#hooks.onPermanentRedirect?.({ from, to: target });
    }
    return { again: target };
  }

  /**
   * Follows the redirect from `current` to `target` (checks, then moves on); `false` when
   * the onRedirect hook declined it.
   */
  async #follow(target: URL): Promise<boolean> {
    const from = this.current;
    const chain = [...this.#redirects, from];
    if (this.#seen.has(target.href)) {
      // A remembered redirect may be what closes the loop: forget the chain, so that the
      // next fetch asks the servers again.
      this.#host.moved.forget(chain);
      throw new ClientError(
        "redirect-loop",
        `Redirect loop: ${[...chain, target].map((u) => u.href).join(" -> ")}`,
      );
    }
    if (this.#redirects.length >= this.#maxRedirects) {
      throw new ClientError(
        "too-many-redirects",
        `More than ${this.#maxRedirects} redirects: ${
          [...chain, target].map((u) => u.href).join(" -> ")
        }`,
      );
    }
    const hooks = this.#hooks;
    if (target.protocol !== from.protocol) {
      const allowed = this.#host.options.allowSchemeChange ||
        (await hooks.onRedirect?.({ from, to: target }) ?? false);
      if (!allowed) {
        throw new ClientError(
          "scheme-change",
          `${from.href} redirects to ${target.href}, another scheme; not followed`,
        );
      }
    } else if (!sameOrigin(from, target) && hooks.onRedirect) {
      if (!(await hooks.onRedirect({ from, to: target }))) return false;
    }
    this.#redirects.push(from);
    this.#seen.add(target.href);
    this.#moveTo(target, false);
    return true;
  }

  /**
   * Step for 44 SLOW DOWN and the temporary failures 40, 41 and 43 (and the undefined codes
   * handled as 40): one budget of retries and one of waiting for all of them ({@linkcode
   * planRetry}); a request that carries the user's input is sent once unless allowed.
   */
  async #retry(exchange: _Exchange): Promise<Outcome> {
    const { status, meta } = exchange;
    const decision = planRetry(status, meta, this.#retried, this.#carriesInput, this.#policy);
    if (!decision?.retry) return this.#done(exchange, decision?.stopped);
    await exchange.discard();
    this.#hooks.onRetryWait?.({
      url: this.current,
      status,
      seconds: decision.seconds,
      attempt: this.#retried.count + 1,
    });
    await sleep(decision.seconds * 1000, this.#request.signal);
    this.#retried.count++;
    this.#retried.waitedSeconds += decision.seconds;
    return { again: this.current };
  }

  /**
   * Step for 60-62: the `onIdentityRequired` hook may give an identity to send the request
   * again with (asked once per fetch); it is then used for the rest of that origin.
   */
  async #certificateRequest(exchange: _Exchange): Promise<Outcome> {
    const hooks = this.#hooks;
    if (this.#identityAsked || !hooks.onIdentityRequired) return this.#done(exchange);
    this.#identityAsked = true;
    const { status, meta } = exchange;
    const chosen = await hooks.onIdentityRequired({ url: this.current, status, meta });
    if (!chosen) return this.#done(exchange);
    await exchange.discard();
    this.#granted = { identity: chosen, origin: this.current };
    return { again: this.current };
  }
}
