/**
 * The ClientHello the node listener reads itself before any TLS object exists: the SNI
 * name, the highest version offered, and what it refuses (fragments, garbage, oversize).
 */

import { assertEquals } from "../_helpers/assert.ts";
import { _scanClientHello, MAX_CLIENT_HELLO_BYTES } from "../../lib/tls/_client_hello.ts";
import { captureClientHello, tls11ClientHello } from "../../bench/soak/hello.ts";

Deno.test("_scanClientHello() reads the SNI name and TLS 1.3 from node:tls's ClientHello", async () => {
  const hello = await captureClientHello("capsule.example");
  const scan = _scanClientHello(hello);
  assertEquals(scan, {
    status: "hello",
    serverName: "capsule.example",
    maxVersion: 0x0304,
    length: hello.length,
  });
});

Deno.test("_scanClientHello() sees a TLS 1.1-only hello as version 0x0302", () => {
  const scan = _scanClientHello(tls11ClientHello("old.example"));
  assertEquals(scan.status === "hello" && [scan.serverName, scan.maxVersion], [
    "old.example",
    0x0302,
  ]);
});

Deno.test("_scanClientHello() waits for every byte, also across records, at each length", async () => {
  const hello = await captureClientHello("a.example");
  for (let n = 0; n < hello.length; n++) {
    assertEquals(_scanClientHello(hello.subarray(0, n)).status, "incomplete", `at ${n} bytes`);
  }
  // The same handshake message split over two records.
  const body = hello.subarray(5);
  const cut = 100;
  const split = new Uint8Array(hello.length + 5);
  split.set([22, 3, 1, cut >> 8, cut & 255]);
  split.set(body.subarray(0, cut), 5);
  const rest = body.length - cut;
  split.set([22, 3, 1, rest >> 8, rest & 255], 5 + cut);
  split.set(body.subarray(cut), 10 + cut);
  for (let n = 0; n < split.length; n++) {
    assertEquals(_scanClientHello(split.subarray(0, n)).status, "incomplete", `split at ${n}`);
  }
  const scan = _scanClientHello(split);
  assertEquals(scan.status === "hello" && [scan.serverName, scan.length], [
    "a.example",
    split.length,
  ]);
});

Deno.test("_scanClientHello() refuses what is not a ClientHello, and oversize records", () => {
  const text = new TextEncoder().encode("gemini://localhost/\r\n");
  assertEquals(_scanClientHello(text).status, "invalid");
  assertEquals(_scanClientHello(new Uint8Array([22, 3, 1, 0, 0])).status, "invalid"); // empty record
  const big = MAX_CLIENT_HELLO_BYTES + 1;
  assertEquals(_scanClientHello(new Uint8Array([22, 3, 1, big >> 8, big & 255])).status, "invalid");
  // A handshake record whose message is not a ClientHello (a ServerHello, type 2).
  assertEquals(_scanClientHello(new Uint8Array([22, 3, 3, 0, 4, 2, 0, 0, 0])).status, "invalid");
  // A ClientHello whose body is cut short inside its declared length.
  assertEquals(
    _scanClientHello(new Uint8Array([22, 3, 3, 0, 6, 1, 0, 0, 2, 3, 3])).status,
    "invalid",
  );
});
