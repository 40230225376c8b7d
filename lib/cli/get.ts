/**
 * `gemini get URL`: fetch one URL with the client's policies and print it (rendered on a
 * terminal, raw bytes otherwise), save it (`-o`), show its header (`-i`, `-I`), show the
 * request it would send (`--dry-run`) or describe it as one JSON object (`--json`, also on
 * failure). The exit code is 0 for a 2x answer, the final status (as handled: 49 as 40) for
 * the others, 1 for failures to get an answer (each with a stable error code, see
 * `get_report.ts`) and 2 for usage errors.
 *
 * @module
 */

import { type CommandSpec, formatHelp, parseCommand, UsageError } from "./args.ts";
import type { CliIo } from "./io.ts";
import { Client } from "../client/client.ts";
import { localResponse } from "../client/local_response.ts";
import { checkUrlText } from "../client/url_text.ts";
import { loadClientConfig } from "../client/config.ts";
import { openIdentityStore, PASSPHRASE_ENV } from "../client/identities.ts";
import { openKnownHosts } from "../client/known_hosts.ts";
import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_RETRIES } from "../client/retry.ts";
import {
  ClientError,
  type ClientHooks,
  type ClientOptions,
  type GeminiResponse,
  type TofuMode,
} from "../client/types.ts";
import { resolvePaths } from "../files/paths.ts";
import { parseDataUrl } from "../protocol/data_url.ts";
import { parseMediaType } from "../protocol/mime.ts";
import { normalizeUrl, resolveUrl } from "../protocol/url.ts";
import { normalizeStatus, statusText } from "../protocol/status.ts";
import { generateCertificate } from "../tls/certificate.ts";
import {
  effectiveCharset,
  errorCode,
  errorMessage,
  exitCodeFor,
  failureReport,
  finishBody,
  formatReport,
  GET_ERROR_CODES,
  type GetErrorCode,
  type GetReport,
  responseReport,
} from "./get_report.ts";
import {
  bytesToBase64,
  JSON_BODY_LIMIT,
  namedIdentity,
  safeForTerminal,
  upload,
} from "./get_upload.ts";

export { JSON_BODY_LIMIT };

/** The error codes that go with exit status 1, for the help text. */
const EXIT_1_CODES = Object.keys(GET_ERROR_CODES).filter((c) => c !== "usage");

function wrapList(prefix: string, items: string[], width = 88): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const [i, item] of items.entries()) {
    const word = item + (i < items.length - 1 ? "," : ".");
    if (line.length + 1 + word.length > width) {
      lines.push(line);
      line = "  " + word;
    } else {
      line += (line.endsWith(" ") || line === "" ? "" : " ") + word;
    }
  }
  lines.push(line);
  return lines;
}

