/**
 * Deadlines for promises: a time limit and an abort signal raced against any promise,
 * with the timer and the listener removed as soon as it settles (nothing is kept alive per
 * call once it is over, which matters on a server's per-connection paths).
 *
 * @module
 */

/** The error a promise is rejected with when its deadline passes. */
export class DeadlineError extends Error {
  /** Creates the error; `message` says what ran out of time. */
  constructor(message = "Deadline passed", options?: ErrorOptions) {
    super(message, options);
    this.name = "DeadlineError";
  }
}

/** When a {@linkcode withDeadline} race ends. Both may be given; the first wins. */
export interface DeadlineOptions {
  /** The deadline as a time (`Date.now()` milliseconds). */
  at?: number;
  /** Aborting it rejects with its `reason`. */
  signal?: AbortSignal;
  /** The message of the {@linkcode DeadlineError}. Default `Deadline passed`. */
  message?: string;
}

/**
 * Settles like `promise`, unless the deadline passes first (rejects with a
 * {@linkcode DeadlineError}) or `signal` aborts first (rejects with its reason). The promise
 * itself is not cancelled.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { DeadlineError, withDeadline } from "./deadline.ts";
 * assert.equal(await withDeadline(Promise.resolve(1), { at: Date.now() + 1000 }), 1);
 * await assert.rejects(
 *   withDeadline(new Promise(() => {}), { at: Date.now() + 10 }),
 *   DeadlineError,
 * );
 * ```
 */
export function withDeadline<T>(promise: Promise<T>, options: DeadlineOptions): Promise<T> {
  const { at, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (at !== undefined && at <= Date.now()) {
    return Promise.reject(new DeadlineError(options.message));
  }
  if (at === undefined && signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let entry: TimerEntry | undefined;
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      if (entry) cancelDeadline(entry);
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (end()) reject(signal!.reason);
    };
    if (at !== undefined) {
      entry = scheduleDeadline(at, () => {
        entry = undefined;
        if (end()) reject(new DeadlineError(options.message));
      });
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        if (end()) resolve(value);
      },
      (error) => {
        if (end()) reject(error);
      },
    );
  });
}

/**
 * Calls `fire` once the time `at` has passed (on the shared deadline timer, see
 * {@linkcode DEADLINE_RESOLUTION_MS}); returns a function that cancels it. Internal to the
 * toolkit.
 */
export function _atDeadline(at: number, fire: () => void): () => void {
  const entry = scheduleDeadline(at, fire);
  return () => cancelDeadline(entry);
}

/**
 * How finely deadlines are kept, ms: a deadline fires within this much after its time,
 * never before it.
 */
export const DEADLINE_RESOLUTION_MS = 50;

/** One pending deadline of the shared timer. */
interface TimerEntry {
  slot: number;
  fire: () => void;
}

/**
 * Every pending deadline shares one timer: deadlines are kept in slots of
 * {@linkcode DEADLINE_RESOLUTION_MS}, and one `setTimeout` is armed for the earliest slot.
 * A server sets and clears several deadlines per request (handshake, request line, handler,
 * each write), nearly all of which are cleared long before they are due; this costs a Map
 * update for each instead of a runtime timer. The timer is cleared whenever no deadline is
 * pending, so nothing keeps the process alive.
 */
const slots = new Map<number, Set<TimerEntry>>();
/**
 * Slot numbers in `slots`, as a binary min-heap: each slot is pushed once, when it is made,
 * and popped when it comes due, so an emptied slot stays (empty) in `slots` until then.
 */
const heap: number[] = [];
/** Deadlines pending in all slots. */
let pending = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let armedSlot = Infinity;

function heapPush(slot: number): void {
  heap.push(slot);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= heap[i]) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function heapPop(): number {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    for (let i = 0;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && heap[l] < heap[m]) m = l;
      if (r < heap.length && heap[r] < heap[m]) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  }
  return top;
}

function scheduleDeadline(at: number, fire: () => void): TimerEntry {
  const slot = Math.ceil(at / DEADLINE_RESOLUTION_MS);
  const entry = { slot, fire };
  let set = slots.get(slot);
  if (!set) {
    slots.set(slot, set = new Set());
    heapPush(slot);
  }
  set.add(entry);
  pending++;
  if (slot < armedSlot) arm(slot);
  return entry;
}

function cancelDeadline(entry: TimerEntry): void {
  if (!slots.get(entry.slot)?.delete(entry)) return;
  pending--;
  if (pending === 0) {
    clearTimeout(timer);
    timer = undefined;
    armedSlot = Infinity;
    heap.length = 0;
    slots.clear();
  }
}

function arm(slot: number): void {
  clearTimeout(timer);
  armedSlot = slot;
  timer = setTimeout(tick, Math.max(0, slot * DEADLINE_RESOLUTION_MS - Date.now()));
}

/** Fires every due deadline, then arms the timer for the next slot that has entries. */
function tick(): void {
  timer = undefined;
  armedSlot = Infinity;
  const now = Date.now();
  const due: TimerEntry[] = [];
  while (heap.length > 0 && heap[0] * DEADLINE_RESOLUTION_MS <= now) {
    const slot = heapPop();
    const set = slots.get(slot)!;
    slots.delete(slot);
    pending -= set.size;
    for (const entry of set) due.push(entry);
  }
  // The next slot that still has a deadline (emptied ones go as they come due).
  while (heap.length > 0 && slots.get(heap[0])!.size === 0) slots.delete(heapPop());
  if (heap.length > 0) arm(heap[0]);
  for (const entry of due) entry.fire();
}

/** The shared timer's bookkeeping, for tests: slots kept, heap entries, deadlines pending. */
export function _deadlineState(): { slots: number; heap: number; pending: number } {
  return { slots: slots.size, heap: heap.length, pending };
}
