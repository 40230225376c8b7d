/**
 * A small test capsule on 127.0.0.1 for the browser's end-to-end tests, served with
 * `lib/tls` `listen`: pages with links, input (10 and 11), a binary file and a long page for
 * search. It can be restarted on the same port with a new key (a certificate change).
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
    default:
      return { header: "51 Not found" };
  }
}

async function serveOne(conn: ServerConnection): Promise<void> {
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
  /** Stops listening (and drops open connections as they finish). */
  close(): void;
}

/** Starts the capsule on `port` (0: any) with a fresh certificate for localhost. */
export async function startCapsule(port = 0): Promise<Capsule> {
  const { cert, key } = await generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
  });
  const listener: Listener = await listen({
    port,
    hostname: "127.0.0.1",
    certificates: [{ cert, key }],
    backend: "node",
  });
  (async () => {
    for (;;) {
      const conn = await listener.accept().catch(() => null);
      if (conn === null) break;
      serveOne(conn);
    }
  })();
  return { port: listener.addr.port, close: () => listener.close() };
}

if (import.meta.main) {
  const capsule = await startCapsule(Number(Deno.args[0] ?? 0));
  await Deno.stdout.write(new TextEncoder().encode(`listening on ${capsule.port}\n`));
}
