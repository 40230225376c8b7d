/**
 * The one line reader of every prompt (cert's questions and passphrases, get's input and
 * passphrases, browse's line mode): line ends, raw-mode keys, no bytes lost between prompts,
 * hidden mode, and its bounds.
 */

import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import {
  isInterrupt,
  LineInput,
  lineInput,
  MAX_LINE_BYTES,
  readLine,
} from "../../lib/cli/prompt.ts";

/** A stream that delivers `chunks` one read at a time. */
function chunked(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(controller): void {
      if (i >= chunks.length) return controller.close();
      const chunk = chunks[i++];
      controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    },
  });
}

async function lines(input: LineInput, max = 20): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < max; i++) {
    const line = await input.readLine();
    out.push(line);
    if (line === null) break;
  }
  return out;
}

Deno.test("LineInput ends lines at LF, CR and CRLF, also when CRLF is split between reads", async () => {
  assertEquals(await lines(new LineInput(chunked("a\nb\rc\r\nd"))), ["a", "b", "c", "d", null]);
  assertEquals(await lines(new LineInput(chunked("a\r", "\nb\r", "c\n"))), ["a", "b", "c", null]);
  // Raw-mode Enter (CR alone) answers at once: the reader does not wait for a LF.
  const input = new LineInput(chunked("yes\r"));
  assertEquals(await input.readLine(), "yes");
  assertEquals(await input.readLine(), null);
  // An empty line is a line; only the end of input is null.
  assertEquals(await lines(new LineInput(chunked("\n\n"))), ["", "", null]);
  assertEquals(await lines(new LineInput(chunked())), [null]);
});

Deno.test("LineInput keeps the bytes after a newline for the next line (nothing lost)", async () => {
  const stream = chunked("first\nsecond\nthi", "rd\n");
  assertEquals(await lineInput(stream).readLine(), "first");
  assertEquals(await lineInput(stream).readLine(), "second");
  assertEquals(await lineInput(stream).readLine(), "third");
  assertEquals(await lineInput(stream).readLine(), null);
  // Between lines the stream is not locked.
  const other = chunked("x\ny\n");
  assertEquals(await lineInput(other).readLine(), "x");
  assertEquals(other.locked, false);
});

Deno.test("LineInput applies Backspace (DEL and BS) to whole characters", async () => {
  const input = new LineInput(chunked("abc\x7f\x7fd\n\x08x\npass\u{1F600}\x7fword\n"));
  assertEquals(await lines(input), ["ad", "x", "password", null]);
});

Deno.test("LineInput: Ctrl-D ends input on an empty line and ends a line otherwise", async () => {
  assertEquals(await lines(new LineInput(chunked("\x04more\n"))), [null]);
  const input = new LineInput(chunked("ab\x04cd\n"));
  assertEquals(await input.readLine(), "ab");
  assertEquals(await input.readLine(), "cd");
});

Deno.test("LineInput: Ctrl-C interrupts the line and drops what was typed", async () => {
  const input = new LineInput(chunked("secr", "et\x03next\n"));
  const error = await assertRejects(() => input.readLine(), Deno.errors.Interrupted);
  assertEquals(isInterrupt(error), true);
  assertEquals(isInterrupt(new Error("Interrupted")), false);
  assertEquals(await input.readLine(), "next");
});

Deno.test("LineInput decodes UTF-8 split between reads, invalid bytes as U+FFFD", async () => {
  const euro = new TextEncoder().encode("€");
  const input = new LineInput(chunked(euro.subarray(0, 1), euro.subarray(1), "\n", "\xff\n"));
  assertEquals(await input.readLine(), "€");
  assertEquals(await input.readLine(), "\u00ff"); // a string chunk is encoded as UTF-8
  const bad = new LineInput(chunked(new Uint8Array([0x61, 0xff, 0x0a])));
  assertEquals(await bad.readLine(), "a\uFFFD");
});

Deno.test("LineInput reads a line of MAX_LINE_BYTES and refuses a longer one", async () => {
  const exact = new LineInput(chunked("x".repeat(MAX_LINE_BYTES), "\n"));
  assertEquals((await exact.readLine())?.length, MAX_LINE_BYTES);
  const over = new LineInput(chunked("x".repeat(MAX_LINE_BYTES), "x", "\nafter\n"));
  await assertRejects(() => over.readLine(), RangeError);
  assertEquals(await over.readLine(), "after");
});

Deno.test("LineInput answers calls made at once in order", async () => {
  const input = new LineInput(chunked("1\n", "2\n", "3\n"));
  assertEquals(await Promise.all([input.readLine(), input.readLine(), input.readLine()]), [
    "1",
    "2",
    "3",
  ]);
});

Deno.test("readLine() hidden: raw mode on a terminal for the line, then a newline", async () => {
  const calls: boolean[] = [];
  const io = memoryIo({ stdin: "pw\nshown\n", terminal: true });
  io.setRaw = (raw) => void calls.push(raw);
  assertEquals(await readLine(io, { hidden: true }), "pw");
  assertEquals(calls, [true, false]);
  assertEquals(io.stderr.text(), "\n");
  assertEquals(await readLine(io), "shown");
  assertEquals(calls, [true, false]);
  assertEquals(io.stderr.text(), "\n");
});

Deno.test("readLine() hidden writes its newline where the prompt went, and leaves raw mode on Ctrl-C", async () => {
  const calls: boolean[] = [];
  const io = memoryIo({ stdin: "ab\x03", terminal: true });
  io.setRaw = (raw) => void calls.push(raw);
  await assertRejects(
    () => readLine(io, { hidden: true, output: io.stdout }),
    Deno.errors.Interrupted,
  );
  assertEquals(calls, [true, false]);
  assertEquals(io.stdout.text(), "\n");
  assertEquals(io.stderr.text(), "");
});

Deno.test("readLine() hidden without a terminal reads plainly (no raw mode, no newline)", async () => {
  const calls: boolean[] = [];
  const io = memoryIo({ stdin: "pw\n" });
  io.setRaw = (raw) => void calls.push(raw);
  assertEquals(await readLine(io, { hidden: true }), "pw");
  assertEquals(calls, []);
  assertEquals(io.stderr.text(), "");
});
