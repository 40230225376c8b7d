/**
 * withDeadline() on the shared deadline timer: a deadline never fires before its time, a
 * settled race leaves nothing pending (the test sanitizers check that no timer is left),
 * and many deadlines at once fire in time order while cleared ones never fire.
 */

import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import {
  _atDeadline,
  _deadlineState,
  DEADLINE_RESOLUTION_MS,
  DeadlineError,
  withDeadline,
} from "../../lib/tls/deadline.ts";

Deno.test("withDeadline() rejects at its time, never before it", async () => {
  const at = Date.now() + 120;
  const error = await assertRejects(() => withDeadline(new Promise(() => {}), { at }));
  assert(error instanceof DeadlineError);
  const late = Date.now() - at;
  assert(late >= 0, `fired ${-late} ms early`);
  // Loose upper bound: the shared timer's resolution plus a busy machine's scheduling.
  assert(late < DEADLINE_RESOLUTION_MS + 1000, `fired ${late} ms late`);
});

Deno.test("withDeadline() settles like the promise when it comes first, and clears the deadline", async () => {
  assertEquals(await withDeadline(Promise.resolve(7), { at: Date.now() + 60_000 }), 7);
  await assertRejects(
    () => withDeadline(Promise.reject(new RangeError("inner")), { at: Date.now() + 60_000 }),
    RangeError,
    "inner",
  );
  // Nothing pending now: the sanitizers would report a timer left behind.
});

Deno.test("withDeadline() rejects with the signal's reason when it aborts first", async () => {
  const controller = new AbortController();
  const race = withDeadline(new Promise(() => {}), {
    at: Date.now() + 60_000,
    signal: controller.signal,
  });
  controller.abort(new URIError("stop"));
  await assertRejects(() => race, URIError, "stop");
});

Deno.test("withDeadline(): 2,000 deadlines at once fire in time order, cleared ones never", async () => {
  const start = Date.now();
  const fired: number[] = [];
  const tasks: Promise<void>[] = [];
  const resolvers: (() => void)[] = [];
  for (let i = 0; i < 2000; i++) {
    const at = start + 100 + (i % 10) * 30;
    const inner = new Promise<void>((
      resolve,
    ) => (i % 2 === 1 ? resolvers.push(resolve) : undefined));
    tasks.push(
      withDeadline(inner, { at }).then(
        () => {},
        (error) => {
          assert(error instanceof DeadlineError);
          assert(Date.now() >= at, "a deadline fired early");
          fired.push(i);
        },
      ),
    );
  }
  for (const resolve of resolvers) resolve(); // every odd one settles before its deadline
  await Promise.all(tasks);
  assertEquals(fired.length, 1000);
  assert(fired.every((i) => i % 2 === 0), "a settled race fired its deadline");
  const times = fired.map((i) => i % 10);
  assert(times.every((t, k) => k === 0 || times[k - 1] <= t), "deadlines fired out of order");
});

Deno.test("deadlines: setting and clearing many in the same slots keeps the shared timer's bookkeeping small", async () => {
  const stop = new AbortController();
  const long = withDeadline(new Promise<void>(() => {}), {
    at: Date.now() + 60_000,
    signal: stop.signal,
  }).catch(() => {});
  const before = _deadlineState();
  // Three fixed times, so three slots however long the loop takes.
  const base = Date.now() + 10_000;
  for (let i = 0; i < 100_000; i++) {
    const cancel = _atDeadline(base + (i % 3) * 1000, () => {});
    cancel();
  }
  const after = _deadlineState();
  // One pending deadline; at most the three slots used (kept empty until due) besides its own.
  assertEquals(after.pending, before.pending);
  assert(after.heap <= before.heap + 3, `heap ${before.heap} -> ${after.heap}`);
  assert(after.slots <= before.slots + 3, `slots ${before.slots} -> ${after.slots}`);
  // A short deadline still fires on time with the emptied slots around.
  await assertRejects(
    () => withDeadline(new Promise(() => {}), { at: Date.now() + 120 }),
    DeadlineError,
  );
  stop.abort();
  await long;
  assertEquals(_deadlineState(), { slots: 0, heap: 0, pending: 0 }, "nothing left once all ended");
});
