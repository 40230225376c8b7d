/**
 * The command line of `gemini get`: its options, help text and examples, and the checks and
 * conversions of the option values into client options.
 *
 * @module
 */

import { parseSize as parseByteSize } from "../gemtext/size.ts";
import { type CommandSpec, type ParsedValues, UsageError } from "./args.ts";
import { PASSPHRASE_ENV } from "../client/identities.ts";
import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_RETRIES } from "../client/retry.ts";
import type { ClientOptions, TofuMode } from "../client/types.ts";
import { GET_ERROR_CODES } from "./get_report.ts";

/** The parsed option values of one run (as `parseCommand` gives them). */
export type GetValues = ParsedValues<typeof GET_SPEC.options>;

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
export const GET_SPEC = {
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
} satisfies CommandSpec;

const TOFU_MODES: readonly TofuMode[] = ["strict", "warn", "off"];

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < min) {
    throw new UsageError(`gemini get: --${name} needs a whole number >= ${min}, got "${value}"`);
  }
  return Number(value);
}

/** A number of seconds from option `name` (above 0 when `positive`); a usage error otherwise. */
export function seconds(
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
 * import { parseSize } from "./get_options.ts";
 * import assert from "node:assert";
 * assert.equal(parseSize("2K"), 2048);
 * assert.equal(parseSize("10"), 10);
 * ```
 */
export function parseSize(text: string): number {
  try {
    return parseByteSize(text);
  } catch {
    throw new UsageError(`gemini get: --max-size needs a size like 500K or 10M, got "${text}"`);
  }
}

/** The `--proxy SCHEME=URL` values by scheme; a usage error for one that is not gemini://. */
export function parseProxies(values: string[]): Record<string, string> {
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

/** Whether `--json` is among `args` (before a `--`), so that a usage error prints JSON too. */
export function wantsJson(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
}

/** The usage checks of option combinations. */
export function checkCombinations(values: GetValues): void {
  const tofu = values.tofu;
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
export function flagOptions(values: GetValues, timeout: number | undefined): ClientOptions {
  const timeoutMs = timeout === undefined ? undefined : timeout * 1000;
  return {
    tofu: values.tofu as TofuMode | undefined,
    trustNew: values["trust-new"] === true ? true : undefined,
    maxRedirects: integer("max-redirects", values["max-redirects"], 0),
    followRedirects: values["no-follow"] === true ? false : undefined,
    allowSchemeChange: values["allow-scheme-change"] === true ? true : undefined,
    retries: integer("retries", values.retries, 0),
    maxWaitSeconds: seconds("max-wait", values["max-wait"]),
    retryInput: values["retry-input"] === true ? true : undefined,
    allowGopher: values["allow-gopher"] === true ? true : undefined,
    maxBodyBytes: values["max-size"] === undefined ? undefined : parseSize(values["max-size"]),
    connectTimeoutMs: timeoutMs,
    headerTimeoutMs: timeoutMs,
    idleTimeoutMs: timeoutMs,
  };
}
