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
import type { Identity, IdentityStore, TofuMode, TrustReport } from "../client/types.ts";
import { resolvePaths } from "../files/paths.ts";
import { parseMediaType } from "../protocol/mime.ts";
import { statusText } from "../protocol/status.ts";
import { formatTitanUrl } from "../protocol/titan.ts";
import { assessTrust } from "../client/trust.ts";
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
import { normalizeStatus } from "../protocol/status.ts";

/** Bodies larger than this are left out of `--json` unless they are text. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** Strips terminal control sequences from text printed to a terminal (tabs and newlines stay). */
export function safeForTerminal(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
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
  const success = normalizeStatus(result.status) === 20;
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

/** Runs `gemini get --upload FILE titan://...` and returns the exit code. */
export async function upload(
  target: string,
  values: Record<string, unknown>,
  io: CliIo,
  timeout: number | undefined,
): Promise<number> {
  if (!/^titan:\/\//i.test(target)) {
    throw new UsageError(`gemini get: --upload needs a titan:// URL, got "${target}"`);
  }
  const source = values.upload as string;
  const tofu = (values.tofu as TofuMode | undefined) ?? undefined;
  const mime = values.mime as string | undefined;
  const token = values.token as string | undefined;
  const json = values.json === true;
  if (values["dry-run"]) {
    const size = source === "-" ? 0 : (await Deno.stat(source)).size;
    await io.stdout.write(`${formatTitanUrl(target, { size, mime, token })}\r\n`);
    await io.stderr.write(
      `gemini get: would send the line above and ${size} bytes; nothing was sent\n`,
    );
    return 0;
  }
  const fail = async (error: unknown, report: GetReport): Promise<number> => {
    await io.stderr.write(`gemini get: ${errorMessage(error)}\n`);
    if (json) await io.stdout.write(formatReport(report));
    return 1;
  };
  let data: Uint8Array;
  try {
    data = source === "-" ? await readAll(io.stdin) : await Deno.readFile(source);
  } catch (error) {
    const wrapped = new Error(`Cannot read ${source}: ${errorMessage(error)}`, { cause: error });
    return await fail(wrapped, failureReport(wrapped, target));
  }
  const paths = resolvePaths((name) => io.env(name));
  const identities = openIdentityStore(paths);
  const identity = typeof values.identity === "string"
    ? await namedIdentity(identities, values.identity)
    // Titan URLs use the identity of the same gemini:// URL.
    : await identities.forUrl(new URL(target.replace(/^titan:/i, "gemini:")));
  const knownHosts = openKnownHosts(paths);
  let trust: TrustReport | undefined;
  let presented: CertificateInfo | undefined;
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
        presented = certificate;
        const hooks = {
          onWarning: (message: string) => void io.stderr.write(`gemini get: warning: ${message}\n`),
        };
        await checkServerCertificate(host, port, certificate, { mode: tofu, hooks });
        trust = await assessTrust(knownHosts, host, port, certificate, {
          mode: tofu,
          trustNew: values["trust-new"] === true,
          hooks,
        });
      },
    });
  } catch (error) {
    const report = failureReport(error, target);
    report.certificate ??= certificateJson(presented);
    if (trust && !report.trust) report.trust = trustJson(trust, presented);
    report.error = { code: errorCode(error), message: errorMessage(error) };
    return await fail(error, report);
  }
  const kind = Math.floor(result.status / 10);
  // A 3x is the usual answer to a successful Titan upload (it points to the new page).
  const exit = kind === 3 ? 0 : exitCodeFor(result.status);
  if (json) {
    await io.stdout.write(formatReport(uploadReport(result, trust)));
    return exit;
  }
  const header = result.meta === ""
    ? `${result.status}\r\n`
    : `${result.status} ${result.meta}\r\n`;
  if (values.include || values.head) await io.stdout.write(header);
  if (kind === 2) {
    if (!values.head) await io.stdout.write(result.body);
    return exit;
  }
  if (kind === 3) {
    if (!values.include && !values.head) await io.stdout.write(`${result.meta}\n`);
    return exit;
  }
  if (!values.include && !values.head) {
    await io.stderr.write(
      `gemini get: upload to ${target}: ${result.status} ${statusText(result.status)}` +
        `${result.meta ? `: ${safeForTerminal(result.meta)}` : ""}\n`,
    );
  }
  return exit;
}
