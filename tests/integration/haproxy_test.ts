/**
 * Behind a load balancer: Debian's HAProxy in TCP mode with `send-proxy-v2` in front of two
 * `gemini serve --proxy-protocol` instances on loopback. HAProxy connects to the instances
 * from 127.0.0.2; the client connects from 127.0.0.1. Both instances must serve, and their
 * access logs must name the client (127.0.0.1), not HAProxy (127.0.0.2).
 *
 * HAProxy is a real peer that .ci/run installs: this test fails, loudly, where it is missing.
 */

import tls from "node:tls";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { peerPort } from "../_helpers/ports.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const decoder = new TextDecoder();

interface Started {
  child: Deno.ChildProcess;
  /** Everything the process wrote to stdout so far (the access log for gemini serve). */
  stdout: () => string;
  stderr: () => string;
}

function collect(stream: ReadableStream<Uint8Array>): () => string {
  let text = "";
  (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  return () => text;
}

function spawn(cmd: string, args: string[], env: Record<string, string> = {}): Started {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  return { child, stdout: collect(child.stdout), stderr: collect(child.stderr) };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function stop(started: Started): Promise<void> {
  try {
    started.child.kill("SIGTERM");
  } catch {
    return; // already exited
  }
  const done = await Promise.race([
    started.child.status.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  if (!done) {
    started.child.kill("SIGKILL");
    await started.child.status;
  }
}

async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

function fetchOnce(port: number, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      rejectUnauthorized: false,
    });
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no answer through HAProxy within 10 s"));
    }, 10_000);
    socket.on("secureConnect", () => socket.write(`${url}\r\n`));
    socket.on("data", (chunk: Uint8Array) => (text += decoder.decode(chunk)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function haproxyPath(): Promise<string> {
  for (const path of ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // try the next
    }
  }
  const which = await new Deno.Command("sh", {
    args: ["-c", "command -v haproxy"],
    stdout: "piped",
  })
    .output();
  const found = decoder.decode(which.stdout).trim();
  if (which.success && found) return found;
  throw new Error(
    "HAProxy is not installed: this test needs Debian's haproxy (apt-get install haproxy; " +
      ".ci/run installs it)",
  );
}

Deno.test("gemini serve --proxy-protocol behind HAProxy send-proxy-v2 logs the original client", async () => {
  const haproxy = await haproxyPath();
  const dir = await Deno.makeTempDir({ prefix: "gemini-haproxy-" });
  const started: Started[] = [];
  try {
    const capsule = join(dir, "capsule");
    await Deno.mkdir(capsule);
    await Deno.writeTextFile(join(capsule, "index.gmi"), "# Behind HAProxy\n");
    const front = peerPort();
    const config = join(dir, "serve.toml");
    await Deno.writeTextFile(
      config,
      [
        `listen = ["127.0.0.1:0"]`,
        // Request URLs name HAProxy's port, not the instance's.
        `public_port = ${front}`,
        "workers = 1",
        "proxy_protocol = true",
        `proxy_from = ["127.0.0.2"]`,
        "",
        "[[host]]",
        `name = "localhost"`,
        `root = "${capsule}"`,
        "",
      ].join("\n"),
    );
    // Two instances (the second reuses the certificate the first generated in GEMINI_HOME,
    // as instances behind one balancer share a certificate).
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const instance = spawn(join(ROOT, "gemini"), ["serve", "--config", config], {
        GEMINI_HOME: join(dir, "home"),
      });
      started.push(instance);
      const port = await waitFor(
        `instance ${i} to listen (stderr so far: ${instance.stderr()})`,
        () => {
          const m = /listening on 127\.0\.0\.1:(\d+)\n/.exec(instance.stderr());
          return m ? Number(m[1]) : undefined;
        },
        60_000,
      );
      ports.push(port);
    }
    const haproxyConfig = join(dir, "haproxy.cfg");
    await Deno.writeTextFile(
      haproxyConfig,
      [
        "global",
        "  maxconn 64",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend gemini",
        `  bind 127.0.0.1:${front}`,
        "  default_backend capsules",
        "backend capsules",
        "  balance roundrobin",
        ...ports.map((p, i) => `  server s${i} 127.0.0.1:${p} send-proxy-v2 source 127.0.0.2`),
        "",
      ].join("\n"),
    );
    const balancer = spawn(haproxy, ["-db", "-f", haproxyConfig]);
    started.push(balancer);
    let balancerExited = false;
    balancer.child.status.then(() => (balancerExited = true));
    // A generous bound: it only stops a hang, and a loaded CI machine may start slowly.
    const deadline = Date.now() + 60_000;
    while (!(await portOpen(front))) {
      if (balancerExited || Date.now() > deadline) {
        const why = balancerExited ? "it exited" : "not within 60 s";
        throw new Error(`HAProxy did not listen on ${front} (${why}): ${balancer.stderr()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    for (let i = 0; i < 6; i++) {
      const text = await fetchOnce(front, `gemini://localhost:${front}/`);
      assertEquals(text, "20 text/gemini\r\n# Behind HAProxy\n");
    }

    // Stop the instances first so that their access logs are complete.
    await Promise.all(started.slice(0, 2).map(stop));
    const logs = started.slice(0, 2).map((s) => s.stdout().split("\n").filter(Boolean));
    for (const [i, lines] of logs.entries()) {
      assert(lines.length > 0, `instance ${i} served nothing; its stderr: ${started[i].stderr()}`);
      for (const line of lines) {
        const ip = line.split(" ")[1];
        assertEquals(ip, "127.0.0.1", `instance ${i} logged ${JSON.stringify(line)}`);
      }
    }
    assertEquals(logs[0].length + logs[1].length, 6);
  } finally {
    for (const s of started.reverse()) await stop(s);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
