/**
 * `gemini serve --workers N` as users run it (in process, through runServe): the workers
 * share the port and one limit table, so a per-IP rate limit holds across them; the
 * access log of every worker reaches the CLI's stdout; --proxy-protocol works through them.
 */

import { type ServeIo, whileServing } from "./_serve.ts";
import net from "node:net";
import tls from "node:tls";
import { join } from "node:path";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { waitFor } from "../_helpers/wait.ts";
import { formatProxyHeader } from "../../lib/server/proxy_protocol.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";
import { fetchUrl } from "../server/_harness.ts";

async function withServer(
  config: string,
  extraArgs: string[],
  body: (port: number, io: ServeIo) => Promise<void>,
): Promise<ServeIo> {
  const home = await Deno.makeTempDir({ prefix: "gemini-workers-" });
  const file = join(home, "serve.toml");
  await Deno.mkdir(join(home, "capsule"));
  await Deno.writeTextFile(join(home, "capsule", "index.gmi"), "# Workers\n");
  await Deno.writeTextFile(file, config.replace("CAPSULE", join(home, "capsule")));
  const io = memoryIo({ env: { GEMINI_HOME: home } });
  try {
    await whileServing(["--config", file, ...extraArgs], io, body);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
  return io;
}

const CONFIG = [
  `listen = ["127.0.0.1:0"]`,
  "[limits]",
  "rate_burst = 5",
  "rate_per_second = 0.001",
  "connection_rate = false",
  "ban = false",
  "[[host]]",
  `name = "localhost"`,
  `root = "CAPSULE"`,
  "",
].join("\n");

Deno.test("gemini serve --workers 3: three workers do not multiply a per-IP rate limit", async () => {
  const io = await withServer(CONFIG, ["--workers", "3"], async (port) => {
    const statuses: number[] = [];
    // 24 connections from ephemeral ports: SO_REUSEPORT spreads them over the 3 workers
    // (all landing on one worker has a probability of about 3 × 3^-24).
    for (let i = 0; i < 24; i++) {
      statuses.push((await fetchUrl(port, `gemini://localhost:${port}/`)).status);
    }
    assertEquals(statuses.filter((s) => s === 20).length, 5, statuses.join(" "));
    assertEquals(statuses.filter((s) => s === 44).length, 19, statuses.join(" "));
  });
  assert(io.stderr.text().includes("3 workers"), io.stderr.text());
  // Every worker's access lines came back to the CLI's stdout (they may trail the answers).
  const accessLines = (): string[] => io.stdout.text().split("\n").filter(Boolean);
  await waitFor(() => accessLines().length >= 24, "24 access-log lines");
  const lines = accessLines();
  assertEquals(lines.filter((l) => / 20 /.test(l)).length, 5, lines.join("\n"));
  assertEquals(lines.filter((l) => / 44 /.test(l)).length, 19, lines.join("\n"));
});

Deno.test("gemini serve --workers 1 serves in process, with the same limit", async () => {
  await withServer(CONFIG, ["--workers", "1"], async (port) => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await fetchUrl(port, `gemini://localhost:${port}/`)).status);
    }
    assertEquals(statuses, [20, 20, 20, 20, 20, 44, 44]);
  });
});

Deno.test("gemini serve rejects --workers 0 and --proxy-from without --proxy-protocol", async () => {
  for (
    const [args, message] of [
      [["--workers", "0"], "--workers 0 is not a number from 1 to 256"],
      [["--proxy-from", "10.0.0.0/8"], "--proxy-from needs --proxy-protocol"],
    ] as const
  ) {
    const io = memoryIo({ env: { GEMINI_HOME: "/nonexistent" } });
    let error: unknown;
    try {
      await runServe([...args], io, new AbortController().signal);
    } catch (e) {
      error = e;
    }
    assert(error instanceof Error && error.message.includes(message), String(error));
  }
});

Deno.test("gemini serve --proxy-protocol --proxy-from with 2 workers logs the address from the header", async () => {
  const io = await withServer(
    CONFIG.replace("rate_burst = 5", "rate_burst = 100"),
    ["--workers", "2", "--proxy-protocol", "--proxy-from", "127.0.0.0/8"],
    async (port) => {
      for (const version of [1, 2] as const) {
        const header = formatProxyHeader(
          version,
          { hostname: "198.51.100.9", port: 777 },
          { hostname: "127.0.0.1", port },
        );
        const text = await new Promise<string>((resolve, reject) => {
          const raw = net.connect({ port, host: "127.0.0.1" }, () => {
            raw.write(header);
            const socket = tls.connect({
              socket: raw,
              rejectUnauthorized: false,
              servername: "localhost",
            });
            let out = "";
            socket.on("data", (chunk: Uint8Array) => (out += new TextDecoder().decode(chunk)));
            socket.on("secureConnect", () => socket.write(`gemini://localhost:${port}/\r\n`));
            socket.on("close", () => resolve(out));
            socket.on("error", reject);
          });
          raw.on("error", reject);
        });
        assertEquals(text, "20 text/gemini\r\n# Workers\n");
      }
      // Without a header the listener refuses the connection.
      const direct = await fetchUrl(port, `gemini://localhost:${port}/`).then(
        (r) => String(r.status),
        () => "refused",
      );
      assertEquals(direct, "refused");
    },
  );
  const lines = io.stdout.text().split("\n").filter(Boolean);
  assertEquals(lines.length, 2, lines.join("\n"));
  for (const line of lines) assertEquals(line.split(" ")[1], "198.51.100.9", line);
  assert(io.stderr.text().includes("PROXY header refused"), io.stderr.text());
});

Deno.test("gemini serve --workers 2 with the deno backend shares the port under --unstable-net, else serves on the node backend", async () => {
  const unstableNet = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
  const io = await withServer(
    CONFIG.replace(`listen = ["127.0.0.1:0"]`, `listen = ["127.0.0.1:0"]\nbackend = "deno"`),
    ["--workers", "2"],
    async (port) => {
      assertEquals((await fetchUrl(port, `gemini://localhost:${port}/`)).status, 20);
    },
  );
  const stderr = io.stderr.text();
  if (unstableNet) assert(stderr.includes("2 workers, deno TLS backend"), stderr);
  else {
    assert(stderr.includes("only with Deno's --unstable-net flag"), stderr);
    assert(stderr.includes("2 workers, node TLS backend"), stderr);
  }
});
