/**
 * The pages `gemini browse` shows when a fetch fails: what happened, in words a reader
 * understands, and what to do next. Pure: a failure in, a gemtext page out.
 *
 * @module
 */

import type { Page } from "./layout.ts";
import { Status, statusClass } from "../../protocol/status.ts";

/** Why a fetch failed: a status the server sent, or an error of the client. */
export interface Failure {
  /** The status the server answered (4x, 5x, 6x, or an unknown code). */
  status?: number;
  /** The server's META (its message). */
  meta?: string;
  /** A client error code (`network`, `timeout`, `tls`, `trust-changed`...). */
  code?: string;
  /** The technical message of a client error. */
  message?: string;
  /**
   * Lines that explain the failure (e.g. certificate fingerprints), shown as wrapped text
   * in place of the client's technical message.
   */
  details?: string[];
}

interface Explanation {
  title: string;
  what: string;
  todo: string;
}

/** Statuses after which the page offers a link to the capsule's home page. */
const GONE_OR_MISSING: ReadonlySet<number> = new Set([
  Status.PermanentFailure,
  Status.NotFound,
  Status.Gone,
]);

const STATUS_HELP: Record<number, Explanation> = {
  [Status.TemporaryFailure]: {
    title: "Temporary failure",
    what: "The server could not answer right now.",
    todo: "Try again in a moment with R.",
  },
  [Status.ServerUnavailable]: {
    title: "Server unavailable",
    what: "The server is overloaded or down for maintenance.",
    todo: "Try again later with R.",
  },
  [Status.CgiError]: {
    title: "CGI error",
    what: "The program on the server that makes this page failed or took too long.",
    todo: "Try again later with R; if it keeps failing, tell the capsule's owner.",
  },
  [Status.ProxyError]: {
    title: "Proxy error",
    what: "The server tried to fetch this page from another server for you, and failed.",
    todo: "Try again later with R.",
  },
  [Status.SlowDown]: {
    title: "Slow down",
    what: "You sent requests faster than the server allows; the browser waited and retried " +
      "a few times, then gave up.",
    todo: "Wait a little, then press R.",
  },
  [Status.PermanentFailure]: {
    title: "Permanent failure",
    what: "The server cannot serve this page, now or later.",
    todo: "Press b to go back.",
  },
  [Status.NotFound]: {
    title: "Not found",
    what: "The server has no page at this address. The link may be out of date or mistyped.",
    todo: "Press b to go back, u to go up one level, or r for the capsule's home page.",
  },
  [Status.Gone]: {
    title: "Gone",
    what: "This page existed but was removed for good.",
    todo: "Press b to go back, or r for the capsule's home page.",
  },
  [Status.ProxyRequestRefused]: {
    title: "Proxy request refused",
    what: "This server does not serve that host name or port, and does not fetch it for you.",
    todo: "Check the address: the host or port is probably wrong.",
  },
  [Status.BadRequest]: {
    title: "Bad request",
    what: "The server could not understand the request; the URL is probably malformed.",
    todo: "Check the address, or press b to go back.",
  },
  [Status.ClientCertificateRequired]: {
    title: "Client certificate required",
    what: "This page is only for visitors who show a client certificate (an identity), and " +
      "none was chosen.",
    todo: "Press R and pick an identity, create a new one, or use a transient one for this " +
      "session. `gemini cert new NAME` makes one too.",
  },
  [Status.CertificateNotAuthorized]: {
    title: "Certificate not authorised",
    what: "The identity you showed is not allowed to see this page.",
    todo: "Press R to choose another identity, or ask the capsule's owner for access.",
  },
  [Status.CertificateNotValid]: {
    title: "Certificate not valid",
    what: "The server did not accept your client certificate (expired, not yet valid or " +
      "malformed).",
    todo: "Press R and create a new identity (or make one with `gemini cert new NAME`).",
  },
};