/** The command line of `gemini get`. */
export const GET_SPEC: CommandSpec = {
  name: "gemini get",
  usage: ["gemini get [options] URL"],
  summary: "Fetch URL (gemini:// when no scheme is given) and print it: rendered on a\n" +
    "terminal, byte for byte otherwise. data: URLs are decoded locally.",
  options: {
    input: {
      type: "string",
      value: "TEXT",
      description: "Answer an input prompt (10/11) with TEXT, sent as the query (%20 for spaces)",
    },
    identity: {
      type: "string",
      value: "NAME",
      description: "Present the client certificate NAME (see gemini cert new) whatever its scopes",
    },
    transient: {
      type: "boolean",
      description: "If the server asks for a certificate (60), make a throwaway one for this run",
    },
    tofu: {
      type: "string",
      value: "MODE",
      description: "Trust on first use: strict (default: a changed key or an expired server " +
        "certificate aborts), warn (go on with a warning), or off",
    },
    "trust-new": {
      type: "boolean",
      description: "Accept a server's changed certificate and pin its new key",
    },
    "max-redirects": {
      type: "string",
      value: "N",
      description: "Follow at most N redirects (default 5; 0 is --no-follow)",
    },
    "no-follow": {
      type: "boolean",
      description: "Do not follow a redirect: the 3x is the answer (exit 30 or 31)",
    },
    "allow-scheme-change": {
      type: "boolean",
      description: "Follow redirects to another scheme (e.g. gemini:// to gopher://)",
    },
    retries: {
      type: "string",
      value: "N",
      description:
        `Retry at most N times in all after 44, 40, 41 or 43 (default ${DEFAULT_RETRIES}; ` +
        "0: send once)",
    },
    "max-wait": {
      type: "string",
      value: "SECONDS",
      description:
        `Wait at most SECONDS in all before retries (default ${DEFAULT_MAX_WAIT_SECONDS}); ` +
        "a longer wait is not made",
    },
    "retry-input": {
      type: "boolean",
      description: "Also retry a request that carries the --input answer (sent once otherwise)",
    },
    proxy: {
      type: "string",
      multiple: true,
      value: "SCHEME=URL",
      description: "Send SCHEME URLs whole to the Gemini proxy URL, e.g. https=gemini://p:1965",
    },
    "allow-gopher": {
      type: "boolean",
      description: "Fetch gopher:// URLs over plain, unencrypted TCP without asking",
    },
    raw: {
      type: "boolean",
      description: "Write the body bytes as received, even to a terminal (with --json: bodyBase64)",
    },
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      description: "Save the body to FILE (via FILE.part; progress on stderr on a terminal)",
    },
    include: {
      type: "boolean",
      short: "i",
      description: "Print the response header, then the body",
    },
    head: {
      type: "boolean",
      short: "I",
      description: "Print the response header only",
    },
    "dry-run": {
      type: "boolean",
      description: "Print the request line that would be sent, and send nothing",
    },
    json: {
      type: "boolean",
      description: "Print one JSON object, also on failure (then with error.code; see README)",
    },
    "max-size": {
      type: "string",
      value: "SIZE",
      description: "Stop when the body exceeds SIZE bytes (suffix K, M or G; default no limit)",
    },
    timeout: {
      type: "string",
      value: "SECONDS",
      description: "Connect, header and idle timeout each (default 10, 30 and 60)",
    },
    upload: {
      type: "string",
      value: "FILE",
      description: "Upload FILE (- for stdin) to a titan:// URL; an empty one deletes",
    },
    mime: {
      type: "string",
      value: "TYPE",
      description: "Media type of the --upload (default: the server assumes text/gemini)",
    },
    token: {
      type: "string",
      value: "TOKEN",
      description: "Authorisation token of the --upload",
    },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    "gemini get geminiprotocol.net                         # render on a terminal",
    "gemini get gemini://example.org/a.pdf -o a.pdf        # save, with progress",
    "gemini get -i gemini://example.org/ | less            # header, then the body",
    "gemini get -I gemini://example.org/                   # the header only",
    "gemini get -I --no-follow gemini://example.org/old    # see a redirect (exit 30/31)",
    "gemini get --raw gemini://example.org/latin1.txt      # bytes, even to a terminal",
    "gemini get --json gemini://example.org/ | jq .certificate",
    "gemini get --json gemini://example.org/ | jq -e '.error == null'",
    "gemini get --input 'two words' gemini://example.org/search",
    "gemini get --identity alice gemini://example.org/private/",
    "gemini get --transient gemini://example.org/private/  # throwaway certificate",
    "gemini get --trust-new gemini://example.org/          # after a key change",
    "gemini get --tofu warn gemini://example.org/",
    "gemini get --max-redirects 2 --allow-scheme-change gemini://example.org/old",
    "gemini get --retries 5 --max-wait 60 gemini://busy.example.org/",
    "gemini get --retries 0 --input 'hello' gemini://example.org/guestbook",
    "gemini get --max-size 10M --timeout 5 gemini://example.org/big.bin -o big.bin",
    "gemini get --proxy https=gemini://localhost:1965 https://example.com/",
    "gemini get --allow-gopher gopher://gopher.floodgap.com/",
    "gemini get 'data:text/gemini;base64,IyBIaQo='         # decoded here, nothing sent",
    "gemini get --dry-run example.org/a%20b                # the request line only",
    "gemini get --upload page.gmi --token s3cret titan://example.org/wiki/page.gmi",
    "echo hi | gemini get --upload - --mime text/plain titan://example.org/notes/hi.txt",
  ],
  footer: [
    "Exit codes: 0 for a 2x answer; the final status otherwise (10-69, e.g. 51 for not",
    "found, 60 when a client certificate is required, 30/31 for a redirect not followed);",
    "an undefined status counts as its class's base code (49 as 40, 29 as 20); 1 when no",
    "answer was had; 2 for usage errors. With --upload, a 3x answer (the usual Titan",
    "success) also exits 0 and prints the URL it points to.",
    "",
    ...wrapList("Error codes (error.code of --json) for exit 1:", EXIT_1_CODES),
    "With --json, exactly one JSON object is printed, failures included (exit 2 too:",
    'error.code "usage"); its schema is schemas/get-output.schema.json.',
    "",
    "Retries: one budget of --retries for 44 SLOW DOWN and 40/41/43, and one of --max-wait",
    "seconds for all waits (44 waits the seconds it names, else 1, 2, 4 ... s); a retry",
    "whose wait does not fit is not made. A request carrying the --input answer is sent",
    "once unless --retry-input. On a terminal each wait counts down on stderr.",
    "",
    "Schemes: gemini; gopher with --allow-gopher; titan with --upload; any scheme with a",
    "--proxy for it; data: decoded locally. mailto:, about:, http(s) without a proxy and",
    'other schemes exit 1 with error.code "scheme".',
    "",
    "Files: known_hosts and identities/ in $XDG_DATA_HOME/gemini, config.toml in",
    "$XDG_CONFIG_HOME/gemini; GEMINI_HOME relocates both. A changed server key is accepted",
    "with --trust-new or forgotten with `gemini cert hosts forget HOST`. An encrypted",
    `identity key is unlocked with ${PASSPHRASE_ENV} or a prompt on a terminal.`,
  ].join("\n"),
};

