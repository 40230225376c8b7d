import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import { TomlError } from "smol-toml";
import {
  formatTomlPath,
  parseTomlFile,
  TomlFileError,
  tomlLine,
  type TomlPath,
} from "../../lib/files/toml.ts";
import { parseClientConfig } from "../../lib/client/config.ts";
import { parseBrowseConfig } from "../../lib/cli/browse/config.ts";
import { ConfigError, parseConfig } from "../../lib/server/config/mod.ts";

const SERVER = [
  "port = 1966", // 1
  'listen = ["127.0.0.1", { address = "::1", proxy_protocol = true }]', // 2
  "[limits]", // 3
  "rate_burst = 5", // 4
  "[[host]]", // 5
  'name = "a"', // 6
  'mime = { txt = "text/plain" }', // 7
  "[[host.location]]", // 8
  'path = "/a"', // 9
  "[[host.location]]", // 10
  'path = "/b"', // 11
  "[[host.location.rule]]", // 12
  'match = "x"', // 13
  "[[host]]", // 14
  'name = "b"', // 15
  "[[host.location]]", // 16
  "  'path' = \"/c\"", // 17
  "[ host . extra ]", // 18
  '"quoted key" = 1', // 19
].join("\n");

Deno.test("tomlLine() finds keys in tables and in entries of nested arrays of tables", () => {
  const cases: [TomlPath, number | undefined][] = [
    [["port"], 1],
    [["listen"], 2],
    [["limits", "rate_burst"], 4],
    [["host", 0, "name"], 6],
    [["host", 1, "name"], 15],
    [["host", 0, "location", 1, "path"], 11],
    [["host", 0, "location", 1, "rule", 0, "match"], 13],
    // nested arrays count again under each entry of their parent
    [["host", 1, "location", 0, "path"], 17],
    // a single-quoted key, a header with spaces around the dot, a double-quoted key
    [["host", 1, "extra", "quoted key"], 19],
  ];
  for (const [path, line] of cases) {
    assertEquals(tomlLine(SERVER, path), line, formatTomlPath(path));
  }
});

Deno.test("tomlLine() falls back to the table header, the inline table's key, or nothing", () => {
  const cases: [TomlPath, number | undefined][] = [
    // a table or an entry of an array of tables: its header
    [["limits"], 3],
    [["host", 1], 14],
    [["host", 0, "location", 0], 8],
    // a key that is not written: the header of its table
    [["host", 0, "root"], 5],
    [["host", 0, "location", 1, "root"], 10],
    // inside an inline table: the line of the inline table's key
    [["host", 0, "mime", "txt"], 7],
    [["listen", 1, "address"], 2],
    // nowhere: a top-level key that is absent, an entry that does not exist
    [["workers"], undefined],
    [["recycle", "heap"], undefined],
    [[], undefined],
  ];
  for (const [path, line] of cases) {
    assertEquals(tomlLine(SERVER, path), line, formatTomlPath(path));
  }
});

Deno.test("tomlLine() reads the client's and the browser's tables, quoted keys included", () => {
  const text = [
    "[client]", // 1
    "retries = 1", // 2
    "[browse]", // 3
    "max_width = 80", // 4
    '[browse."handlers"]', // 5
    '"image/*" = "feh"', // 6
    "[browse.schemes]", // 7
    "'x-y' = 'prog'", // 8
  ].join("\n");
  assertEquals(tomlLine(text, ["client", "retries"]), 2);
  assertEquals(tomlLine(text, ["browse"]), 3);
  assertEquals(tomlLine(text, ["browse", "max_width"]), 4);
  assertEquals(tomlLine(text, ["browse", "handlers", "image/*"]), 6);
  assertEquals(tomlLine(text, ["browse", "schemes", "x-y"]), 8);
  // "retries" is a key of [client], not of the top level
  assertEquals(tomlLine(text, ["retries"]), undefined);
});

Deno.test("formatTomlPath() writes indices in brackets and names with dots", () => {
  assertEquals(formatTomlPath(["port"]), "port");
  assertEquals(formatTomlPath(["host", 0]), "host[0]");
  assertEquals(
    formatTomlPath(["host", 2, "location", 10, "rule", 0, "match"]),
    "host[2].location[10].rule[0].match",
  );
});

Deno.test("parseTomlFile() reports bad TOML at FILE:LINE with the parser's first line", () => {
  const error = assertThrows(
    () => parseTomlFile("a = 1\n[t]\nb = \n", "/x/c.toml"),
    TomlFileError,
  );
  assert(error instanceof SyntaxError);
  assertEquals(error.message, "/x/c.toml:3: invalid TOML: invalid value");
  assertEquals([error.file, error.line, error.key, error.problem], [
    "/x/c.toml",
    3,
    undefined,
    "invalid TOML: invalid value",
  ]);
  assert(error.cause instanceof TomlError);
  const suffixed = assertThrows(
    () => parseTomlFile("[a\n", "h.toml", { suffix: "; nothing was imported" }),
    TomlFileError,
  );
  assertEquals(suffixed.message.endsWith("; nothing was imported"), true);
  assertEquals(suffixed.message.startsWith("h.toml:1: invalid TOML: "), true);
  assertEquals(Object.keys(parseTomlFile("", "empty.toml")), []);
});

Deno.test("TomlFileError leaves out the line and the key it does not know", () => {
  assertEquals(new TomlFileError("f", undefined, undefined, "bad").message, "f: bad");
  assertEquals(new TomlFileError("f", 0, "k", "bad").message, "f: k: bad");
  assertEquals(new TomlFileError("f", 7, "a.b", "bad").message, "f:7: a.b: bad");
});

Deno.test("the server, client and browser configurations place errors with the one locator", () => {
  // The same mistake in each file: a value of the wrong type inside an inline table.
  const server = assertThrows(
    () => parseConfig('[[host]]\nname = "a"\nmime = { txt = 1 }\n', { file: "s.toml" }),
    ConfigError,
  );
  assertEquals(
    server.message,
    "s.toml:3: host[0].mime.txt: must be a media type such as text/plain",
  );
  const client = assertThrows(
    () => parseClientConfig("client = { retries = -1 }\n", "c.toml"),
    SyntaxError,
  );
  assertEquals(client.message, "c.toml:1: client.retries: expected an integer >= 0");
  const text = "[browse]\nhandlers = { 'text/x' = 1 }\n";
  const browse = assertThrows(
    () => parseBrowseConfig({ handlers: { "text/x": 1 } }, { text, file: "b.toml" }),
    SyntaxError,
  );
  assertEquals(browse.message, "b.toml:2: browse.handlers.text/x: expected the name of a program");
  // A `[host]` table where an array of tables belongs is found at its header.
  assertEquals(
    assertThrows(() => parseConfig('[host]\nname = "a"\n', { file: "s.toml" })).message,
    "s.toml:1: host: must be an array of tables ([[host]])",
  );
});
