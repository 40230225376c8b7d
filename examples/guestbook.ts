/**
 * A guestbook capsule built with the library: visitors sign with a client certificate,
 * type their message at an input prompt, and see all entries, or only their own. Entries
 * are kept per identity (the SHA-256 of the certificate's public key, so a renewed
 * certificate with the same key stays the same author) in a JSON file, written atomically
 * under a file lock.
 *
 * Run: `deno run -A examples/guestbook.ts [--port 1965] [--file guestbook.json]`
 * (a throwaway certificate for localhost is generated at start).
 *
 * @example
 * ```ts
 * import { guestbook } from "./guestbook.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const app = guestbook({ file: `${dir}/guestbook.json` });
 * const request = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname, host: "localhost",
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * const home = await app.handler(request("gemini://localhost/"));
 * assert.equal(home.status, 20);
 * const sign = await app.handler(request("gemini://localhost/sign"));
 * assert.deepEqual(sign, { status: 60, meta: "Sign with a client certificate" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  atomicWriteFile,
  certificateRequired,
  gemtext,
  generateCertificate,
  input,
  redirect,
  Router,
  serve,
  withFileLock,
} from "../mod.ts";

/** One guestbook entry. */
export interface GuestbookEntry {
  /** SHA-256 of the author's SubjectPublicKeyInfo, hex. */
  author: string;
  /** The common name of the author's certificate, shown as the signature. */
  name: string;
  /** When it was written (ISO 8601). */
  time: string;
  /** The message. */
  message: string;
}

/** Options for {@linkcode guestbook}. */
export interface GuestbookOptions {
  /** The JSON file the entries are kept in (created on first entry). */
  file: string;
  /** Longest message, in characters. Default 500. */
  maxLength?: number;
}

async function load(file: string): Promise<GuestbookEntry[]> {
  try {
    const data = JSON.parse(await Deno.readTextFile(file));
    return Array.isArray(data) ? data : [];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function oneLine(text: string): string {
  // Gemtext is line-based: keep each entry on its own lines without markup surprises.
  return text.replace(/\r\n?/g, "\n").split("\n").map((l) => l.trimEnd()).join(" / ");
}

function render(title: string, entries: GuestbookEntry[]): string[] {
  const lines = [`# ${title}`, ""];
  if (entries.length === 0) lines.push("No entries yet.");
  for (const e of [...entries].reverse()) {
    lines.push(`## ${oneLine(e.name) || "anonymous"}, ${e.time.slice(0, 10)}`);
    lines.push(`> ${oneLine(e.message)}`, "");
  }
  return lines;
}

/**
 * The guestbook app: `/` lists every entry, `/sign` asks for a certificate and a message,
 * `/mine` lists the entries of the certificate presented.
 */
export function guestbook(options: GuestbookOptions): Router {
  const maxLength = options.maxLength ?? 500;
  return new Router()
    .on("/", async () =>
      gemtext(
        ...render("Guestbook", await load(options.file)),
        "=> /sign Sign the guestbook (needs a client certificate)",
        "=> /mine Your entries",
      ))
    .on("/sign", async (request) => {
      const cert = request.clientCertificate;
      if (!cert) return certificateRequired("Sign with a client certificate");
      const message = request.input?.trim();
      if (!message) return input(`Your message, ${cert.commonName ?? "stranger"}`);
      if (message.length > maxLength) {
        return input(`Too long (${message.length} characters, at most ${maxLength}); try again`);
      }
      await withFileLock(options.file, async () => {
        const entries = await load(options.file);
        entries.push({
          author: cert.spkiSha256,
          name: cert.commonName ?? "",
          time: new Date().toISOString(),
          message,
        });
        await atomicWriteFile(options.file, JSON.stringify(entries, null, 2) + "\n");
      });
      return redirect("/mine");
    })
    .on("/mine", async (request) => {
      const cert = request.clientCertificate;
      if (!cert) return certificateRequired("Show your certificate to see your entries");
      const mine = (await load(options.file)).filter((e) => e.author === cert.spkiSha256);
      return gemtext(...render("Your entries", mine), "=> / All entries");
    });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { port: { type: "string", default: "1965" }, file: { type: "string" } },
  });
  const file = values.file ?? "guestbook.json";
  const { cert, key } = await generateCertificate("localhost", { altNames: ["localhost"] });
  const server = await serve({
    handler: guestbook({ file }).handler,
    certificates: [{ cert, key }],
    listen: [{ hostname: "127.0.0.1", port: Number(values.port) }],
    hosts: ["localhost", "127.0.0.1"],
    requestClientCertificate: true,
  });
  const text = `guestbook on gemini://localhost:${server.addrs[0].port}/ (entries in ${file})\n`;
  await Deno.stdout.write(new TextEncoder().encode(text));
  Deno.addSignalListener("SIGINT", () => server.shutdown().then(() => Deno.exit(0)));
  await server.finished;
}
