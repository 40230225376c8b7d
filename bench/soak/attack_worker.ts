/**
 * Runs one attack of the soak benchmark in a Web Worker, so that its sockets and its CPU
 * bursts stay off the event loop of the runner (which samples memory and runs the probe).
 * Receives an {@linkcode AttackRequest}, answers with an {@linkcode AttackReply}.
 *
 * @module
 */

import { attackNamed, type AttackResult } from "./attacks.ts";
import type { Target } from "./sockets.ts";

/** What the runner posts to the worker. */
export interface AttackRequest {
  /** Attack name. */
  name: string;
  /** The server. */
  target: Target;
  /** Scale of durations and counts. */
  scale: number;
}

/** What the worker posts back. */
export type AttackReply =
  | { type: "done"; result: AttackResult }
  | { type: "failed"; message: string };

const scope = self as unknown as {
  postMessage(message: AttackReply): void;
  onmessage: ((event: MessageEvent<AttackRequest>) => void) | null;
};

scope.onmessage = async (event): Promise<void> => {
  const { name, target, scale } = event.data;
  try {
    const result = await attackNamed(name).run({ target, scale });
    scope.postMessage({ type: "done", result });
  } catch (error) {
    scope.postMessage({ type: "failed", message: (error as Error).stack ?? String(error) });
  }
};
