/**
 * serve() with `proxyProtocol` on a listener: handlers, the access log and the per-IP rate
 * limit see the client named by the PROXY header, not the load balancer.
 */

import tls from "node:tls";
import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { AccessLog } from "../../lib/server/access_log.ts";
import { formatProxyHeader } from "../../lib/server/proxy_protocol.ts";
import { success } from "../../lib/server/reply.ts";
import { cgiHandler } from "../../lib/server/cgi.ts";
import { fetchWithPreface, PIPELINE_TEST, startServer } from "./_harness.ts";

const DESTINATION = { hostname: "127.0.0.1", port: 1965 };

Deno.test("serve() with proxyProtocol gives handlers and the access log the original client", async () => {
  const lines: string[] = [];
  const s = await startServer(
    (request) =>
      success(`you are ${request.remoteAddress.hostname}:${request.remoteAddress.port}\n`),
    {
      ...PIPELINE_TEST,
      listen: [{ hostname: "127.0.0.1", port: 0, proxyProtocol: true }],
      accessLog: new AccessLog({ write: (line) => void lines.push(line) }),
    },
  );
  try {
    for (const version of [1, 2] as const) {
      const header = formatProxyHeader(
        version,
        { hostname: "198.51.100.20", port: 4242 },
        DESTINATION,
      );
      const text = await fetchWithPreface(s.port, header, "gemini://localhost/");
      assertEquals(text, "20 text/gemini; charset=utf-8\r\nyou are 198.51.100.20:4242\n");
    }
  } finally {
    await s.close();
  }
  // The access log is written once each connection has closed: read it after shutdown.
  assertEquals(lines.length, 2);
  for (const line of lines) assertStringIncludes(line, " 198.51.100.20 ");
});

Deno.test("serve() with proxyProtocol rate-limits the original clients separately", async () => {
  const s = await startServer(() => success("ok\n"), {
    ...PIPELINE_TEST,
    listen: [{ hostname: "127.0.0.1", port: 0, proxyProtocol: true }],
    limits: { rate: { burst: 2, perSecond: 0.001 }, ban: false },
  });
  try {
    const statuses = async (ip: string, n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const header = formatProxyHeader(2, { hostname: ip, port: 5000 + i }, DESTINATION);
        out.push((await fetchWithPreface(s.port, header, "gemini://localhost/")).slice(0, 2));
      }
      return out;
    };
    // Every connection comes from 127.0.0.1 (the "load balancer"), yet each client has its
    // own bucket of 2.
    assertEquals(await statuses("192.0.2.1", 3), ["20", "20", "44"]);
    assertEquals(await statuses("192.0.2.2", 3), ["20", "20", "44"]);
  } finally {
    await s.close();
  }
});

Deno.test("serve() with proxyProtocol refuses a connection without a header", async () => {
  const s = await startServer(() => success("ok\n"), {
    ...PIPELINE_TEST,
    listen: [{ hostname: "127.0.0.1", port: 0, proxyProtocol: true }],
  });
  try {
    const text = await new Promise<string>((resolve) => {
      const socket = tls.connect({ port: s.port, host: "127.0.0.1", rejectUnauthorized: false });
      let out = "";
      socket.on("data", (chunk: Uint8Array) => (out += new TextDecoder().decode(chunk)));
      socket.on("secureConnect", () => socket.write("gemini://localhost/\r\n"));
      socket.on("close", () => resolve(out));
      socket.on("error", () => resolve("refused"));
    });
    assertEquals(text.startsWith("20"), false);
  } finally {
    await s.close();
  }
});

Deno.test("serve() with proxyProtocol gives CGI programs the original client as REMOTE_ADDR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "proxy-cgi-" });
  const program = `${dir}/whoami.sh`;
  await Deno.writeTextFile(
    program,
    `#!/bin/sh\nprintf '20 text/plain\\r\\n%s %s\\n' "$REMOTE_ADDR" "$REMOTE_HOST"\n`,
  );
  await Deno.chmod(program, 0o755);
  const s = await startServer(cgiHandler({ program }), {
    ...PIPELINE_TEST,
    listen: [{ hostname: "127.0.0.1", port: 0, proxyProtocol: true }],
  });
  try {
    const header = formatProxyHeader(2, { hostname: "203.0.113.7", port: 6000 }, DESTINATION);
    const text = await fetchWithPreface(s.port, header, "gemini://localhost/whoami");
    assertEquals(text, "20 text/plain\r\n203.0.113.7 203.0.113.7\n");
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
