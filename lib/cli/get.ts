/**
 * `gemini get URL`: fetch one URL with the client's policies and print it (rendered on a
 * terminal, raw bytes otherwise), save it (`-o`), show its header (`-i`, `-I`), show the
 * request it would send (`--dry-run`) or describe it as JSON (`--json`). The exit code is 0
 * for a 2x answer, the final status for 10-69, 1 for network, TLS or trust failures and 2
 * for usage errors.
 *
 * @module
 */

import { _concatBytes } from "../client/_bytes.ts";
import { type CommandSpec, formatHelp, parseCommand, UsageError } from "./args.ts";
import type { CliIo } from "./io.ts";
import { Client } from "../client/client.ts";
import { _checkUrlText } from "../client/_url.ts";
import { loadClientConfig } from "../client/config.ts";
import { openIdentityStore, PASSPHRASE_ENV } from "../client/identities.ts";
import { openKnownHosts } from "../client/known_hosts.ts";
import {
  ClientError,
  type ClientHooks,
  type ClientOptions,
  type GeminiResponse,
  type Identity,
  type IdentityStore,
  type TofuMode,
} from "../client/types.ts";
import { resolvePaths } from "../files/paths.ts";
import { normalizeUrl } from "../protocol/url.ts";
import { statusText } from "../protocol/status.ts";
import { generateCertificate } from "../tls/certificate.ts";
import { checkTrust } from "../client/trust.ts";
import { certificateValidity, checkServerCertificate } from "../client/server_certificate.ts";
import { titanUpload, type TitanUploadResult } from "../client/titan.ts";
import { formatTitanUrl } from "../protocol/titan.ts";

