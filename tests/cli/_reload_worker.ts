/**
 * A stand-in serve worker for supervisor tests: ready at once, applies every reload, stops
 * when told. It serves nothing.
 */

import type { SupervisorMessage, WorkerMessage } from "../../lib/cli/serve_messages.ts";

const scope = self as unknown as {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
};

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as SupervisorMessage;
  if (message.type === "start") {
    scope.postMessage({
      type: "ready",
      ready: { addrs: [], certificates: [], hosts: [], backends: ["node"] },
    });
  } else if (message.type === "reload") {
    scope.postMessage({ type: "reloaded" });
  } else if (message.type === "shutdown" || message.type === "retire") {
    scope.postMessage({ type: "stopped" });
  }
});
