/**
 * Reply helpers: one function per kind of answer, their statuses typed from the
 * {@linkcode Status} table. A handler may as well return a {@linkcode GeminiReply} literal;
 * these say what is meant and pick the status.
 *
 * @example
 * ```ts
 * import { gemtext, input, temporaryFailure } from "./reply.ts";
 * import { Status } from "../protocol/status.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(input("Your name?"), { status: Status.Input, meta: "Your name?" });
 * assert.equal(gemtext("# Hi", "=> /next Next").body, "# Hi\n=> /next Next\n");
 * assert.equal(temporaryFailure("Busy", Status.ServerUnavailable).status, 41);
 * ```
 *
 * @module
 */

import { Status, type StatusCode, type StatusOfClass } from "../protocol/status.ts";
import type { GeminiReply, ReplyBody } from "./types.ts";

/** The media type of gemtext replies: `text/gemini; charset=utf-8`. */
const GEMTEXT = "text/gemini; charset=utf-8";

/**
 * A reply with any defined status, its META and, for a 2x status, a body.
 *
 * @example
 * ```ts
 * import { reply } from "./reply.ts";
 * import { Status } from "../protocol/status.ts";
 * import assert from "node:assert/strict";
 * const r = reply(Status.Success, "text/gemini", "# Hello\n");
 * assert.deepEqual(r, { status: 20, meta: "text/gemini", body: "# Hello\n" });
 * assert.deepEqual(reply(Status.ProxyRequestRefused, "Not here"), { status: 53, meta: "Not here" });
 * ```
 */
export function reply(status: StatusCode, meta: string, body?: ReplyBody): GeminiReply {
  return body === undefined ? { status, meta } : { status, meta, body };
}

/**
 * `10`: asks for a line of input; `prompt` is shown to the user.
 *
 * @example
 * ```ts
 * import { input } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(input("Search"), { status: 10, meta: "Search" });
 * ```
 */
export function input(prompt: string): GeminiReply {
  return { status: Status.Input, meta: prompt };
}

/**
 * `11`: asks for sensitive input (a password), which clients do not echo.
 *
 * @example
 * ```ts
 * import { sensitiveInput } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sensitiveInput("Password"), { status: 11, meta: "Password" });
 * ```
 */
export function sensitiveInput(prompt: string): GeminiReply {
  return { status: Status.SensitiveInput, meta: prompt };
}

/**
 * `20` with a body of `mediaType` (default `text/gemini; charset=utf-8`).
 *
 * @example
 * ```ts
 * import { success } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.equal(success("# Hi\n").meta, "text/gemini; charset=utf-8");
 * assert.deepEqual(success("hi", "text/plain"), { status: 20, meta: "text/plain", body: "hi" });
 * ```
 */
export function success(body: ReplyBody, mediaType: string = GEMTEXT): GeminiReply {
  return { status: Status.Success, meta: mediaType, body };
}

/**
 * `20` with a gemtext body made of `lines`, each ended by a line feed.
 *
 * @example
 * ```ts
 * import { gemtext } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const r = gemtext("# Hello", "=> /about About");
 * assert.deepEqual(r, {
 *   status: 20,
 *   meta: "text/gemini; charset=utf-8",
 *   body: "# Hello\n=> /about About\n",
 * });
 * ```
 */
export function gemtext(...lines: string[]): GeminiReply {
  return { status: Status.Success, meta: GEMTEXT, body: lines.join("\n") + "\n" };
}

/**
 * A redirect to `target`: `30` (temporary) or, with `permanent`, `31`.
 *
 * @example
 * ```ts
 * import { redirect } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(redirect("/docs/"), { status: 30, meta: "/docs/" });
 * assert.equal(redirect("/docs/", true).status, 31);
 * ```
 */
export function redirect(target: string, permanent = false): GeminiReply {
  return {
    status: permanent ? Status.RedirectPermanent : Status.RedirectTemporary,
    meta: target,
  };
}

/**
 * A temporary failure: `40`, or the 4x `status` given (41 server unavailable, 42 CGI error,
 * 43 proxy error, 44 slow down).
 *
 * @example
 * ```ts
 * import { temporaryFailure } from "./reply.ts";
 * import { Status } from "../protocol/status.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(temporaryFailure(), { status: 40, meta: "Temporary failure" });
 * assert.equal(temporaryFailure("Upstream down", Status.ProxyError).status, 43);
 * ```
 */
export function temporaryFailure(
  meta = "Temporary failure",
  status: StatusOfClass<40> = Status.TemporaryFailure,
): GeminiReply {
  return { status, meta };
}

/**
 * `44`: asks the client to wait `seconds` (rounded up, at least 1) before trying again.
 *
 * @example
 * ```ts
 * import { slowDown } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(slowDown(1.2), { status: 44, meta: "2" });
 * assert.equal(slowDown(0).meta, "1");
 * ```
 */
export function slowDown(seconds: number): GeminiReply {
  return { status: Status.SlowDown, meta: String(Math.max(1, Math.ceil(seconds))) };
}

/**
 * A permanent failure: `50`, or the 5x `status` given (51 not found, 52 gone, 53 proxy
 * request refused, 59 bad request).
 *
 * @example
 * ```ts
 * import { permanentFailure } from "./reply.ts";
 * import { Status } from "../protocol/status.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(permanentFailure(), { status: 50, meta: "Permanent failure" });
 * assert.equal(permanentFailure("Not here", Status.ProxyRequestRefused).status, 53);
 * ```
 */
export function permanentFailure(
  meta = "Permanent failure",
  status: StatusOfClass<50> = Status.PermanentFailure,
): GeminiReply {
  return { status, meta };
}

/**
 * `51`: not found.
 *
 * @example
 * ```ts
 * import { notFound } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(notFound(), { status: 51, meta: "Not found" });
 * ```
 */
export function notFound(meta = "Not found"): GeminiReply {
  return { status: Status.NotFound, meta };
}

/**
 * `52`: gone for good.
 *
 * @example
 * ```ts
 * import { gone } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(gone("Moved off the net"), { status: 52, meta: "Moved off the net" });
 * ```
 */
export function gone(meta = "Gone"): GeminiReply {
  return { status: Status.Gone, meta };
}

/**
 * `59`: the request is not acceptable; `meta` says why.
 *
 * @example
 * ```ts
 * import { badRequest } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(badRequest(), { status: 59, meta: "Bad request" });
 * ```
 */
export function badRequest(meta = "Bad request"): GeminiReply {
  return { status: Status.BadRequest, meta };
}

/**
 * `60`: a client certificate is needed; `meta` says why.
 *
 * @example
 * ```ts
 * import { certificateRequired } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(certificateRequired("Sign in"), { status: 60, meta: "Sign in" });
 * ```
 */
export function certificateRequired(meta = "Client certificate required"): GeminiReply {
  return { status: Status.ClientCertificateRequired, meta };
}

/**
 * `61`: the certificate is valid but not authorised here.
 *
 * @example
 * ```ts
 * import { certificateNotAuthorised } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.equal(certificateNotAuthorised().status, 61);
 * ```
 */
export function certificateNotAuthorised(meta = "Certificate not authorised"): GeminiReply {
  return { status: Status.CertificateNotAuthorized, meta };
}

/**
 * `62`: the certificate is not valid (dates, signature, format).
 *
 * @example
 * ```ts
 * import { certificateNotValid } from "./reply.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(certificateNotValid("Expired"), { status: 62, meta: "Expired" });
 * ```
 */
export function certificateNotValid(meta = "Certificate not valid"): GeminiReply {
  return { status: Status.CertificateNotValid, meta };
}
