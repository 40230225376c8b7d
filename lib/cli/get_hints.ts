/**
 * What `gemini get` adds to what the client library says: the flag or command that changes
 * the outcome. The library's messages name no flag; they carry stable codes
 * (`ClientError.code`, the `code` of a warning), and these tables map each code to the
 * advice of this command. Also the advice after an answer that is not a success.
 *
 * @module
 */

import { PASSPHRASE_ENV } from "../client/identities.ts";
import { describeTrustChange } from "../client/trust.ts";
import {
  type CertificateChange,
  ClientError,
  type ClientErrorCode,
  type ClientWarning,
  type ClientWarningCode,
} from "../client/types.ts";

/** The server of a certificate change as `gemini cert hosts forget` takes it. */
function forgetTarget(change: CertificateChange): string {
  return change.port === 1965 ? change.host : `${change.host}:${change.port}`;
}

/** The scheme of the URL a client error is about, if it says. */
function schemeOf(error: ClientError): string | undefined {
  return error.context?.url.protocol.slice(0, -1);
}

/** The message of `get` for each kind of client error that a flag or command can change. */
const ERROR_HINTS: { readonly [code in ClientErrorCode]?: (error: ClientError) => string } = {
  "trust-changed": (e) =>
    e.change
      ? `${e.message} If you trust the new certificate, run again with --trust-new, or ` +
        `forget the old one with: gemini cert hosts forget ${forgetTarget(e.change)}`
      : e.message,
  "certificate-invalid": (e) => `${e.message} To go on anyway, run again with --tofu=warn.`,
  "too-many-redirects": (e) =>
    e.message.replace(/^More than (\d+) redirects:/, "More than $1 redirects (--max-redirects):"),
  "scheme-change": (e) => `${e.message} without --allow-scheme-change`,
  "insecure-refused": (e) => `${e.message}; allow it with --allow-gopher`,
  "unsupported-scheme": (e) => {
    // Only the client's own refusal names a URL it tried; get's (mailto: ...) stands alone.
    const scheme = schemeOf(e);
    if (scheme === undefined) return e.message;
    return scheme === "http" || scheme === "https"
      ? `${e.message} with --proxy ${scheme}=gemini://HOST:PORT (or [proxies] in config.toml)`
      : `${e.message} (a Gemini proxy for it can be named with --proxy ${scheme}=gemini://HOST:PORT)`;
  },
  charset: (e) => `${e.message}; use --raw to get the bytes as sent`,
  "too-large": (e) => `${e.message} (--max-size)`,
  identity: (e) =>
    e.message.includes("no passphrase was given")
      ? `${e.message}; set ${PASSPHRASE_ENV} or run on a terminal to be asked`
      : e.message,
};

/**
 * The message `get` shows for a client error: the library's message with the advice of
 * {@linkcode ERROR_HINTS} for its code.
 *
 * @example
 * ```ts
 * import { clientErrorMessage } from "./get_hints.ts";
 * import { ClientError } from "../client/types.ts";
 * import assert from "node:assert";
 * const error = new ClientError("too-large", "The body of gemini://x/ exceeds the limit of 5 bytes");
 * assert.equal(clientErrorMessage(error), `${error.message} (--max-size)`);
 * assert.equal(clientErrorMessage(new ClientError("timeout", "Too slow")), "Too slow");
 * ```
 */
export function clientErrorMessage(error: ClientError): string {
  return ERROR_HINTS[error.code]?.(error) ?? error.message;
}

/** The text `get` shows for each kind of client warning that a flag explains. */
const WARNING_HINTS: {
  readonly [code in ClientWarningCode]?: (message: string, warning: ClientWarning) => string;
} = {
  "trust-changed": (message, w) =>
    w.change
      ? [
        ...describeTrustChange(w.change).slice(0, 3),
        "Going on because --tofu=warn; the pin was not changed.",
      ].join("\n")
      : message,
  "certificate-invalid": (message) => `${message} because --tofu=warn`,
};

/**
 * The text `get` shows for a client warning: the library's message, or for a warning that
 * a flag allowed, the message that names it.
 *
 * @example
 * ```ts
 * import { warningMessage } from "./get_hints.ts";
 * import assert from "node:assert";
 * const message = "The certificate of example.org:1965 expired on 2027-01-01T00:00:00Z; going on";
 * assert.equal(
 *   warningMessage(message, { code: "certificate-invalid" }),
 *   `${message} because --tofu=warn`,
 * );
 * assert.equal(warningMessage("Body may be truncated", { code: "truncated" }), "Body may be truncated");
 * ```
 */
export function warningMessage(message: string, warning?: ClientWarning): string {
  return warning ? WARNING_HINTS[warning.code]?.(message, warning) ?? message : message;
}
