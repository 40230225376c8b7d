import { assert, assertEquals } from "../_helpers/assert.ts";
import { localResponse } from "../../lib/client/local_response.ts";
import { parseMediaType } from "../../lib/protocol/mime.ts";

Deno.test("localResponse() streams its body once, with the fetched response's shape", async () => {
  const body = new TextEncoder().encode("caf\u00e9");
  const response = localResponse({
    url: new URL("data:text/plain;charset=utf-8,caf%C3%A9"),
    status: 20,
    meta: "text/plain;charset=utf-8",
    mediaType: parseMediaType("text/plain;charset=utf-8"),
    body,
  });
  assertEquals([response.status, response.meta, response.redirects], [
    20,
    "text/plain;charset=utf-8",
    [],
  ]);
  assertEquals([response.tls, response.certificate, response.trust], [
    undefined,
    undefined,
    undefined,
  ]);
  assertEquals(response.closeNotify, true);
  assertEquals(await response.text(), "caf\u00e9");
  assertEquals(response.bodyBytes, 5);
  assertEquals([response.timing.connectMs, response.timing.tlsMs, response.timing.firstByteMs], [
    0,
    0,
    0,
  ]);
});

Deno.test("localResponse() without a body is empty; totalMs counts from startedAt", async () => {
  const startedAt = performance.now() - 5_000;
  const redirects = [new URL("gemini://example.org/old")];
  const response = localResponse({
    url: new URL("gemini://example.org/old"),
    status: 31,
    meta: "gemini://example.org/new",
    redirects,
    retries: { count: 1, waitedSeconds: 2 },
    startedAt,
  });
  assertEquals((await response.bytes()).length, 0);
  assertEquals(response.redirects, redirects);
  assertEquals(response.retries, { count: 1, waitedSeconds: 2 });
  assert(response.timing.totalMs >= 5_000, `totalMs ${response.timing.totalMs}`);
});
