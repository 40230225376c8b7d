import { assert, assertEquals } from "../_helpers/assert.ts";
import { createLogger } from "../../lib/server/logger.ts";
import { formatAccessEntry } from "../../lib/server/access_log.ts";

function recorder(format: "text" | "json"): {
  lines: string[];
  log: ReturnType<typeof createLogger>;
} {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => void lines.push(l) }, {
    format,
    level: "debug",
    now: () => new Date(0),
  });
  return { lines, log };
}

/** Every control character a caller could use to forge a line or drive a terminal. */
const CONTROLS = [
  ..."\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x85\x9b\x9f\u2028\u2029",
];

const FORGED = "\r\n1970-01-01T00:00:00.000Z error forged line";

Deno.test("createLogger() escapes CR, LF and every other control character in text messages, field names and values: no caller can inject a log line", () => {
  const { lines, log } = recorder("text");
  log.warn(`titan stored 3 bytes (text/plain${FORGED})`, {
    mime: `text/plain${FORGED}`,
    [`key${FORGED}`]: 1,
    error: new Error(`bad${FORGED}`),
  });
  for (const c of CONTROLS) log.info(`a${c}b`, { v: `c${c}d` });
  assertEquals(lines.length, 1 + CONTROLS.length);
  for (const line of lines) {
    assert(line.endsWith("\n"), line);
    // deno-lint-ignore no-control-regex
    assert(!/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(line.slice(0, -1)), JSON.stringify(line));
    assert(line.startsWith("1970-01-01T00:00:00.000Z "), line);
  }
  assert(
    lines[0].startsWith(
      "1970-01-01T00:00:00.000Z warn titan stored 3 bytes (text/plain\\r\\n1970-01-01T00:00:00.000Z error forged line) " +
        'mime="text/plain\\r\\n1970-01-01T00:00:00.000Z error forged line" ' +
        "key__1970-01-01T00_00_00.000Z_error_forged_line=1 error=",
    ),
    lines[0],
  );
  assertEquals(
    lines[1 + CONTROLS.indexOf("\n")],
    '1970-01-01T00:00:00.000Z info a\\nb v="c\\nd"\n',
  );
  assertEquals(
    lines[1 + CONTROLS.indexOf("\x1b")],
    '1970-01-01T00:00:00.000Z info a\\u001bb v="c\\u001bd"\n',
  );
  assertEquals(
    lines[1 + CONTROLS.indexOf("\x9b")],
    '1970-01-01T00:00:00.000Z info a\\u009bb v="c\\u009bd"\n',
  );
  // Plain values stay bare; a backslash is quoted so that escapes are never ambiguous.
  log.info("plain", { path: "/a/b", n: 3, back: "a\\nb" });
  assertEquals(lines.at(-1), '1970-01-01T00:00:00.000Z info plain path=/a/b n=3 back="a\\\\nb"\n');
});

Deno.test("createLogger() JSON lines escape every control character and parse back to the original values", () => {
  const { lines, log } = recorder("json");
  for (const c of CONTROLS) log.error(`a${c}b${FORGED}`, { v: `c${c}d` });
  assertEquals(lines.length, CONTROLS.length);
  lines.forEach((line, i) => {
    assert(line.endsWith("\n"));
    // deno-lint-ignore no-control-regex
    assert(!/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(line.slice(0, -1)), JSON.stringify(line));
    const record = JSON.parse(line);
    assertEquals(record.message, `a${CONTROLS[i]}b${FORGED}`);
    assertEquals(record.v, `c${CONTROLS[i]}d`);
  });
});

Deno.test("createLogger() leaves out fields whose value is undefined (a reload logged generated=undefined)", () => {
  const text = recorder("text");
  text.log.info("configuration reloaded", { hosts: "localhost", generated: undefined, n: 0 });
  assertEquals(text.lines, [
    "1970-01-01T00:00:00.000Z info configuration reloaded hosts=localhost n=0\n",
  ]);
  const json = recorder("json");
  json.log.info("configuration reloaded", { hosts: "localhost", generated: undefined });
  assertEquals(JSON.parse(json.lines[0]), {
    time: "1970-01-01T00:00:00.000Z",
    level: "info",
    message: "configuration reloaded",
    hosts: "localhost",
  });
});

Deno.test("formatAccessEntry() never writes a Titan token and escapes control characters in the path", () => {
  const entry = {
    time: new Date(0),
    requestId: "r1",
    ip: "127.0.0.1",
    host: "localhost",
    path: "/wiki/page.gmi;size=abc;mime=text/plain;token=s3cret;x=1",
    status: 59,
    bytes: 0,
    durationMs: 1,
  };
  const text = formatAccessEntry(entry);
  assert(!text.includes("s3cret"), text);
  assertEquals(
    text,
    '1970-01-01T00:00:00.000Z 127.0.0.1 localhost "/wiki/page.gmi;size=abc;mime=text/plain;token=[redacted]" 59 0 1ms - r1\n',
  );
  const json = JSON.parse(formatAccessEntry({ ...entry, path: "/a;TOKEN=s3cret" }, {
    format: "json",
  }));
  assertEquals(json.path, "/a;token=[redacted]");
  const odd = formatAccessEntry({ ...entry, path: "/a\u2028b\x85c" });
  assertEquals(odd.split("\n").length, 2);
  assert(odd.includes('"/a\\u2028b\\u0085c"'), odd);
});

Deno.test("formatAccessEntry() writes the time as toISOString() does, across seconds and for any millisecond", () => {
  const times = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000, 1_764_650_000_123];
  times.push(-1, -999, -1000, -62_198_755_200_001, 253_402_300_800_000); // before 1970, year 0 and 10000
  for (let i = 0; i < 2000; i++) times.push(1_764_650_000_000 + i * 7);
  for (const ms of times) {
    const time = new Date(ms);
    const line = formatAccessEntry({
      time,
      requestId: "r",
      ip: "127.0.0.1",
      host: "h",
      path: "/",
      status: 20,
      bytes: 0,
      durationMs: 0,
    });
    assertEquals(line.split(" ")[0], time.toISOString(), String(ms));
  }
});
