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

import { formatHelp, parseCommand, UsageError } from "./args.ts";
import type { CliIo } from "./io.ts";
import { Client } from "../client/client.ts";
import { type ClientConfig, loadClientConfig } from "../client/config.ts";
import { openIdentityStore, PASSPHRASE_ENV } from "../client/identities.ts";
import { openKnownHosts } from "../client/known_hosts.ts";
import { localResponse } from "../client/local_response.ts";
import { DEFAULT_RETRIES } from "../client/retry.ts";
import { checkUrlText } from "../client/url_text.ts";
import {
  ClientError,
  type ClientHooks,
  type ClientOptions,
  type GeminiResponse,
} from "../client/types.ts";
import { type Paths, resolvePaths } from "../files/paths.ts";
import { parseDataUrl } from "../protocol/data_url.ts";
import { parseMediaType } from "../protocol/mime.ts";
import { normalizeUrl } from "../protocol/url.ts";
import { normalizeStatus, Status, statusText } from "../protocol/status.ts";
import { generateCertificate } from "../tls/certificate.ts";
import { warningMessage } from "./get_hints.ts";
import {
  checkCombinations,
  flagOptions,
  GET_SPEC,
  type GetValues,
  parseProxies,
  parseSize,
  seconds,
  wantsJson,
} from "./get_options.ts";
import { output } from "./get_output.ts";
import { errorMessage, failureReport, formatReport, type GetErrorCode } from "./get_report.ts";
import { JSON_BODY_LIMIT, namedIdentity, safeForTerminal, upload } from "./get_upload.ts";
import { isInterrupt, readLine } from "./prompt.ts";

export { GET_SPEC, JSON_BODY_LIMIT, parseSize };

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
    status: Status.Success,
    meta: data.mediaType,
    mediaType,
    body: data.bytes,
  });
}

/**
 * Reads one answer from stdin (hidden for sensitive input); `null` at the end of input or
 * when Ctrl-C ends a hidden prompt (the answer is then "nothing", as before).
 */
async function readAnswer(io: CliIo, hidden: boolean): Promise<string | null> {
  try {
    return await readLine(io, { hidden });
  } catch (error) {
    if (isInterrupt(error)) return null;
    throw error;
  }
}

function canPrompt(io: CliIo): boolean {
  return io.stdinIsTerminal && io.stderr.isTerminal;
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
  values: GetValues,
  announcer: ReturnType<typeof retryAnnouncer>,
): ClientHooks {
  const hooks: ClientHooks = {
    onWarning: (message, warning) =>
      void io.stderr.write(`gemini get: warning: ${warningMessage(message, warning)}\n`),
    onRetryWait: (info) => announcer.announce(info),
    onPassphrase: async (identity) => {
      const fromEnv = io.env(PASSPHRASE_ENV);
      if (fromEnv !== undefined) return fromEnv;
      if (!canPrompt(io)) return null;
      await io.stderr.write(`Passphrase for identity "${identity.name}": `);
      return await readAnswer(io, true);
    },
  };
  if (canPrompt(io)) {
    hooks.onInput = async ({ prompt, sensitive }) => {
      await io.stderr.write(
        `${safeForTerminal(prompt) || "Input"}${sensitive ? " (hidden)" : ""}: `,
      );
      return await readAnswer(io, sensitive);
    };
    hooks.onInsecure = async (target) => {
      await io.stderr.write(
        `${target.href} is gopher, which is NOT encrypted: anyone on the path can read and ` +
          "change it. Fetch it anyway? [y/N] ",
      );
      return /^y(es)?$/i.test((await readAnswer(io, false))?.trim() ?? "");
    };
  }
  if (values.transient) {
    hooks.onIdentityRequired = async ({ status, url }) => {
      if (normalizeStatus(status) !== Status.ClientCertificateRequired) return null;
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

/** What the stages of one run share. */
interface Run {
  /** The option values. */
  values: GetValues;
  /** The process streams. */
  io: CliIo;
}

/** Reports a failure with no response: stderr, and the JSON object with --json. */
async function fail(
  run: Run,
  error: unknown,
  url: string | null,
  code?: GetErrorCode,
): Promise<number> {
  const report = failureReport(error, url);
  if (code) report.error!.code = code;
  await run.io.stderr.write(`gemini get: ${report.error!.message}\n`);
  if (run.values.json === true) await run.io.stdout.write(formatReport(report));
  return 1;
}

/** The stages of one run: arguments, target, configuration, then the fetch and its output. */
async function get(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(GET_SPEC, args);
  if (values.help) {
    await io.stdout.write(formatHelp(GET_SPEC));
    return 0;
  }
  checkCombinations(values);
  const timeout = seconds("timeout", values.timeout, true);
  if (values.upload !== undefined) return await upload(positionals[0], values, io, timeout);
  const target = classifyTarget(positionals[0]);
  const flags = flagOptions(values, timeout);
  const flagProxies = parseProxies(values.proxy ?? []);
  const run: Run = { values, io };
  if (target.kind === "no-fetch") {
    return await fail(run, new ClientError("unsupported-scheme", target.message), target.text);
  }
  if (target.kind === "data") return await decodeHere(run, target.text);
  const url = target.url;
  const paths = resolvePaths((name) => io.env(name));
  let config;
  try {
    config = await loadClientConfig(paths);
  } catch (error) {
    return await fail(run, error, url.href, "config");
  }
  const options = mergeOptions(config, flags, flagProxies);
  if (values["dry-run"]) return await dryRun(url, options, io);
  return await fetchAndOutput(run, url, options, paths);
}

/** A `data:` URL: decoded here and output like a fetched answer (nothing is sent). */
async function decodeHere(run: Run, text: string): Promise<number> {
  const response = dataResponse(text);
  if (run.values["dry-run"]) {
    await run.io.stderr.write("gemini get: a data: URL is decoded here; nothing would be sent\n");
    return 0;
  }
  return await output(response, run.values, run.io, {});
}

/** The client options: config.toml's, each overridden by a flag given; proxies merged. */
function mergeOptions(
  config: ClientConfig,
  flags: ClientOptions,
  flagProxies: Record<string, string>,
): ClientOptions {
  const options: ClientOptions = { ...config };
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  options.proxies = { ...config.proxies, ...flagProxies };
  return options;
}

/** Fetches `url` with a client of the stores in `paths`, then outputs the answer. */
async function fetchAndOutput(
  run: Run,
  url: URL,
  options: ClientOptions,
  paths: Paths,
): Promise<number> {
  const { values, io } = run;
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
    return await fail(run, error, url.href);
  } finally {
    announcer.stop();
  }
  return await output(response, values, io, options);
}