/** Bodies larger than this are left out of `--json` unless they are text. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** The command line of `gemini get`. */
export const GET_SPEC: CommandSpec = {
  name: "gemini get",
  usage: ["gemini get [options] URL"],
  summary: "Fetch URL (gemini:// when no scheme is given) and print it: rendered on a\n" +
    "terminal, byte for byte otherwise.",
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
      description: "Follow at most N redirects (default 5)",
    },
    "allow-scheme-change": {
      type: "boolean",
      description: "Follow redirects to another scheme (e.g. gemini:// to gopher://)",
    },
    retries: {
      type: "string",
      value: "N",
      description: "Retry at most N times after 44 SLOW DOWN (default 3)",
    },
    "max-wait": {
      type: "string",
      value: "SECONDS",
      description: "Wait at most SECONDS before one retry (default 60)",
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
      description: "Print one JSON object: status, meta, TLS, certificate, trust, timing, body",
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
    "gemini get --raw gemini://example.org/latin1.txt      # bytes, even to a terminal",
    "gemini get --json gemini://example.org/ | jq .certificate",
    "gemini get --input 'two words' gemini://example.org/search",
    "gemini get --identity alice gemini://example.org/private/",
    "gemini get --transient gemini://example.org/private/  # throwaway certificate",
    "gemini get --trust-new gemini://example.org/          # after a key change",
    "gemini get --tofu warn gemini://example.org/",
    "gemini get --max-redirects 2 --allow-scheme-change gemini://example.org/old",
    "gemini get --retries 5 --max-wait 10 gemini://busy.example.org/",
    "gemini get --max-size 10M --timeout 5 gemini://example.org/big.bin -o big.bin",
    "gemini get --proxy https=gemini://localhost:1965 https://example.com/",
    "gemini get --allow-gopher gopher://gopher.floodgap.com/",
    "gemini get --dry-run example.org/a%20b                # the request line only",
    "gemini get --upload page.gmi --token s3cret titan://example.org/wiki/page.gmi",
    "echo hi | gemini get --upload - --mime text/plain titan://example.org/notes/hi.txt",
  ],
  footer: [
    "Exit codes: 0 for a 2x answer; the final status (10-69) otherwise, e.g. 51 for not",
    "found, 60 when a client certificate is required; 1 for network, TLS or trust failures",
    "(a changed server key, a server certificate that has expired or is not valid yet);",
    "2 for usage errors. With --upload, a 3x answer (the usual Titan success) also exits 0",
    "and prints the URL it points to.",
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
 * console.assert(parseSize("2K") === 2048 && parseSize("10") === 10);
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

function targetUrl(text: string): URL {
  try {
    _checkUrlText(text);
  } catch (error) {
    throw new UsageError(`gemini get: ${(error as Error).message}`, { cause: error });
  }
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ||
      /^[A-Za-z][A-Za-z0-9+.-]*:[^0-9]/.test(text)
    ? text
    : `gemini://${text}`;
  try {
    return normalizeUrl(withScheme);
  } catch (error) {
    throw new UsageError(
      `gemini get: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
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

/** Strips terminal control sequences from text printed to a terminal (tabs and newlines stay). */
function safeForTerminal(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}

function jsonOf(response: GeminiResponse): Record<string, unknown> {
  const round = (n: number): number => Math.round(n * 10) / 10;
  const cert = response.certificate;
  return {
    url: response.url.href,
    status: response.status,
    meta: response.meta,
    mediaType: response.mediaType?.essence ?? null,
    charset: response.mediaType?.charset ?? null,
    lang: response.mediaType?.lang ?? null,
    redirects: response.redirects.map((u) => u.href),
    tls: response.tls ? { version: response.tls.version, cipher: response.tls.cipher } : null,
    certificate: cert
      ? {
        spkiSha256: cert.spkiSha256,
        certSha256: cert.certSha256,
        subject: cert.subject,
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
        valid: certificateValidity(cert) === "valid",
      }
      : null,
    trust: { verdict: response.trust ?? null },
    timing: {
      connectMs: round(response.timing.connectMs),
      tlsMs: round(response.timing.tlsMs),
      firstByteMs: round(response.timing.firstByteMs),
      totalMs: round(response.timing.totalMs),
    },
    bodyBytes: response.bodyBytes,
  };
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function explainStatus(response: GeminiResponse): string {
  const { status, meta, url } = response;
  const head = `${url.href}: ${status} ${statusText(status)}${meta ? `: ${meta}` : ""}`;
  switch (Math.floor(status / 10)) {
    case 1:
      return `${head}\nThe server asks for input; answer with --input TEXT`;
    case 3:
      return `${head}\nThe redirect was not followed`;
    case 4:
      return status === 44
        ? `${head}\nStill told to slow down after the retries (--retries)`
        : head;
    case 6:
      if (status === 60 && !response.identity) {
        return `${head}\nThis page needs a client certificate. Create one with\n` +
          `  gemini cert new NAME --scope ${url.protocol}//${url.host}${url.pathname}\n` +
          "or send a throwaway one with --transient";
      }
      if (status === 61) {
        return `${head}\nThe certificate${
          response.identity ? ` "${response.identity}"` : ""
        } is not authorised here; choose another with --identity NAME`;
      }
      return head;
    default:
      return head;
  }
}

/** Runs `gemini get` and returns its exit code. */
export async function main(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(GET_SPEC, args);
  if (values.help) {
    await io.stdout.write(formatHelp(GET_SPEC));
    return 0;
  }
  const tofu = values.tofu as string | undefined;
  if (tofu !== undefined && !TOFU_MODES.includes(tofu as TofuMode)) {
    throw new UsageError(`gemini get: --tofu must be strict, warn or off, got "${tofu}"`);
  }
  if (values.head && values.json) {
    throw new UsageError("gemini get: -I and --json cannot be used together");
  }
  if (values.upload === undefined && (values.mime !== undefined || values.token !== undefined)) {
    throw new UsageError("gemini get: --mime and --token go with --upload");
  }
  if (values.upload !== undefined) return await upload(positionals[0], values, io);
  const url = targetUrl(positionals[0]);
  const timeout = seconds("timeout", values.timeout as string | undefined, true);
  const flags: ClientOptions = {
    tofu: tofu as TofuMode | undefined,
    trustNew: values["trust-new"] === true ? true : undefined,
    maxRedirects: integer("max-redirects", values["max-redirects"] as string | undefined, 0),
    allowSchemeChange: values["allow-scheme-change"] === true ? true : undefined,
    retries: integer("retries", values.retries as string | undefined, 0),
    maxWaitSeconds: seconds("max-wait", values["max-wait"] as string | undefined),
    allowGopher: values["allow-gopher"] === true ? true : undefined,
    maxBodyBytes: values["max-size"] === undefined
      ? undefined
      : parseSize(values["max-size"] as string),
    connectTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
    headerTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
    idleTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
  };
  const flagProxies = parseProxies((values.proxy as string[] | undefined) ?? []);

  const paths = resolvePaths((name) => io.env(name));
  let config;
  try {
    config = await loadClientConfig(paths);
  } catch (error) {
    await io.stderr.write(`gemini get: ${error instanceof Error ? error.message : error}\n`);
    return 1;
  }
  const options: ClientOptions = { ...config };
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  options.proxies = { ...config.proxies, ...flagProxies };

  if (values["dry-run"]) {
    const scheme = url.protocol.slice(0, -1);
    const proxy = options.proxies[scheme];
    const server = proxy ? new URL(proxy) : url;
    const port = server.port || (server.protocol === "gopher:" ? "70" : "1965");
    await io.stdout.write(`${url.href}\r\n`);
    await io.stderr.write(
      `gemini get: would send the line above to ${server.hostname}:${port}` +
        `${proxy ? ` (proxy for ${scheme})` : ""}; nothing was sent\n`,
    );
    return 0;
  }

  const identities = openIdentityStore(paths);
  const forced = typeof values.identity === "string"
    ? await namedIdentity(identities, values.identity)
    : undefined;
  const hooks: ClientHooks = {
    onWarning: (message) => void io.stderr.write(`gemini get: warning: ${message}\n`),
    onRetryWait: ({ url, status, seconds, attempt }) =>
      void io.stderr.write(
        `gemini get: ${status} ${statusText(status)} from ${url.host}; ` +
          `waiting ${seconds} s before retry ${attempt}\n`,
      ),
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
      if (status !== 60) return null;
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

  const client = new Client({
    ...options,
    knownHosts: openKnownHosts(paths),
    identities,
    hooks,
  });
  let response: GeminiResponse;
  try {
    response = await client.fetch(url, {
      identity: forced,
      input: typeof values.input === "string" ? values.input : undefined,
    });
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    if (
      error instanceof ClientError && error.code === "identity" &&
      message.includes("no passphrase was given")
    ) {
      message += `; set ${PASSPHRASE_ENV} or run on a terminal to be asked`;
    }
    await io.stderr.write(`gemini get: ${message}\n`);
    return 1;
  }
  const exitCode = Math.floor(response.status / 10) === 2 ? 0 : response.status;
  try {
    return await output(response, exitCode, values, io);
  } catch (error) {
    await response.body.cancel().catch(() => {});
    // The reader went away (`gemini get URL | head`): stop quietly, as other filters do.
    if (error instanceof Deno.errors.BrokenPipe) return exitCode;
    await io.stderr.write(`gemini get: ${error instanceof Error ? error.message : error}\n`);
    return 1;
  }
}

async function output(
  response: GeminiResponse,
  exitCode: number,
  values: Record<string, unknown>,
  io: CliIo,
): Promise<number> {
  const success = exitCode === 0;
  const header = response.meta === ""
    ? `${response.status}\r\n`
    : `${response.status} ${response.meta}\r\n`;
  const file = typeof values.output === "string" ? values.output : undefined;

  if (values.json) {
    const json = jsonOf(response);
    if (success && file) {
      await saveBody(response, file, io);
      json.bodyBytes = response.bodyBytes;
    } else if (success) {
      const bytes = await response.bytes();
      json.bodyBytes = response.bodyBytes;
      let text: string | undefined;
      if (response.mediaType?.type === "text" && !values.raw) {
        try {
          text = decodeFor(response, bytes);
        } catch (error) {
          // The bytes are not lost: they go out as bodyBase64, and the exit code says so.
          await io.stderr.write(`gemini get: ${(error as Error).message}\n`);
          exitCode = 1;
        }
      }
      if (text !== undefined) json.body = text;
      else if (bytes.length <= JSON_BODY_LIMIT) json.bodyBase64 = bytesToBase64(bytes);
    }
    const t = json.timing as Record<string, number>;
    t.totalMs = Math.round(response.timing.totalMs * 10) / 10;
    await io.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return exitCode;
  }

  if (values.head) {
    await response.body.cancel();
    await io.stdout.write(header);
    return exitCode;
  }
  if (values.include) await io.stdout.write(header);
  if (!success) {
    if (!values.include) {
      await io.stderr.write(`gemini get: ${explainStatus(response)}\n`);
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
  const text = await response.text();
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

function decodeFor(response: GeminiResponse, bytes: Uint8Array): string {
  const label = response.mediaType?.charset ?? "utf-8";
  try {
    return new TextDecoder(label).decode(bytes);
  } catch (cause) {
    throw new ClientError(
      "charset",
      `Unknown charset "${label}" in the media type of ${response.url.href}; ` +
        "use --raw to get the bytes as sent",
      { cause },
    );
  }
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
    const message = error instanceof Error ? error.message : String(error);
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

/** The identity `--identity NAME` names; a usage error when there is none. */
async function namedIdentity(identities: IdentityStore, name: string): Promise<Identity> {
  const identity = await identities.get(name);
  if (!identity) {
    throw new UsageError(
      `gemini get: no identity named "${name}"; list them with gemini cert list`,
    );
  }
  return identity;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return _concatBytes(chunks);
}

/** `gemini get --upload FILE titan://...`: one Titan upload, trust checked like a fetch. */
async function upload(
  target: string,
  values: Record<string, unknown>,
  io: CliIo,
): Promise<number> {
  if (!/^titan:\/\//i.test(target)) {
    throw new UsageError(`gemini get: --upload needs a titan:// URL, got "${target}"`);
  }
  const source = values.upload as string;
  const tofu = (values.tofu as TofuMode | undefined) ?? undefined;
  const mime = values.mime as string | undefined;
  const token = values.token as string | undefined;
  const timeout = seconds("timeout", values.timeout as string | undefined);
  if (values["dry-run"]) {
    const size = source === "-" ? 0 : (await Deno.stat(source)).size;
    await io.stdout.write(`${formatTitanUrl(target, { size, mime, token })}\r\n`);
    await io.stderr.write(
      `gemini get: would send the line above and ${size} bytes; nothing was sent\n`,
    );
    return 0;
  }
  let data: Uint8Array;
  try {
    data = source === "-" ? await readAll(io.stdin) : await Deno.readFile(source);
  } catch (error) {
    await io.stderr.write(
      `gemini get: cannot read ${source}: ${error instanceof Error ? error.message : error}\n`,
    );
    return 1;
  }
  const paths = resolvePaths((name) => io.env(name));
  const identities = openIdentityStore(paths);
  const identity = typeof values.identity === "string"
    ? await namedIdentity(identities, values.identity)
    // Titan URLs use the identity of the same gemini:// URL.
    : await identities.forUrl(new URL(target.replace(/^titan:/i, "gemini:")));
  const knownHosts = openKnownHosts(paths);
  let result: TitanUploadResult;
  try {
    result = await titanUpload(target, data, {
      mime,
      token,
      identity: identity
        ? { cert: identity.cert, key: identity.key, passphrase: io.env(PASSPHRASE_ENV) }
        : undefined,
      connectTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
      timeoutMs: timeout === undefined ? undefined : Math.max(timeout * 1000, 60_000),
      checkServer: async (certificate, host, port) => {
        const hooks = {
          onWarning: (message: string) => void io.stderr.write(`gemini get: warning: ${message}\n`),
        };
        await checkServerCertificate(host, port, certificate, { mode: tofu, hooks });
        await checkTrust(knownHosts, host, port, certificate, {
          mode: tofu,
          trustNew: values["trust-new"] === true,
          hooks,
        });
      },
    });
  } catch (error) {
    await io.stderr.write(`gemini get: ${error instanceof Error ? error.message : error}\n`);
    return 1;
  }
  const header = result.meta === ""
    ? `${result.status}\r\n`
    : `${result.status} ${result.meta}\r\n`;
  if (values.include || values.head) await io.stdout.write(header);
  const kind = Math.floor(result.status / 10);
  if (kind === 2) {
    if (!values.head) await io.stdout.write(result.body);
    return 0;
  }
  if (kind === 3) {
    if (!values.include && !values.head) await io.stdout.write(`${result.meta}\n`);
    return 0;
  }
  if (!values.include && !values.head) {
    await io.stderr.write(
      `gemini get: upload to ${target}: ${result.status} ${statusText(result.status)}` +
        `${result.meta ? `: ${safeForTerminal(result.meta)}` : ""}\n`,
    );
  }
  return result.status;
}
