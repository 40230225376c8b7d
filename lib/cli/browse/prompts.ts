/**
 * The prompt area of `gemini browse`: one open question, and the controller's questions that
 * wait behind it. Pure.
 *
 * @module
 */

import type { BrowserState, Prompt } from "./state.ts";

/** Opens `prompt` (the cursor at the end unless given), forgetting typed digits. */
export function openPrompt(state: BrowserState, prompt: Prompt): BrowserState {
  const cursor = prompt.cursor ?? prompt.value.length;
  return { ...state, prompt: { ...prompt, cursor }, digits: "", pick: undefined };
}

/** Closes the open prompt; the next waiting question, if any, opens. */
export function closePrompt(state: BrowserState): BrowserState {
  const [next, ...rest] = state.queued;
  const closed: BrowserState = { ...state, prompt: next, queued: rest };
  if (!next) delete closed.prompt;
  return closed;
}

/** Asks a controller question: at once, unless another controller question is open. */
export function ask(state: BrowserState, prompt: Prompt): BrowserState {
  if (!state.prompt) return openPrompt(state, prompt);
  // A controller question goes before a pending prompt of the user's or the model's.
  if (state.prompt.id === undefined) return openPrompt(state, prompt);
  return { ...state, queued: [...state.queued, prompt] };
}
