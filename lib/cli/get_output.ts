/**
 * What `gemini get` does with a response: one JSON object (`--json`), the header (`-i`,
 * `-I`), the body saved to a file (`-o`), written as bytes to a pipe (or with `--raw`), or
 * rendered on a terminal; and for an answer that is not a success, what it means and what
 * to do about it.
 *
 * @module
 */

import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_RETRIES } from "../client/retry.ts";
import { ClientError, type ClientOptions, type GeminiResponse } from "../client/types.ts";
import {
  isInput,
  isRedirect,
  normalizeStatus,
  Status,
  statusClass,
  statusText,
} from "../protocol/status.ts";
import { normalizeUrl, resolveUrl } from "../protocol/url.ts";
import type { CliIo } from "./io.ts";
import type { GetValues } from "./get_options.ts";
import {
  effectiveCharset,
  errorCode,
  errorMessage,
  exitCodeFor,
  finishBody,
  formatReport,
  type GetReport,
  responseReport,
} from "./get_report.ts";
import { bytesToBase64, JSON_BODY_LIMIT, safeForTerminal } from "./get_upload.ts";
import { formatSize } from "../gemtext/size.ts";
import { partPath, saveThroughPart } from "../files/part_file.ts";

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

/**
 * What `get` says on stderr about an answer that is not a success: the status, its name
 * and META, and what to do (answer an input, follow a redirect, retry, present a
 * certificate).
 */
function explainStatus(response: GeminiResponse, options: ClientOptions): string {
  const { status, meta, url } = response;
  const handled = normalizeStatus(status);
  const undefinedCode = handled !== status ? ` (undefined code, handled as ${handled})` : "";
  const head = `${url.href}: ${status} ${statusText(status)}${undefinedCode}${
    meta ? `: ${safeForTerminal(meta)}` : ""
  }`;
  if (isInput(status)) return `${head}\nThe server asks for input; answer with --input TEXT`;
  if (isRedirect(status)) {
    let to = JSON.stringify(meta);
    try {
      to = normalizeUrl(resolveUrl(url, meta.trim())).href;
    } catch {
      // shown as sent
    }
    return `${head}\nIt points to ${to}; not followed (--no-follow or --max-redirects 0)`;
  }
  if (statusClass(status) === statusClass(Status.TemporaryFailure)) {
    return head + notRetried(response, options);
  }
  if (handled === Status.ClientCertificateRequired && !response.identity) {
    return `${head}\nThis page needs a client certificate. Create one with\n` +
      `  gemini cert new NAME --scope ${url.protocol}//${url.host}${url.pathname}\n` +
      "or send a throwaway one with --transient";
  }
  if (handled === Status.CertificateNotAuthorized) {
    return `${head}\nThe certificate${
      response.identity ? ` "${response.identity}"` : ""
    } is not authorised here; choose another with --identity NAME`;
  }
  return head;
}

/** What reading a 2x body for `--json` gave. */
async function jsonBody(
  response: GeminiResponse,
  report: GetReport,
  values: GetValues,
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

/**
 * Writes `response` as the options ask and returns the exit code: the status as handled
 * (0 for a 2x), or 1 when the body could not be delivered.
 */
export async function output(
  response: GeminiResponse,
  values: GetValues,
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
  values: GetValues,
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
        response.url.href,
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
  const progress = io.stderr.isTerminal;
  const started = performance.now();
  let shown = 0;
  const show = async (final: boolean): Promise<void> => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? response.bodyBytes / elapsed : 0;
    const bar = `\r${path}: ${formatSize(response.bodyBytes)}  ${formatSize(Math.round(rate))}/s`;
    await io.stderr.write(bar.padEnd(60) + (final ? "\n" : ""));
  };
  try {
    await saveThroughPart(response.body, path, {
      direct,
      onChunk: async () => {
        const now = performance.now();
        if (progress && now - shown >= 100) {
          shown = now;
          await show(false);
        }
      },
    });
  } catch (error) {
    if (direct) throw error;
    const message = errorMessage(error);
    throw new Error(
      `${message}; the ${response.bodyBytes} bytes received are in ${partPath(path)} ` +
        `(${path} was left as it was)`,
      { cause: error },
    );
  }
  if (progress) await show(true);
}