const TOFU_MODES: readonly TofuMode[] = ["strict", "warn", "off"];

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < min) {
    throw new UsageError(`gemini get: --${name} needs a whole number >= ${min}, got "${value}"`);
  }
  return Number(value);
}

function seconds(
  name: string,
  value: string | undefined,
  positive = false,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
    throw new UsageError(
      `gemini get: --${name} needs a number of seconds${
        positive ? " above 0" : ""
      }, got "${value}"`,
    );
  }
  return n;
}

/**
 * Parses a size such as `1500`, `64K`, `10M` or `1G` (powers of 1024) into bytes.
 *
 * @example
 * ```ts
 * import { parseSize } from "./get.ts";
 * import assert from "node:assert";
 * assert.equal(parseSize("2K"), 2048);
 * assert.equal(parseSize("10"), 10);
 * ```
 */
export function parseSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) {
    throw new UsageError(`gemini get: --max-size needs a size like 500K or 10M, got "${text}"`);
  }
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * scale);
}

function parseProxies(values: string[]): Record<string, string> {
  const proxies: Record<string, string> = {};
  for (const value of values) {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*)=(.+)$/.exec(value);
    if (!m || !/^gemini:\/\//i.test(m[2])) {
      throw new UsageError(
        `gemini get: --proxy needs SCHEME=gemini://HOST[:PORT], got "${value}"`,
      );
    }
    proxies[m[1].toLowerCase()] = m[2];
  }
  return proxies;
}

/** What the URL argument is: a URL to fetch, a `data:` URL, or one with nothing to fetch. */
type Target =
  | { kind: "fetch"; url: URL }
  | { kind: "data"; text: string }
  | { kind: "no-fetch"; text: string; message: string };

/** Why a URL of a scheme without a server cannot be fetched. */
function noFetchMessage(scheme: string, text: string): string {
  switch (scheme) {
    case "mailto":
      return `${text} is an e-mail address, not something to fetch; write to it with a mail ` +
        "program";
    case "about":
      return `${text} is a page of a browser (gemini browse has about:help, about:bookmarks ` +
        "and about:history), not something to fetch";
    default:
      return `Cannot fetch ${text}: a ${scheme}: URL names no server to fetch it from`;
  }
}

/**
 * Sorts the URL argument: a URL with a scheme and a host is fetched (the client decides
 * whether it can); `data:` is decoded locally; any other `scheme:` without `//` (mailto:,
 * about:, ...) names nothing to fetch. Without a scheme, `gemini://` is assumed.
 */
