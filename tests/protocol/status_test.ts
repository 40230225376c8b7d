/**
 * The status table and its class helpers: every defined code 10-62 has a name and a doc
 * line, undefined in-range codes act as their class, and codes outside 10-69 are rejected.
 */

import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  isCertificateStatus,
  isFailure,
  isInput,
  isRedirect,
  isStatus,
  isSuccess,
  normalizeStatus,
  Status,
  STATUS_TEXT,
  statusClass,
  statusText,
} from "../../lib/protocol/mod.ts";

const DEFINED = [10, 11, 20, 30, 31, 40, 41, 42, 43, 44, 50, 51, 52, 53, 59, 60, 61, 62];

Deno.test("Status defines exactly the specification's codes, each with a name", () => {
  assertEquals(Object.values(Status).sort((a, b) => a - b), DEFINED);
  assertEquals(Object.keys(STATUS_TEXT).map(Number).sort((a, b) => a - b), DEFINED);
  for (const code of DEFINED) {
    assert(isStatus(code), String(code));
    assert(STATUS_TEXT[code as keyof typeof STATUS_TEXT].length > 0, String(code));
  }
  assertEquals(statusText(Status.NotFound), "Not found");
});

Deno.test("every Status constant has one doc line naming its code", async () => {
  const source = await Deno.readTextFile(
    new URL("../../lib/protocol/status.ts", import.meta.url),
  );
  for (const [name, code] of Object.entries(Status)) {
    const doc = new RegExp(`/\\*\\* ${code}: [^\\n]+\\*/\\n  ${name}: ${code},`);
    assert(doc.test(source), `${name} (${code}) lacks its one-line doc comment`);
  }
});

Deno.test("statusClass() is the first digit times ten for every code in 10-69", () => {
  for (let code = 10; code <= 69; code++) {
    assertEquals(statusClass(code), Math.floor(code / 10) * 10);
  }
});

Deno.test("statusClass() rejects codes outside 10-69 and non-integers at the limits", () => {
  for (const code of [9, 70, 0, 5, 99, 100, -10, 10.5, 69.1, NaN, Infinity]) {
    assertThrows(() => statusClass(code), RangeError, "outside 10-69");
    assertThrows(() => normalizeStatus(code), RangeError);
    assertThrows(() => statusText(code), RangeError);
  }
});

Deno.test("normalizeStatus() keeps defined codes and maps undefined ones to their class", () => {
  for (const code of DEFINED) assertEquals(normalizeStatus(code), code);
  // edge case 34: 14 -> 10, 25 -> 20, 37 -> 30, 49 -> 40, 57 -> 50, legacy 63/64/65 -> 60
  const cases = [[14, 10], [25, 20], [37, 30], [49, 40], [57, 50], [63, 60], [64, 60], [65, 60]];
  for (const [code, expected] of cases) assertEquals(normalizeStatus(code), expected);
  for (let code = 63; code <= 69; code++) assertEquals(normalizeStatus(code), 60);
  assertEquals(statusText(64), "Client certificate required");
  assert(!isStatus(57) && !isStatus(9) && !isStatus(70));
});

Deno.test("class helpers answer by class, also for undefined codes", () => {
  assert(isInput(10) && isInput(11) && isInput(19) && !isInput(20));
  assert(isSuccess(20) && isSuccess(25) && !isSuccess(30));
  assert(isRedirect(30) && isRedirect(31) && isRedirect(39) && !isRedirect(40));
  assert(isFailure(40) && isFailure(44) && isFailure(59) && !isFailure(60) && !isFailure(39));
  assert(isCertificateStatus(60) && isCertificateStatus(69) && !isCertificateStatus(59));
  assertThrows(() => isSuccess(70), RangeError);
});
