/**
 * `gemini get --upload FILE titan://...`: one Titan upload, the server's certificate checked
 * like a fetch's (dates and names, then trust on first use), reported like a fetch (`-i`,
 * `-I`, `--json`).
 *
 * @module
 */

import { concatBytes } from "../protocol/bytes.ts";
import { UsageError } from "./args.ts";
import type { CliIo } from "./io.ts";
import { openIdentityStore, PASSPHRASE_ENV } from "../client/identities.ts";
import { openKnownHosts } from "../client/known_hosts.ts";
import type {
  ClientWarning,
  Identity,
  IdentityStore,
  TofuMode,
  TrustReport,
} from "../client/types.ts";
import { resolvePaths } from "../files/paths.ts";
import { parseMediaType } from "../protocol/mime.ts";
import { isRedirect, isSuccess, normalizeStatus, Status, statusText } from "../protocol/status.ts";
import { formatTitanUrl } from "../protocol/titan.ts";
import { tofuTrust } from "../client/trust.ts";
import { checkServerCertificate } from "../client/server_certificate.ts";
import { titanUpload, type TitanUploadResult } from "../client/titan.ts";
import type { CertificateInfo } from "../tls/certificate.ts";
import {
  certificateJson,
  effectiveCharset,
  errorCode,
  errorMessage,
  exitCodeFor,
  failureReport,
  formatReport,
  type GetReport,
  responseReport,
  trustJson,
} from "./get_report.ts";
import { warningMessage } from "./get_hints.ts";
import type { GetValues } from "./get_options.ts";
import { stripControls } from "../gemtext/controls.ts";

/** Bodies larger than this are left out of `--json` unless they are text. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** Strips terminal control sequences from text printed to a terminal (tabs and newlines stay). */
export function safeForTerminal(text: string): string {
  return stripControls(text, { tab: true, newline: true, replacement: "" });
}

/** Base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The identity `--identity NAME` names; a usage error when there is none. */
export async function namedIdentity(identities: IdentityStore, name: string): Promise<Identity> {
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
  return concatBytes(chunks);
}

/** The `--json` report of an upload's answer. */
function uploadReport(
  result: TitanUploadResult,
  trust: TrustReport | undefined,
): GetReport {
  const url = new URL(result.url);
  const success = normalizeStatus(result.status) === Status.Success;
  let mediaType;
  if (success) {
    try {
      mediaType = parseMediaType(result.meta || "text/gemini; charset=utf-8");
    } catch {
      mediaType = parseMediaType("text/gemini; charset=utf-8");
    }
  }
  const report = responseReport({
    url,
    status: result.status,
    meta: result.meta,
    mediaType,
    redirects: [],
    certificate: result.certificate,
    trustReport: trust,
    trust: trust?.verdict,
  });
  report.bodyBytes = result.body.length;
  if (success) {
    const charset = effectiveCharset(mediaType);
    if (mediaType?.type === "text" && charset !== null) {
      report.body = new TextDecoder(charset).decode(result.body);
    } else if (result.body.length <= JSON_BODY_LIMIT) {
      report.bodyBase64 = bytesToBase64(result.body);
    } else {
      report.bodyOmitted = "size";
    }
  }
  return report;
}

/** What an upload sends, from the command line. */
interface UploadRequest {
  /** The titan:// URL. */
  target: string;
  /** The file to send, `-` for stdin. */
  source: string;
  /** `--mime`. */
  mime?: string;
  /** `--token`. */
  token?: string;
}

/** Runs `gemini get --upload FILE titan://...` and returns the exit code. */
export async function upload(
  target: string,
  values: GetValues,
  io: CliIo,
  timeout: number | undefined,
): Promise<number> {
  if (!/^titan:\/\//i.test(target)) {
    throw new UsageError(`gemini get: --upload needs a titan:// URL, got "${target}"`);
  }
  const request: UploadRequest = {
    target,
    source: values.upload ?? "-",
    mime: values.mime,
    token: values.token,
  };
  if (values["dry-run"]) return await dryRunUpload(request, io);
  const fail = async (error: unknown, report: GetReport): Promise<number> => {
    await io.stderr.write(`gemini get: ${errorMessage(error)}\n`);
    if (values.json === true) await io.stdout.write(formatReport(report));
    return 1;
  };
  let data: Uint8Array;
  try {
    data = request.source === "-" ? await readAll(io.stdin) : await Deno.readFile(request.source);
  } catch (error) {
    const message = `Cannot read ${request.source}: ${errorMessage(error)}`;
    const wrapped = new Error(message, { cause: error });
    return await fail(wrapped, failureReport(wrapped, target));
  }
  const sent = await send(request, data, { values, io, timeout });
  if ("error" in sent) return await fail(sent.error, sent.report);
  return await printAnswer(request, sent, values, io);
}