function classifyTarget(text: string): Target {
  try {
    checkUrlText(text);
  } catch (error) {
    throw new UsageError(`gemini get: ${(error as Error).message}`, { cause: error });
  }
  const trimmed = text.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(?![0-9]+(?:[/?#]|$))/.exec(trimmed);
  if (scheme) {
    const name = scheme[1].toLowerCase();
    if (name === "data") return { kind: "data", text: trimmed };
    if (!trimmed.slice(scheme[0].length).startsWith("//") && name !== "gemini") {
      return { kind: "no-fetch", text: trimmed, message: noFetchMessage(name, trimmed) };
    }
  }
  const withScheme = scheme ? trimmed : `gemini://${trimmed}`;
  try {
    return { kind: "fetch", url: normalizeUrl(withScheme) };
  } catch (error) {
    throw new UsageError(`gemini get: ${errorMessage(error)}`, { cause: error });
  }
}

/** The response for a `data:` URL: as if a server had answered 20 with its media type. */
function dataResponse(text: string): GeminiResponse {
  let data;
  let mediaType;
  try {
    data = parseDataUrl(text);
    mediaType = parseMediaType(data.mediaType);
  } catch (error) {
    throw new UsageError(`gemini get: ${errorMessage(error)}`, { cause: error });
  }
  return localResponse({
    url: new URL(text),
    status: 20,
    meta: data.mediaType,
    mediaType,
    body: data.bytes,
  });
}

/** Reads one line from stdin; hidden (no echo) for sensitive input. `null` at the end. */
async function readLine(io: CliIo, hidden: boolean): Promise<string | null> {
  const reader = io.stdin.getReader();
  const bytes: number[] = [];
  if (hidden) io.setRaw(true);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return bytes.length > 0 ? new TextDecoder().decode(new Uint8Array(bytes)) : null;
      for (const b of value) {
        if (b === 0x0a || b === 0x0d) return new TextDecoder().decode(new Uint8Array(bytes));
        if (hidden && b === 0x03) return null; // Ctrl-C in raw mode
        if (hidden && (b === 0x7f || b === 0x08)) bytes.pop();
        else bytes.push(b);
      }
    }
  } finally {
    if (hidden) {
      io.setRaw(false);
      await io.stderr.write("\n");
    }
    reader.releaseLock();
  }
}

function canPrompt(io: CliIo): boolean {
  return io.stdinIsTerminal && io.stderr.isTerminal;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Why a retryable answer was not retried, for the message. */
function notRetried(response: GeminiResponse, options: ClientOptions): string {
  const retries = response.retries;
  const done = retries && retries.count > 0
    ? ` after ${retries.count} ${retries.count === 1 ? "retry" : "retries"}`
    : "";
  switch (retries?.stopped) {
    case "retries":
      return `\nStill so${done}; no retries left (--retries ${options.retries ?? DEFAULT_RETRIES})`;
    case "max-wait": {
      const left = (options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS) -
        (retries?.waitedSeconds ?? 0);
      return `\nNot retried${done}: the next wait does not fit in the ${left} s left of ` +
        `--max-wait ${options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS}`;
    }
    case "input":
      return "\nNot retried: the request carried your --input answer, which is sent once " +
        "(--retry-input sends it again)";
    default:
      return "";
  }
}

function explainStatus(response: GeminiResponse, options: ClientOptions): string {
  const { status, meta, url } = response;
  const handled = normalizeStatus(status);
  const undefinedCode = handled !== status ? ` (undefined code, handled as ${handled})` : "";
  const head = `${url.href}: ${status} ${statusText(status)}${undefinedCode}${
    meta ? `: ${safeForTerminal(meta)}` : ""
  }`;
  switch (Math.floor(status / 10)) {
    case 1:
      return `${head}\nThe server asks for input; answer with --input TEXT`;
    case 3: {
      let to = JSON.stringify(meta);
      try {
        to = normalizeUrl(resolveUrl(url, meta.trim())).href;
      } catch {
        // shown as sent
      }
      return `${head}\nIt points to ${to}; not followed (--no-follow or --max-redirects 0)`;
    }
    case 4:
      return head + notRetried(response, options);
    case 6:
      if (handled === 60 && !response.identity) {
        return `${head}\nThis page needs a client certificate. Create one with\n` +
          `  gemini cert new NAME --scope ${url.protocol}//${url.host}${url.pathname}\n` +
          "or send a throwaway one with --transient";
      }
      if (handled === 61) {
        return `${head}\nThe certificate${
          response.identity ? ` "${response.identity}"` : ""
        } is not authorised here; choose another with --identity NAME`;
      }
      return head;
    default:
      return head;
  }
}

/**
 * Tells of each retry wait on stderr: one line, or on a terminal a line that counts the
 * seconds down. `stop()` ends a countdown still running.
 */
function retryAnnouncer(io: CliIo, retries: number): {
  announce(info: { url: URL; status: number; seconds: number; attempt: number }): void;
  stop(): void;
} {
  let timer: ReturnType<typeof setInterval> | undefined;
  let open = false;
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    if (open) void io.stderr.write("\n");
    open = false;
  };
  return {
    stop,
    announce({ url, status, seconds, attempt }): void {
      stop();
      const what = `gemini get: ${status} ${statusText(status)} from ${url.host}; ` +
        `retry ${attempt} of ${retries}`;
      if (!io.stderr.isTerminal) {
        void io.stderr.write(`${what} in ${seconds} s\n`);
        return;
      }
      let left = Math.ceil(seconds);
      const show = (): void => {
        void io.stderr.write(`\r${what} in ${left} s (Ctrl-C stops) \x1b[K`);
      };
      open = true;
      show();
      timer = setInterval(() => {
        left--;
        if (left <= 0) {
          void io.stderr.write(`\r${what}: now\x1b[K`);
          stop();
        } else {
          show();
        }
      }, 1000);
    },
  };
}

/** Whether `--json` is among `args` (before a `--`), so that a usage error prints JSON too. */
function wantsJson(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
}

/** Runs `gemini get` and returns its exit code. */
export async function main(args: string[], io: CliIo): Promise<number> {
  try {
    return await get(args, io);
  } catch (error) {
    if (error instanceof UsageError && wantsJson(args)) {
      let url: string | null = null;
      try {
        url = parseCommand(GET_SPEC, args).positionals[0] ?? null;
      } catch {
        // the arguments themselves are what is wrong: no URL to report
      }
      await io.stdout.write(formatReport(failureReport(error, url)));
    }
    throw error;
  }
}

/** The usage checks of option combinations. */
function checkCombinations(values: Record<string, unknown>): void {
  const tofu = values.tofu as string | undefined;
  if (tofu !== undefined && !TOFU_MODES.includes(tofu as TofuMode)) {
    throw new UsageError(`gemini get: --tofu must be strict, warn or off, got "${tofu}"`);
  }
  if (values.head && values.json) {
    throw new UsageError("gemini get: -I and --json cannot be used together");
  }
  if (values["dry-run"] && values.json) {
    throw new UsageError("gemini get: --dry-run and --json cannot be used together");
  }
  if (values.upload === undefined && (values.mime !== undefined || values.token !== undefined)) {
    throw new UsageError("gemini get: --mime and --token go with --upload");
  }
}

/** The client options the command line sets (`undefined`: config.toml or the default). */
function flagOptions(values: Record<string, unknown>, timeout: number | undefined): ClientOptions {
  const timeoutMs = timeout === undefined ? undefined : timeout * 1000;
  return {
    tofu: values.tofu as TofuMode | undefined,
    trustNew: values["trust-new"] === true ? true : undefined,
    maxRedirects: integer("max-redirects", values["max-redirects"] as string | undefined, 0),
    followRedirects: values["no-follow"] === true ? false : undefined,
    allowSchemeChange: values["allow-scheme-change"] === true ? true : undefined,
    retries: integer("retries", values.retries as string | undefined, 0),
    maxWaitSeconds: seconds("max-wait", values["max-wait"] as string | undefined),
    retryInput: values["retry-input"] === true ? true : undefined,
    allowGopher: values["allow-gopher"] === true ? true : undefined,
    maxBodyBytes: values["max-size"] === undefined
      ? undefined
      : parseSize(values["max-size"] as string),
    connectTimeoutMs: timeoutMs,
    headerTimeoutMs: timeoutMs,
    idleTimeoutMs: timeoutMs,
  };
}

/** `--dry-run`: the request line on stdout, where it would go on stderr. */
async function dryRun(url: URL, options: ClientOptions, io: CliIo): Promise<number> {
  const scheme = url.protocol.slice(0, -1);
  const proxy = options.proxies?.[scheme];
  const server = proxy ? new URL(proxy) : url;
  const port = server.port || (server.protocol === "gopher:" ? "70" : "1965");
  await io.stdout.write(`${url.href}\r\n`);
  await io.stderr.write(
    `gemini get: would send the line above to ${server.hostname}:${port}` +
      `${proxy ? ` (proxy for ${scheme})` : ""}; nothing was sent\n`,
  );
  return 0;
}

/** The client's hooks for a run: warnings and waits on stderr, prompts on a terminal. */
function cliHooks(
  io: CliIo,
  values: Record<string, unknown>,
  announcer: ReturnType<typeof retryAnnouncer>,
): ClientHooks {
  const hooks: ClientHooks = {
    onWarning: (message) => void io.stderr.write(`gemini get: warning: ${message}\n`),
    onRetryWait: (info) => announcer.announce(info),
    onPassphrase: async (identity) => {
      const fromEnv = io.env(PASSPHRASE_ENV);
      if (fromEnv !== undefined) return fromEnv;
      if (!canPrompt(io)) return null;
      await io.stderr.write(`Passphrase for identity "${identity.name}": `);
      return await readLine(io, true);
    },
  };
  if (canPrompt(io)) {
    hooks.onInput = async ({ prompt, sensitive }) => {
      await io.stderr.write(
        `${safeForTerminal(prompt) || "Input"}${sensitive ? " (hidden)" : ""}: `,
      );
      return await readLine(io, sensitive);
    };
    hooks.onInsecure = async (target) => {
      await io.stderr.write(
        `${target.href} is gopher, which is NOT encrypted: anyone on the path can read and ` +
          "change it. Fetch it anyway? [y/N] ",
      );
      return /^y(es)?$/i.test((await readLine(io, false))?.trim() ?? "");
    };
  }
  if (values.transient) {
    hooks.onIdentityRequired = async ({ status, url }) => {
      if (normalizeStatus(status) !== 60) return null;
      const name = `transient-${crypto.randomUUID().slice(0, 8)}`;
      const { cert, key, info } = await generateCertificate(name, { days: 1 });
      await io.stderr.write(
        `gemini get: ${url.host} asks for a certificate; sending a throwaway one (${name})\n`,
      );
      return {
        name,
        cert,
        key,
        info,
        encrypted: false,
        scopes: [],
        created: new Date().toISOString(),
      };
    };
  }
  return hooks;
}

/** The steps of one run: arguments, target, configuration, fetch, output. */
async function get(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(GET_SPEC, args);
  if (values.help) {
    await io.stdout.write(formatHelp(GET_SPEC));
    return 0;
  }
  checkCombinations(values);
  const timeout = seconds("timeout", values.timeout as string | undefined, true);
  if (values.upload !== undefined) return await upload(positionals[0], values, io, timeout);
  const target = classifyTarget(positionals[0]);
  const flags = flagOptions(values, timeout);
  const flagProxies = parseProxies((values.proxy as string[] | undefined) ?? []);
  const json = values.json === true;
  /** Reports a failure with no response: stderr, and the JSON object with --json. */
  const fail = async (error: unknown, url: string | null, code?: GetErrorCode): Promise<number> => {
    const report = failureReport(error, url);
    if (code) report.error!.code = code;
    await io.stderr.write(`gemini get: ${report.error!.message}\n`);
    if (json) await io.stdout.write(formatReport(report));
    return 1;
  };

  if (target.kind === "no-fetch") {
    return await fail(new ClientError("unsupported-scheme", target.message), target.text);
  }
  if (target.kind === "data") {
    const response = dataResponse(target.text);
    if (values["dry-run"]) {
      await io.stderr.write("gemini get: a data: URL is decoded here; nothing would be sent\n");
      return 0;
    }
    return await output(response, values, io, {});
  }
  const url = target.url;

  const paths = resolvePaths((name) => io.env(name));
  let config;
  try {
    config = await loadClientConfig(paths);
  } catch (error) {
    return await fail(error, url.href, "config");
  }
  const options: ClientOptions = { ...config };
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  options.proxies = { ...config.proxies, ...flagProxies };
  if (values["dry-run"]) return await dryRun(url, options, io);

  const identities = openIdentityStore(paths);
  const forced = typeof values.identity === "string"
    ? await namedIdentity(identities, values.identity)
    : undefined;
  const announcer = retryAnnouncer(io, options.retries ?? DEFAULT_RETRIES);
  const client = new Client({
    ...options,
    knownHosts: openKnownHosts(paths),
    identities,
    hooks: cliHooks(io, values, announcer),
  });
  let response: GeminiResponse;
  try {
    response = await client.fetch(url, {
      identity: forced,
      input: typeof values.input === "string" ? values.input : undefined,
    });
  } catch (error) {
    if (
      error instanceof ClientError && error.code === "identity" &&
      error.message.includes("no passphrase was given")
    ) {
      error.message += `; set ${PASSPHRASE_ENV} or run on a terminal to be asked`;
    }
    return await fail(error, url.href);
  } finally {
    announcer.stop();
  }
  return await output(response, values, io, options);
}

/** What reading a 2x body for `--json` gave. */
async function jsonBody(
  response: GeminiResponse,
  report: GetReport,
  values: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  const file = typeof values.output === "string" ? values.output : undefined;
  if (file) {
    await saveBody(response, file, io);
    report.bodyOmitted = "file";
    return;
  }
  const bytes = await response.bytes();
  let text: string | undefined;
  if (response.mediaType?.type === "text" && !values.raw) {
    try {
      text = decodeFor(response, bytes);
    } catch (error) {
      // The bytes are not lost: they go out as bodyBase64, and the error says why.
      report.error = { code: errorCode(error), message: errorMessage(error) };
    }
  }
  if (text !== undefined) report.body = text;
  else if (bytes.length <= JSON_BODY_LIMIT) report.bodyBase64 = bytesToBase64(bytes);
  else report.bodyOmitted = "size";
}

async function output(
  response: GeminiResponse,
  values: Record<string, unknown>,
  io: CliIo,
  options: ClientOptions,
): Promise<number> {
  let exitCode = exitCodeFor(response.status);
  const success = exitCode === 0;
  const local = response.url.protocol === "data:";

  if (values.json) {
    const report = responseReport(local ? { ...response, timing: undefined } : response);
    if (success) {
      try {
        await jsonBody(response, report, values, io);
      } catch (error) {
        await response.body.cancel().catch(() => {});
        report.error = { code: errorCode(error), message: errorMessage(error) };
        report.bodyOmitted = "error";
      }
      finishBody(report, response);
      if (local) report.timing = null;
    } else {
      await response.body.cancel().catch(() => {});
    }
    if (report.error) {
      exitCode = 1;
      await io.stderr.write(`gemini get: ${report.error.message}\n`);
    }
    await io.stdout.write(formatReport(report));
    return exitCode;
  }

  try {
    return await print(response, exitCode, values, io, options);
  } catch (error) {
    await response.body.cancel().catch(() => {});
    // The reader went away (`gemini get URL | head`): stop quietly, as other filters do.
    if (error instanceof Deno.errors.BrokenPipe) return exitCode;
    await io.stderr.write(`gemini get: ${errorMessage(error)}\n`);
    return 1;
  }
}

/** Prints a response for people and pipes (everything but `--json`). */
async function print(
  response: GeminiResponse,
  exitCode: number,
  values: Record<string, unknown>,
  io: CliIo,
  options: ClientOptions,
): Promise<number> {
  const success = exitCode === 0;
  const header = response.meta === ""
    ? `${response.status}\r\n`
    : `${response.status} ${response.meta}\r\n`;
  const file = typeof values.output === "string" ? values.output : undefined;
  if (values.head) {
    await response.body.cancel();
    await io.stdout.write(header);
    return exitCode;
  }
  if (values.include) await io.stdout.write(header);
  if (!success) {
    if (!values.include) {
      await io.stderr.write(`gemini get: ${explainStatus(response, options)}\n`);
    }
    return exitCode;
  }
  if (file) {
    await saveBody(response, file, io);
    return exitCode;
  }
  if (!io.stdout.isTerminal || values.raw) {
    for await (const chunk of response.body) await io.stdout.write(chunk);
    return exitCode;
  }
  const mediaType = response.mediaType;
  if (mediaType?.type !== "text") {
    await response.body.cancel();
    await io.stderr.write(
      `gemini get: the body is ${mediaType?.essence ?? "binary"}, not printed to a terminal; ` +
        `save it with -o FILE (or pipe it, or use --raw)\n`,
    );
    return exitCode;
  }
  const text = decodeFor(response, await response.bytes());
  if (mediaType.essence === "text/gemini") {
    // Loaded on demand: pipes and files never render.
    const { renderGemtext, shouldUseColor } = await import("../gemtext/render.ts");
    const { rows, links } = renderGemtext(text, {
      width: Math.max(20, Math.min(io.columns() ?? 80, 200)),
      color: shouldUseColor({ NO_COLOR: io.env("NO_COLOR"), isTty: io.stdout.isTerminal }),
      baseUrl: response.url,
    });
    let out = rows.map((r) => r.text).join("\n") + (rows.length > 0 ? "\n" : "");
    if (links.length > 0) {
      out += "\n" + links.map((l) => `[${l.number}] ${safeForTerminal(l.url)}`).join("\n") + "\n";
    }
    await io.stdout.write(out);
  } else {
    const clean = safeForTerminal(text);
    await io.stdout.write(clean.endsWith("\n") || clean === "" ? clean : clean + "\n");
  }
  return exitCode;
}

/** The text of a body, decoded by its effective charset; a `charset` error when unknown. */
function decodeFor(response: GeminiResponse, bytes: Uint8Array): string {
  const charset = effectiveCharset(response.mediaType);
  if (charset === null) {
    throw new ClientError(
      "charset",
      `Unknown charset "${response.mediaType?.charset}" in the media type of ` +
        `${response.url.href}; use --raw to get the bytes as sent`,
    );
  }
  return new TextDecoder(charset).decode(bytes);
}

/**
 * Saves the body to `path`. A regular file is written as `path.part` and renamed over `path`
 * only once the body is complete, so a failed download never destroys what `path` held; the
 * partial body stays in `path.part` and the error says so. Devices and pipes (`/dev/null`,
 * a FIFO) are written directly.
 */
async function saveBody(response: GeminiResponse, path: string, io: CliIo): Promise<void> {
  let direct = false;
  try {
    direct = !(await Deno.stat(path)).isFile;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const target = direct ? path : `${path}.part`;
  const file = await Deno.open(target, { write: true, create: true, truncate: true });
  let complete = false;
  const progress = io.stderr.isTerminal;
  const started = performance.now();
  let shown = 0;
  const show = async (final: boolean): Promise<void> => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? response.bodyBytes / elapsed : 0;
    const bar = `\r${path}: ${formatBytes(response.bodyBytes)}  ${formatBytes(Math.round(rate))}/s`;
    await io.stderr.write(bar.padEnd(60) + (final ? "\n" : ""));
  };
  try {
    for await (const chunk of response.body) {
      let data = chunk;
      while (data.length > 0) data = data.subarray(await file.write(data));
      const now = performance.now();
      if (progress && now - shown >= 100) {
        shown = now;
        await show(false);
      }
    }
    if (progress) await show(true);
    complete = true;
  } catch (error) {
    if (direct) throw error;
    const message = errorMessage(error);
    throw new Error(
      `${message}; the ${response.bodyBytes} bytes received are in ${target}` +
        (path === target ? "" : ` (${path} was left as it was)`),
      { cause: error },
    );
  } finally {
    file.close();
    if (complete && !direct) await Deno.rename(target, path);
  }
}
