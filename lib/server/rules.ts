/**
 * Rules by regular expression on the decoded request path: redirects (`30`, or `31` when
 * permanent) whose targets may use the captures (`$1`, `$<name>`), gone (`52`), and
 * per-path overrides of the media type, `lang` and `charset` of successful replies.
 *
 * @module
 */

import { formatMediaType, parseMediaType } from "../protocol/mime.ts";
import type { GeminiReply, GeminiRequest, Handler, Middleware } from "./types.ts";
import { gone, redirect } from "./reply.ts";
import { isSuccess } from "../protocol/status.ts";

/** A redirect or gone rule. Give `redirect` or `gone`. */
export interface PathRule {
  /** Regular expression matched against the decoded path (unanchored: use `^` and `$`). */
  match: string | RegExp;
  /** Redirect target; `$1`...`$99`, `$<name>` and `$$` expand to the captures. */
  redirect?: string;
  /** With `redirect`: answer `31` instead of `30`. Default `false`. */
  permanent?: boolean;
  /** Answer `52`; a string is the META. */
  gone?: boolean | string;
}

/** Overrides of the media type of successful replies for matching paths. */
export interface ContentOverride {
  /** Regular expression matched against the decoded path. */
  match: string | RegExp;
  /** Media type (`type/subtype`, parameters allowed) to send instead. */
  mime?: string;
  /** `lang` parameter (BCP 47 tags, comma-separated). `""` removes it. */
  lang?: string;
  /** `charset` parameter. `""` removes it. */
  charset?: string;
}

function compile(match: string | RegExp, what: string): RegExp {
  if (match instanceof RegExp) return match;
  try {
    return new RegExp(match, "u");
  } catch (error) {
    throw new SyntaxError(
      `${what} pattern ${JSON.stringify(match)} is not a valid regular expression`,
      {
        cause: error,
      },
    );
  }
}

/** Percent-encodes what may not stand in a URL, keeping `/` and already-valid characters. */
function encodeCapture(text: string): string {
  return encodeURI(text).replace(/[?#]/g, (c) => (c === "?" ? "%3F" : "%23"));
}

/**
 * Expands `$1`, `$<name>` and `$$` in `template` with the captures of `match`. Captured
 * text is percent-encoded where a URL needs it; missing groups expand to nothing.
 *
 * @example
 * ```ts
 * import { expandCaptures } from "./rules.ts";
 * import assert from "node:assert/strict";
 * const m = /^\/old\/(.*)$/.exec("/old/a b.gmi")!;
 * assert.equal(expandCaptures("/new/$1", m), "/new/a%20b.gmi");
 * ```
 */
export function expandCaptures(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\$|\d{1,2}|<([A-Za-z_][A-Za-z0-9_]*)>)/g, (_all, token, name) => {
    if (token === "$") return "$";
    const value = name !== undefined ? match.groups?.[name] : match[Number(token)];
    return value === undefined ? "" : encodeCapture(value);
  });
}

interface CompiledRule {
  re: RegExp;
  rule: PathRule;
}

/**
 * Compiles redirect and gone rules into a function from a path to the reply of the first
 * matching rule (or `undefined`). Throws a `SyntaxError` for an invalid pattern or a rule
 * with neither or both of `redirect` and `gone`.
 *
 * @example
 * ```ts
 * import { compileRules } from "./rules.ts";
 * import assert from "node:assert/strict";
 * const rules = compileRules([
 *   { match: "^/blog/(\\d{4})/(.*)$", redirect: "/posts/$1-$2", permanent: true },
 *   { match: "^/old-stuff/", gone: "Removed in 2024" },
 * ]);
 * assert.equal(rules("/blog/2023/hello.gmi")?.meta, "/posts/2023-hello.gmi");
 * assert.equal(rules("/old-stuff/x")?.status, 52);
 * assert.equal(rules("/other"), undefined);
 * ```
 */
export function compileRules(rules: PathRule[]): (path: string) => GeminiReply | undefined {
  const compiled: CompiledRule[] = rules.map((rule, i) => {
    const hasRedirect = rule.redirect !== undefined;
    const hasGone = rule.gone !== undefined && rule.gone !== false;
    if (hasRedirect === hasGone) {
      throw new SyntaxError(`Rule ${i + 1} needs exactly one of "redirect" and "gone"`);
    }
    if (hasRedirect && rule.redirect!.trim() === "") {
      throw new SyntaxError(`Rule ${i + 1} has an empty redirect target`);
    }
    return { re: compile(rule.match, `Rule ${i + 1}`), rule };
  });
  return (path: string): GeminiReply | undefined => {
    for (const { re, rule } of compiled) {
      re.lastIndex = 0;
      const m = re.exec(path);
      if (!m) continue;
      if (rule.redirect !== undefined) {
        return redirect(expandCaptures(rule.redirect, m), rule.permanent);
      }
      return gone(typeof rule.gone === "string" ? rule.gone : "Gone");
    }
    return undefined;
  };
}