/** `--dry-run` of an upload: the request line on stdout, its size on stderr. */
async function dryRunUpload(request: UploadRequest, io: CliIo): Promise<number> {
  const { target, source, mime, token } = request;
  const size = source === "-" ? 0 : (await Deno.stat(source)).size;
  await io.stdout.write(`${formatTitanUrl(target, { size, mime, token })}\r\n`);
  await io.stderr.write(
    `gemini get: would send the line above and ${size} bytes; nothing was sent\n`,
  );
  return 0;
}

/** What sending gave: the answer and the trust check, or the failure and its report. */
type Sent =
  | { result: TitanUploadResult; trust: TrustReport | undefined }
  | { error: unknown; report: GetReport };

/**
 * Sends `data`, with the identity named or scoped for the URL, after checking the server's
 * certificate like a fetch does (dates and names, then trust on first use).
 */
async function send(
  request: UploadRequest,
  data: Uint8Array,
  run: { values: GetValues; io: CliIo; timeout: number | undefined },
): Promise<Sent> {
  const { values, io, timeout } = run;
  const tofu = values.tofu as TofuMode | undefined;
  const paths = resolvePaths((name) => io.env(name));
  const identities = openIdentityStore(paths);
  const identity = typeof values.identity === "string"
    ? await namedIdentity(identities, values.identity)
    // Titan URLs use the identity of the same gemini:// URL.
    : await identities.forUrl(new URL(request.target.replace(/^titan:/i, "gemini:")));
  const hooks = {
    onWarning: (message: string, warning?: ClientWarning) =>
      void io.stderr.write(`gemini get: warning: ${warningMessage(message, warning)}\n`),
  };
  const trustServer = tofuTrust(openKnownHosts(paths), {
    mode: tofu,
    trustNew: values["trust-new"] === true,
    hooks,
  });
  let trust: TrustReport | undefined;
  let presented: CertificateInfo | undefined;
  try {
    const result = await titanUpload(request.target, data, {
      mime: request.mime,
      token: request.token,
      identity: identity
        ? { cert: identity.cert, key: identity.key, passphrase: io.env(PASSPHRASE_ENV) }
        : undefined,
      connectTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
      timeoutMs: timeout === undefined ? undefined : Math.max(timeout * 1000, 60_000),
      checkServer: async (certificate, host, port) => {
        presented = certificate;
        await checkServerCertificate(host, port, certificate, { mode: tofu, hooks });
        const url = new URL(request.target);
        trust = await trustServer({ url, host, port, certificate });
      },
    });
    return { result, trust };
  } catch (error) {
    const report = failureReport(error, request.target);
    report.certificate ??= certificateJson(presented);
    if (trust && !report.trust) report.trust = trustJson(trust, presented);
    report.error = { code: errorCode(error), message: errorMessage(error) };
    return { error, report };
  }
}

/** Prints the answer to an upload (`--json`, `-i`, `-I` or plain) and returns the exit code. */
async function printAnswer(
  request: UploadRequest,
  sent: { result: TitanUploadResult; trust: TrustReport | undefined },
  values: GetValues,
  io: CliIo,
): Promise<number> {
  const { result } = sent;
  const redirected = isRedirect(result.status);
  // A 3x is the usual answer to a successful Titan upload (it points to the new page).
  const exit = redirected ? 0 : exitCodeFor(result.status);
  if (values.json) {
    await io.stdout.write(formatReport(uploadReport(result, sent.trust)));
    return exit;
  }
  const header = result.meta === ""
    ? `${result.status}\r\n`
    : `${result.status} ${result.meta}\r\n`;
  if (values.include || values.head) await io.stdout.write(header);
  if (isSuccess(result.status)) {
    if (!values.head) await io.stdout.write(result.body);
    return exit;
  }
  if (redirected) {
    if (!values.include && !values.head) await io.stdout.write(`${result.meta}\n`);
    return exit;
  }
  if (!values.include && !values.head) {
    await io.stderr.write(
      `gemini get: upload to ${request.target}: ${result.status} ${statusText(result.status)}` +
        `${result.meta ? `: ${safeForTerminal(result.meta)}` : ""}\n`,
    );
  }
  return exit;
}