const CODE_HELP: Record<string, Explanation> = {
  network: {
    title: "Cannot connect",
    what: "The server could not be reached: it may be down, or the address may be wrong.",
    todo: "Check the address and your network connection, then press R to try again.",
  },
  timeout: {
    title: "Timed out",
    what: "The server took too long to answer.",
    todo: "Press R to try again; the server may be busy or down.",
  },
  tls: {
    title: "Secure connection failed",
    what: "The TLS connection to the server could not be set up. The server may not speak " +
      "Gemini on this port.",
    todo: "Check the port in the address, then press R to try again.",
  },
  "trust-changed": {
    title: "Certificate changed",
    what: "The server's certificate is not the one you trusted before, and you did not " +
      "accept the new one. Nothing was sent to the server. A changed certificate is usually " +
      "a renewal by the capsule's owner, but it can also mean someone is intercepting the " +
      "connection.",
    todo: "If the capsule's owner announced a new certificate, compare its fingerprint with " +
      "the new one above. If they match, press R, then o to trust it until you quit or s to " +
      "trust it and save it. Otherwise press b to go back.",
  },
  "certificate-invalid": {
    title: "Certificate expired or not yet valid",
    what:
      "The server's certificate is outside its validity period (the dates below), and you did " +
      "not choose to go on. Nothing was sent to the server.",
    todo: "Tell the capsule's owner, or check this computer's clock. To read the page " +
      "anyway, press R, then o to go on until you quit.",
  },
  "bad-header": {
    title: "Invalid response",
    what: "The server sent a response that is not valid Gemini.",
    todo: "Press R to try again; if it persists, the server is broken.",
  },
  "too-large": {
    title: "Too large",
    what: "The response is bigger than the size limit of the client.",
    todo: "Raise max_size in the [client] table of config.toml to fetch it.",
  },
  "redirect-loop": {
    title: "Redirect loop",
    what: "The server keeps redirecting in a circle.",
    todo: "Press b to go back; the capsule is misconfigured.",
  },
  "too-many-redirects": {
    title: "Too many redirects",
    what: "The server redirected more times than the client follows.",
    todo: "Press b to go back, or raise max_redirects in the [client] table of config.toml.",
  },
  charset: {
    title: "Unreadable text",
    what: "The page's text is in a character set that could not be decoded.",
    todo: "Press b to go back.",
  },
  identity: {
    title: "Identity unusable",
    what: "The client certificate chosen for this page could not be used.",
    todo: "Press R to try again (check the passphrase), or pick another identity.",
  },
  "bad-url": {
    title: "Invalid address",
    what: "This is not a URL the browser can request.",
    todo: "Press o to type it again.",
  },
};

/** A line of text that gemtext reads as text (not a link, heading, list, quote or toggle). */
function asText(line: string): string {
  return /^(=>|#|\* |>|```)/.test(line) ? ` ${line}` : line;
}

function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.host || undefined;
  } catch {
    return undefined;
  }
}

function rootOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.host === "" || u.pathname === "/" || u.pathname === "") return undefined;
    return `${u.protocol}//${u.host}/`;
  } catch {
    return undefined;
  }
}

/**
 * The page shown for a failed fetch of `url` (shown as `shown`, e.g. with a sensitive
 * query hidden): a heading with the status or error, what happened, what to do, and the
 * technical details.
 *
 * @example
 * ```ts
 * import { errorPage } from "./error_page.ts";
 * import assert from "node:assert/strict";
 * const page = errorPage("gemini://a.example/x", { status: 51, meta: "Not found" });
 * assert.equal(page.title, "51 Not found");
 * assert.equal(page.error, true);
 * assert.ok(page.body.includes("Press b to go back"));
 * ```
 */
export function errorPage(url: string, failure: Failure, shown = url): Page {
  const status = failure.status;
  let help: Explanation | undefined;
  if (status !== undefined) {
    help = STATUS_HELP[status] ?? STATUS_HELP[statusClass(status)];
  } else if (failure.code) help = CODE_HELP[failure.code];
  help ??= {
    title: status !== undefined ? `Status ${status}` : "Error",
    what: status !== undefined
      ? `The server answered with status ${status}, which the browser does not know.`
      : "The page could not be loaded.",
    todo: "Press R to try again, or b to go back.",
  };
  const heading = status !== undefined ? `${status} ${help.title}` : help.title;
  const host = hostOf(url);
  const lines = [`# ${heading}`, "", shown, "", help.what, ""];
  const meta = failure.meta?.trim();
  if (meta) lines.push(`${host ? `The server ${host}` : "The server"} said:`, `> ${meta}`, "");
  const details = failure.details ?? [];
  if (details.length > 0) {
    // Text lines, not a preformatted block, so that long fingerprints wrap to the window.
    for (const d of details) lines.push(asText(d.trim()));
    lines.push("");
  } else if (failure.message && status === undefined) {
    lines.push("What the client reported:", "```", ...failure.message.split("\n"), "```", "");
  }
  lines.push(`What to do: ${help.todo}`, "");
  const root = rootOf(url);
  if (root && status !== undefined && GONE_OR_MISSING.has(status)) {
    lines.push(`=> ${root} Home page of ${hostOf(root)}`, "");
  }
  const page: Page = {
    url,
    body: lines.join("\n"),
    mediaType: "text/gemini",
    title: heading,
    error: true,
  };
  if (status !== undefined) page.status = status;
  if (meta) page.meta = meta;
  return page;
}