/**
 * Middleware: answers requests that match a redirect or gone rule, passes the rest on.
 *
 * @example
 * ```ts
 * import { pathRules } from "./rules.ts";
 * import { notFound } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const handler = pathRules([{ match: "^/old$", redirect: "/new" }])(() => notFound());
 * const request = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname, host: new URL(url).hostname,
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * assert.deepEqual(await handler(request("gemini://h/old")), { status: 30, meta: "/new" });
 * assert.equal((await handler(request("gemini://h/other"))).status, 51);
 * ```
 */
export function pathRules(rules: PathRule[]): Middleware {
  const apply = compileRules(rules);
  return (next: Handler): Handler => (request: GeminiRequest) =>
    apply(request.path) ?? next(request);
}

/**
 * Rewrites a success META with an override: the media type replaced, `lang` and `charset`
 * set or (with `""`) removed. Other parameters are kept.
 *
 * @example
 * ```ts
 * import { overrideMediaType } from "./rules.ts";
 * import assert from "node:assert/strict";
 * assert.equal(overrideMediaType("text/gemini", { lang: "fr" }), "text/gemini; lang=fr");
 * assert.equal(overrideMediaType("text/plain; charset=utf-8", { mime: "text/markdown", charset: "" }), "text/markdown");
 * ```
 */
export function overrideMediaType(
  meta: string,
  override: Omit<ContentOverride, "match">,
): string {
  const base = parseMediaType(override.mime ?? (meta === "" ? "text/gemini; charset=utf-8" : meta));
  if (override.mime !== undefined && meta !== "") {
    // Keep lang and charset from the original unless the new type names its own.
    try {
      const original = parseMediaType(meta);
      if (base.lang === undefined && original.lang !== undefined) base.lang = original.lang;
      if (base.charset === undefined && original.charset !== undefined && base.type === "text") {
        base.charset = original.charset;
      }
    } catch {
      // an unparseable original contributes nothing
    }
  }
  const params = { ...base.params };
  delete params.lang;
  delete params.charset;
  const result = { ...base, params };
  if (override.lang !== undefined) result.lang = override.lang === "" ? undefined : override.lang;
  if (override.charset !== undefined) {
    result.charset = override.charset === "" ? undefined : override.charset.toLowerCase();
  }
  if (result.lang === undefined) delete result.lang;
  if (result.charset === undefined) delete result.charset;
  return formatMediaType(result);
}

/**
 * Middleware: rewrites the media type of `2x` replies for paths matching an override (all
 * matching overrides apply, in order).
 *
 * @example
 * ```ts
 * import { contentOverrides } from "./rules.ts";
 * import assert from "node:assert/strict";
 * const handler = contentOverrides([{ match: "^/fr/", lang: "fr" }])(() => ({
 *   status: 20,
 *   meta: "text/gemini",
 * }));
 * const request = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname, host: new URL(url).hostname,
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * assert.equal((await handler(request("gemini://h/fr/a.gmi"))).meta, "text/gemini; lang=fr");
 * assert.equal((await handler(request("gemini://h/en/a.gmi"))).meta, "text/gemini");
 * ```
 */
export function contentOverrides(overrides: ContentOverride[]): Middleware {
  const compiled = overrides.map((o, i) => ({
    re: compile(o.match, `Override ${i + 1}`),
    override: o,
  }));
  for (const { override } of compiled) {
    // Fail at start-up rather than per request.
    overrideMediaType("text/gemini", override);
  }
  return (next: Handler): Handler => async (request: GeminiRequest): Promise<GeminiReply> => {
    const reply = await next(request);
    if (!isSuccess(reply.status)) return reply;
    let meta = reply.meta;
    for (const { re, override } of compiled) {
      re.lastIndex = 0;
      if (re.test(request.path)) meta = overrideMediaType(meta, override);
    }
    return meta === reply.meta ? reply : { ...reply, meta };
  };
}
