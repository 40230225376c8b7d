import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { decodeRequestPath, RequestError, type RequestRejection } from "../../lib/protocol/mod.ts";

const url = (path: string): URL => new URL(`gemini://h${path}`);
function rejection(path: string): RequestRejection {
  return assertThrows(() => decodeRequestPath(url(path)), RequestError).reason;
}

Deno.test("decodeRequestPath() decodes and normalises", () => {
  const cases: [string, string, string[]][] = [
    ["/", "/", []],
    ["/a/./b//c", "/a/b/c", ["a", "b", "c"]],
    ["/dir/", "/dir/", ["dir"]],
    ["/a/b/..", "/a/", ["a"]],
    ["/a/b/.", "/a/b/", ["a", "b"]],
    ["/caf%C3%A9.gmi", "/café.gmi", ["café.gmi"]],
    ["/a%20b", "/a b", ["a b"]],
    ["/a+b", "/a+b", ["a+b"]],
  ];
  for (const [path, normalized, segments] of cases) {
    const decoded = decodeRequestPath(url(path));
    assertEquals([decoded.normalized, decoded.segments], [normalized, segments], path);
    assertEquals(decoded.encodedSlash, false, path);
  }
});

Deno.test("decodeRequestPath() treats raw UTF-8 and percent-encoded paths alike", () => {
  assertEquals(
    decodeRequestPath(url("/café.gmi")).normalized,
    decodeRequestPath(url("/caf%C3%A9.gmi")).normalized,
  );
});

Deno.test("decodeRequestPath() reports encoded slashes", () => {
  const decoded = decodeRequestPath(url("/a%2Fb"));
  assertEquals([decoded.path, decoded.encodedSlash, decoded.segments], ["/a/b", true, ["a", "b"]]);
  assertEquals(decodeRequestPath(url("/a%5Cb")).encodedSlash, true);
});

Deno.test("decodeRequestPath() rejects traversal above the root, decoded first", () => {
  // The URL class already removes literal and %2e%2e dot segments; segments joined by an
  // encoded slash survive it and must be caught here.
  for (
    const path of ["/foo%2F..%2F..", "/%2e%2e%2F%2e%2e%2Fx", "/a/..%2F..%2Fetc", "/..%5C..%5Cx"]
  ) {
    assertEquals(rejection(path), "path-traversal", path);
  }
  assertEquals(decodeRequestPath(url("/a/b%2F..%2Fc")).normalized, "/a/c");
});

Deno.test("decodeRequestPath() rejects bad escapes, NUL, controls and invalid UTF-8", () => {
  assertEquals(rejection("/%zz"), "bad-percent-encoding");
  assertEquals(rejection("/%4"), "bad-percent-encoding");
  assertEquals(rejection("/a%"), "bad-percent-encoding");
  assertEquals(rejection("/%00"), "nul");
  assertEquals(rejection("/a%0Ab"), "control-char");
  assertEquals(rejection("/%C0%80"), "invalid-utf8");
  assertEquals(rejection("/%FF"), "invalid-utf8");
});

Deno.test("decodeRequestPath() accepts a string URL", () => {
  assertEquals(decodeRequestPath("gemini://h/x/../y").normalized, "/y");
});

Deno.test("decodeRequestPath() gives the same for a plain path and its percent-encoded spelling", () => {
  // Plain printable ASCII skips the per-segment decoder; encoding every byte forces it.
  const paths = ["/", "/a/b/", "/a/./b//c", "/a/b/../c/", "/~user/x-y_z.gmi", "/a;b=c/!$&'()*+,:@"];
  const encodeAll = (p: string): string =>
    p.split("/").map((s) =>
      s === "." || s === ".." ? s : [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("")
    ).join("/");
  for (const path of paths) {
    const plain = decodeRequestPath(`gemini://h${path}`);
    const encoded = decodeRequestPath(`gemini://h${encodeAll(path)}`);
    assertEquals(plain, encoded, path);
  }
});
