/**
 * The floor for the server benchmark: a bare accept loop on lib/tls `listen` that reads the
 * request line and writes the requested file, with none of the server's checks, limits or
 * logs. `make bench-server` runs it next to `gemini serve` so the report shows how much of
 * the server's cost is the TLS stack itself.
 *
 *     deno run -A bench/bare_server.ts --port 1965 --cert c.pem --key k.pem --root dir \
 *       [--backend deno|node] [--client-certificates]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { listen, type ListenerBackend, type ServerConnection } from "../lib/tls/listen.ts";

const encoder = new TextEncoder();

async function serveOne(conn: ServerConnection, root: string): Promise<void> {
  try {
    await conn.handshake();
    let text = "";
    for (let i = 0; i < 64 && !text.includes("\n"); i++) {
      const chunk = await conn.read();
      if (!chunk) break;
      text += new TextDecoder().decode(chunk);
    }
    const path = decodeURIComponent(new URL(text.trim()).pathname);
    if (path.includes("..")) {
      await conn.write("59 Bad path\r\n");
    } else if (path.startsWith("/private/") && !conn.peerCertificate) {
      await conn.write("60 Certificate required\r\n");
    } else {
      const body = await Deno.readFile(join(root, path));
      const meta = path.endsWith(".gmi") ? "text/gemini" : "application/octet-stream";
      const head = encoder.encode(`20 ${meta}\r\n`);
      const all = new Uint8Array(head.length + body.length);
      all.set(head);
      all.set(body, head.length);
      await conn.write(all);
    }
    await conn.close();
  } catch {
    conn.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      root: { type: "string" },
      backend: { type: "string", default: "deno" },
      "client-certificates": { type: "boolean", default: false },
    },
  });
  const listener = await listen({
    port: Number(values.port),
    hostname: "127.0.0.1",
    certificates: [{
      cert: await Deno.readTextFile(values.cert!),
      key: await Deno.readTextFile(values.key!),
    }],
    backend: values.backend as ListenerBackend,
    requestClientCertificate: values["client-certificates"],
  });
  Deno.addSignalListener("SIGTERM", () => listener.close());
  for await (const conn of listener) serveOne(conn, values.root!);
}

if (import.meta.main) await main();
