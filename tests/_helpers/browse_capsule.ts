/**
 * A small test capsule on 127.0.0.1 for the browser's end-to-end tests, served with
 * `lib/tls` `listen`: pages with links, input (10 and 11), a binary file, a long page for
 * search, preformatted text with tabs and wide rows, pages of 9 and 25 links, a long
 * question, redirects to another host, links to gopher and mailto, and a slow page. It
 * records every request line, and can be restarted on the same port with a new key (a
 * certificate change).
 */

import { generateCertificate } from "../../lib/tls/certificate.ts";
import { listen, type Listener, type ServerConnection } from "../../lib/tls/listen.ts";

/** The bytes of `/file.bin`. */
export const BINARY = new Uint8Array(Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) % 256));

/** The index page. */
export const INDEX = [
  "# Test capsule",
  "",
  "Welcome to the capsule.",
  "=> /one.gmi First page",
  "=> /two.gmi Second page",
  "=> /ask Ask my name",
  "=> /secret Secret door",
  "=> /file.bin Binary file",
  "=> /long.gmi Long page",
  "",
].join("\n");

const LONG = [
  "# Long page",
  ...Array.from({ length: 80 }, (_, i) => `Filler line number ${i + 1}.`),
  "The hidden word is platypus.",
  ...Array.from({ length: 20 }, (_, i) => `Trailing line ${i + 1}.`),
  "",
].join("\n");

/** A line with tabs, drawn below a longer line when the page scrolls by one row. */
export const TAB_LINE = "a\tb\tc";
/** A preformatted row wider than any screen of the tests. */
export const WIDE_LINE = Array.from(
  { length: 120 },
  (_, i) => "0123456789abcdefghijklmnopqrstuvwxyz"[i % 36],
).join("") + "END";

/** Preformatted text: tabs and a row wider than the screen. */
export const PRE = [
  "# Preformatted",
  "X".repeat(38),
  "```",
  TAB_LINE,
  WIDE_LINE,
  "```",
  "After the block.",
  ...Array.from({ length: 30 }, (_, i) => `Filler line ${i + 1}.`),
  "",
].join("\n");

/** The 140-character question of `/question` (status 10). */
export const QUESTION = "Before we go on, please tell us in a few words which of the " +
  "capsules you visited this week you liked best, and why you liked it so much?";

function links(n: number): string {
  return [
    `# ${n} links`,
    "",
    ...Array.from({ length: n }, (_, i) => `=> /n/${i + 1} Link number ${i + 1}`),
    "",
  ].join("\n");
}

/** The response for a request line. */
export function respond(line: string): { header: string; body?: Uint8Array | string } {
  let url: URL;
  try {
    url = new URL(line);
  } catch {
    return { header: "59 Bad request" };
  }
  const query = url.search.slice(1);
  switch (url.pathname) {
    case "":
    case "/":
      return { header: "20 text/gemini", body: INDEX };
    case "/one.gmi":
      return { header: "20 text/gemini", body: "# Page one\n\n=> / Home\n" };
    case "/two.gmi":
      return {
        header: "20 text/gemini",
        body: "# Page two\n\nYou followed link two.\n=> / Home\n",
      };
    case "/ask":
      if (query === "") return { header: "10 What is your name?" };
      return { header: "20 text/gemini", body: `# Hello ${decodeURIComponent(query)}\n` };
    case "/secret":
      if (query === "") return { header: "11 Password" };
      return {
        header: "20 text/gemini",
        body: `# Door open\n\nPassword length ${decodeURIComponent(query).length}.\n`,
      };
    case "/file.bin":
      return { header: "20 application/octet-stream", body: BINARY };
    case "/long.gmi":
      return { header: "20 text/gemini", body: LONG };
    case "/pre.gmi":
      return { header: "20 text/gemini", body: PRE };
    case "/nine.gmi":
      return { header: "20 text/gemini", body: links(9) };
    case "/many.gmi":
      return { header: "20 text/gemini", body: links(25) };
    case "/question":
      if (query === "") return { header: `10 ${QUESTION}` };
      return {
        header: "20 text/gemini",
        body: `# Thanks\n\nYou said: ${decodeURIComponent(query)}\n`,
      };
    case "/elsewhere.gmi":
      return {
        header: "20 text/gemini",
        body: [
          "# Elsewhere",
          "=> /away Another host",
          `=> gopher://127.0.0.1:${url.port}/1/ A gopher hole`,
          "=> mailto:someone@example.org Write to us",
          "=> /far Far away",
          "=> /question A long question",
          "=> https://example.com/ The web",
          "",
        ].join("\n"),
      };
    case "/away":
      return { header: `30 gemini://localhost:${url.port}/one.gmi` };
    case "/far":
      return {
        header: `30 gemini://localhost:${url.port}/${"a-very-long-path-segment/".repeat(10)}end`,
      };
    case "/slow":
      return { header: "20 text/gemini", body: "# Slow page\n\nIt took a while.\n" };
    default:
      if (url.pathname.startsWith("/n/")) {
        return { header: "20 text/gemini", body: `# Number ${url.pathname.slice(3)}\n` };
      }
      return { header: "51 Not found" };
  }
}

async function serveOne(
  conn: ServerConnection,
  requests: string[],
  slowMs: number,
): Promise<void> {
  try {
    await conn.handshake();
    let buf = new Uint8Array(0);
    for (let i = 0; i < 100; i++) {
      const chunk = await conn.read();
      if (chunk === null) break;
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      if (buf.includes(10) || buf.length > 2048) break;
    }
    const line = new TextDecoder().decode(buf).split(/\r?\n/)[0];
    requests.push(line);
    if (line.endsWith("/slow")) await new Promise((r) => setTimeout(r, slowMs));
    const { header, body } = respond(line);
    await conn.write(header + "\r\n");
    if (body !== undefined) await conn.write(body);
    await conn.close();
  } catch {
    conn.destroy();
  }
}

/** A running capsule. */
export interface Capsule {
  /** The port. */
  port: number;
  /** Every request line received, in order. */
  requests: string[];
  /** Stops listening (and drops open connections as they finish). */
  close(): void;
}

/**
 * Starts the capsule on `port` (0: any) with a fresh certificate for localhost; `/slow`
 * answers after `slowMs` milliseconds.
 */
export async function startCapsule(port = 0, slowMs = 2000): Promise<Capsule> {
  const { cert, key } = await generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
  });
  const listener: Listener = await listen({
    port,
    hostname: "127.0.0.1",
    certificates: [{ cert, key }],
    backend: "node",
  });
  const requests: string[] = [];
  (async () => {
    for (;;) {
      const conn = await listener.accept().catch(() => null);
      if (conn === null) break;
      serveOne(conn, requests, slowMs);
    }
  })();
  return { port: listener.addr.port, requests, close: () => listener.close() };
}

if (import.meta.main) {
  const capsule = await startCapsule(Number(Deno.args[0] ?? 0));
  await Deno.stdout.write(new TextEncoder().encode(`listening on ${capsule.port}\n`));
}
