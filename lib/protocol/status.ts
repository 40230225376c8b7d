/**
 * The Gemini status codes: one constant table, derived types and class helpers.
 *
 * @module
 */

/**
 * Every status code the Gemini specification defines, by name. One doc line per code.
 *
 * @example
 * ```ts
 * import { Status } from "./status.ts";
 * import assert from "node:assert/strict";
 * assert.equal(Status.NotFound, 51);
 * ```
 */
export const Status = {
  /** 10: the server asks for a line of input; META is the prompt. */
  Input: 10,
  /** 11: as 10, but the input is sensitive (a password) and must not be echoed. */
  SensitiveInput: 11,
  /** 20: success; META is the media type of the body that follows. */
  Success: 20,
  /** 30: temporary redirect; META is the new URL, keep using the old one. */
  RedirectTemporary: 30,
  /** 31: permanent redirect; META is the new URL, use it from now on. */
  RedirectPermanent: 31,
  /** 40: unspecified temporary failure; a retry may work. */
  TemporaryFailure: 40,
  /** 41: the server is unavailable (overload or maintenance). */
  ServerUnavailable: 41,
  /** 42: a CGI program or other dynamic generator failed or timed out. */
  CgiError: 42,
  /** 43: a proxy could not complete the request to its upstream. */
  ProxyError: 43,
  /** 44: slow down; META (v0.16.1) is the number of seconds to wait. */
  SlowDown: 44,
  /** 50: unspecified permanent failure. */
  PermanentFailure: 50,
  /** 51: not found (it may exist later). */
  NotFound: 51,
  /** 52: gone for good. */
  Gone: 52,
  /** 53: the URL is for a scheme or host this server does not serve and it does not proxy. */
  ProxyRequestRefused: 53,
  /** 59: the request could not be parsed or broke the request rules. */
  BadRequest: 59,
  /** 60: a client certificate is required; META says why. */
  ClientCertificateRequired: 60,
  /** 61: the client certificate is valid but not authorised for this resource. */
  CertificateNotAuthorized: 61,
  /** 62: the client certificate itself is not valid (dates, signature, format). */
  CertificateNotValid: 62,
} as const;

/** A status code defined by the specification. */
export type StatusCode = typeof Status[keyof typeof Status];

/** The class of a status code: its first digit times ten. */
export type StatusClass = 10 | 20 | 30 | 40 | 50 | 60;

/**
 * The defined codes of one class: `StatusOfClass<40>` is `40 | 41 | 42 | 43 | 44`, so a
 * parameter typed with it takes exactly the codes of that class.
 */
export type StatusOfClass<C extends StatusClass> = {
  [K in StatusCode]: `${K}` extends `${`${C}` extends `${infer D}0` ? D : never}${string}` ? K
    : never;
}[StatusCode];

/** The name of each defined status code, for messages and logs. */
export const STATUS_TEXT: Readonly<Record<StatusCode, string>> = {
  [Status.Input]: "Input",
  [Status.SensitiveInput]: "Sensitive input",
  [Status.Success]: "Success",
  [Status.RedirectTemporary]: "Temporary redirect",
  [Status.RedirectPermanent]: "Permanent redirect",
  [Status.TemporaryFailure]: "Temporary failure",
  [Status.ServerUnavailable]: "Server unavailable",
  [Status.CgiError]: "CGI error",
  [Status.ProxyError]: "Proxy error",
  [Status.SlowDown]: "Slow down",
  [Status.PermanentFailure]: "Permanent failure",
  [Status.NotFound]: "Not found",
  [Status.Gone]: "Gone",
  [Status.ProxyRequestRefused]: "Proxy request refused",
  [Status.BadRequest]: "Bad request",
  [Status.ClientCertificateRequired]: "Client certificate required",
  [Status.CertificateNotAuthorized]: "Certificate not authorised",
  [Status.CertificateNotValid]: "Certificate not valid",
};

const DEFINED = new Set<number>(Object.values(Status));

/**
 * Whether `code` is a status code the specification defines.
 *
 * @example
 * ```ts
 * import { isStatus } from "./status.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isStatus(51));
 * assert.ok(!isStatus(57));
 * ```
 */
export function isStatus(code: number): code is StatusCode {
  return DEFINED.has(code);
}

/**
 * The class of a status code (10, 20 ... 60). Throws a `RangeError` for codes outside
 * 10-69, which a client must reject.
 *
 * @example
 * ```ts
 * import { statusClass } from "./status.ts";
 * import assert from "node:assert/strict";
 * assert.equal(statusClass(44), 40);
 * ```
 */
export function statusClass(code: number): StatusClass {
  if (!Number.isInteger(code) || code < 10 || code > 69) {
    throw new RangeError(`Status code ${code} is outside 10-69`);
  }
  return (Math.floor(code / 10) * 10) as StatusClass;
}

/**
 * The defined status a client should act on for any code in 10-69: the code itself when
 * defined, otherwise its class (`x0`); so 14 acts as 10, 25 as 20, 57 as 50, and an
 * unknown 6x (such as the legacy 63-65) as 60. Throws a `RangeError` outside 10-69.
 *
 * @example
 * ```ts
 * import { normalizeStatus } from "./status.ts";
 * import assert from "node:assert/strict";
 * assert.equal(normalizeStatus(25), 20);
 * assert.equal(normalizeStatus(64), 60);
 * ```
 */
export function normalizeStatus(code: number): StatusCode {
  const cls = statusClass(code);
  return isStatus(code) ? code : cls;
}

/**
 * The human name of a code, or of its class for undefined in-range codes.
 *
 * @example
 * ```ts
 * import { statusText } from "./status.ts";
 * import assert from "node:assert/strict";
 * assert.equal(statusText(51), "Not found");
 * ```
 */
export function statusText(code: number): string {
  return STATUS_TEXT[normalizeStatus(code)];
}

/** Whether the code asks for input (1x). */
export function isInput(code: number): boolean {
  return statusClass(code) === 10;
}

/** Whether the code is a success (2x): the only class with a body. */
export function isSuccess(code: number): boolean {
  return statusClass(code) === 20;
}

/** Whether the code is a redirect (3x). */
export function isRedirect(code: number): boolean {
  return statusClass(code) === 30;
}

/** Whether the code is a temporary (4x) or permanent (5x) failure. */
export function isFailure(code: number): boolean {
  const cls = statusClass(code);
  return cls === 40 || cls === 50;
}

/** Whether the code concerns client certificates (6x). */
export function isCertificateStatus(code: number): boolean {
  return statusClass(code) === 60;
}
