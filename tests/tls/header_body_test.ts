import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { DeadlineError } from "../../lib/tls/deadline.ts";
import {
  type ChunkSource,
  IncompleteHeaderError,
  readHeaderThenBody,
  type ScannedHeader,
} from "../../lib/tls/header_body.ts";
import { scanResponseHeader } from "../../lib/protocol/response.ts";

const encoder = new TextEncoder();

/** A source that yields `parts` (then the end) and counts the reads. */
function sourceOf(...parts: (string | Uint8Array | Error)[]): ChunkSource & { reads: number } {
  const queue = [...parts];
  return {
    reads: 0,
    read(): Promise<Uint8Array | null> {
      this.reads++;
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve(typeof next === "string" ? encoder.encode(next) : next);
    },
  };
}

/** A scan for a header ending with LF; throws on a NUL byte. */
function lineScan(bytes: Uint8Array): ScannedHeader<string> | null {
  if (bytes.includes(0)) throw new SyntaxError("NUL in the header");
  const lf = bytes.indexOf(10);
  if (lf < 0) return null;
  return { header: new TextDecoder().decode(bytes.subarray(0, lf)), bodyStart: lf + 1 };
}

async function text(body: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(body).text();
}

Deno.test("readHeaderThenBody() joins a header split over chunks; the body starts with the rest", async () => {
  const source = sourceOf("20 te", "xt/gemini\r", "\nfirst ", "second");
  const { header, body } = await readHeaderThenBody(source, scanResponseHeader);
  assertEquals([header.status, header.meta], [20, "text/gemini"]);
  assertEquals(await text(body), "first second");
});

Deno.test("readHeaderThenBody() reads the body from the source when nothing came with the header", async () => {
  const source = sourceOf("h\n", "a", "b");
  const { header, body } = await readHeaderThenBody(source, lineScan);
  assertEquals(header, "h");
  assertEquals(source.reads, 1, "nothing is read before the body's reader asks");
  assertEquals(await text(body), "ab");
  assertEquals(source.reads, 4);
});

Deno.test("readHeaderThenBody() says how much arrived when the source ends before the header", async () => {
  const none = await assertRejects(
    () => readHeaderThenBody(sourceOf(), lineScan),
    IncompleteHeaderError,
  );
  assertEquals(none.received, 0);
  const some = await assertRejects(
    () => readHeaderThenBody(sourceOf("20 text", "/plain"), lineScan),
    IncompleteHeaderError,
    "(13 bytes)",
  );
  assertEquals(some.received, 13);
});

Deno.test("readHeaderThenBody() passes on what the scan throws", async () => {
  await assertRejects(
    () => readHeaderThenBody(sourceOf("20 a", new Uint8Array([0]), "\n"), lineScan),
    SyntaxError,
    "NUL in the header",
  );
});

Deno.test("readHeaderThenBody() caps the bytes read without a header at maxHeaderBytes", async () => {
  // 9 bytes without a line end: one below the cap, so it reads on and finds the header.
  const under = await readHeaderThenBody(sourceOf("123456789", "\nrest"), lineScan, {
    maxHeaderBytes: 10,
  });
  assertEquals(under.header, "123456789");
  // A header that completes exactly at the cap is still found: the scan comes first.
  const at = await readHeaderThenBody(sourceOf("12345678", "9\n"), lineScan, {
    maxHeaderBytes: 10,
  });
  assertEquals(at.header, "123456789");
  // 10 bytes without a line end: refused.
  await assertRejects(
    () => readHeaderThenBody(sourceOf("12345", "67890", "\n"), lineScan, { maxHeaderBytes: 10 }),
    RangeError,
    "within the first 10 bytes",
  );
});

Deno.test("readHeaderThenBody() gives up at the deadline or when its signal aborts", async () => {
  const stalled: ChunkSource = { read: () => new Promise(() => {}) };
  await assertRejects(
    () =>
      readHeaderThenBody(stalled, lineScan, {
        deadline: { at: Date.now() + 20, message: "no header in time" },
      }),
    DeadlineError,
    "no header in time",
  );
  const controller = new AbortController();
  const reading = readHeaderThenBody(stalled, lineScan, {
    deadline: { signal: controller.signal },
  });
  controller.abort(new Error("stop"));
  await assertRejects(() => reading, Error, "stop");
});

Deno.test("readHeaderThenBody() reports the first chunk once", async () => {
  let firsts = 0;
  await readHeaderThenBody(sourceOf("a", "b", "\n"), lineScan, { onFirstChunk: () => firsts++ });
  assertEquals(firsts, 1);
});

Deno.test("the body runs onEnd at the end, and fails with what it throws", async () => {
  const ended: string[] = [];
  const ok = await readHeaderThenBody(sourceOf("h\nx"), lineScan, {
    onEnd: () => void ended.push("end"),
  });
  assertEquals(await text(ok.body), "x");
  assertEquals(ended, ["end"]);
  const cut = await readHeaderThenBody(sourceOf("h\nx"), lineScan, {
    onEnd: () => {
      throw new Error("cut short");
    },
  });
  const reader = cut.body.getReader();
  assertEquals(new TextDecoder().decode((await reader.read()).value), "x");
  await assertRejects(() => reader.read(), Error, "cut short");
});

Deno.test("the body runs onError when a read fails, then fails with that error", async () => {
  const seen: unknown[] = [];
  const failure = new Error("connection reset");
  const { body } = await readHeaderThenBody(sourceOf("h\n", "a", failure), lineScan, {
    onError: (error) => void seen.push(error),
    onEnd: () => void seen.push("end"),
  });
  const reader = body.getReader();
  assertEquals(new TextDecoder().decode((await reader.read()).value), "a");
  const error = await assertRejects(() => reader.read(), Error, "connection reset");
  assert(error === failure);
  assertEquals(seen, [failure]);
});

Deno.test("the body runs onCancel with the reason when its reader cancels", async () => {
  const reasons: unknown[] = [];
  const { body } = await readHeaderThenBody(sourceOf("h\nabc", "def"), lineScan, {
    onCancel: (reason) => void reasons.push(reason),
    onEnd: () => void reasons.push("end"),
  });
  await body.cancel("enough");
  assertEquals(reasons, ["enough"]);
});
