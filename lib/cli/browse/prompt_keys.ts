/**
 * What the keys of `gemini browse` do in a prompt: edit the answer (with the history of
 * earlier answers and URL completion), answer, cancel, pick a choice, scroll a tall question.
 * Pure.
 *
 * @module
 */

import { type PromptCommand, promptCommand, unmodified } from "./keymap.ts";
import { applyEdit, browseHistory, type EditCommand, insertText, remember } from "./line_editor.ts";
import { startFetch } from "./navigation.ts";
import { promptScroll } from "./panel.ts";
import { closePrompt } from "./prompts.ts";
import { ensureVisible, findMatches } from "./scroll.ts";
import {
  type BrowserState,
  MAX_ANSWERS,
  type Prompt,
  type PromptHistoryKind,
  type Step,
} from "./state.ts";
import { switchTab } from "./tab_commands.ts";
import { typedUrl } from "./urls.ts";

function historyKind(prompt: Prompt): PromptHistoryKind | undefined {
  if (prompt.kind === "url" || prompt.kind === "search") return prompt.kind;
  if (prompt.kind === "input" || prompt.kind === "text") return "input";
  return undefined;
}

function withAnswer(state: BrowserState, prompt: Prompt): BrowserState {
  const kind = historyKind(prompt);
  if (!kind) return state;
  return {
    ...state,
    answers: { ...state.answers, [kind]: remember(state.answers[kind], prompt.value, MAX_ANSWERS) },
  };
}

function completions(state: BrowserState, base: string): string[] {
  const b = base.trim().toLowerCase();
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (u: string): void => {
    if (!seen.has(u)) {
      seen.add(u);
      out.push(u);
    }
  };
  for (const u of state.known) if (u.toLowerCase().startsWith(b)) add(u);
  for (const u of state.known) {
    if (u.toLowerCase().replace(/^[a-z]+:\/\//, "").startsWith(b)) add(u);
  }
  for (const u of state.known) if (b !== "" && u.toLowerCase().includes(b)) add(u);
  return out;
}

function complete(state: BrowserState, prompt: Prompt, step: 1 | -1): BrowserState {
  const base = prompt.completion?.base ?? prompt.value;
  const list = completions(state, base);
  if (list.length === 0) return { ...state, prompt: { ...prompt, note: "no completion" } };
  const index = prompt.completion
    ? (prompt.completion.index + step + list.length) % list.length
    : (step === 1 ? 0 : list.length - 1);
  return {
    ...state,
    prompt: {
      ...prompt,
      value: list[index],
      cursor: list[index].length,
      completion: { base, index },
      note: list.length > 1 ? `${index + 1} of ${list.length}` : undefined,
    },
  };
}

function submit(state: BrowserState, prompt: Prompt): Step {
  const next = closePrompt(withAnswer(state, prompt));
  const value = prompt.value;
  if (prompt.kind === "url") {
    const url = typedUrl(value);
    return url === "" ? [next, []] : startFetch(next, { url });
  }
  if (prompt.kind === "search") {
    if (value === "") return [{ ...next, search: undefined }, []];
    const search = findMatches(next, value);
    if (search.matches.length === 0) {
      return [{ ...next, search, message: `Not found: ${value}` }, []];
    }
    return [{
      ...next,
      search,
      scroll: ensureVisible(next, search.matches[search.index]),
      message: `Match ${search.index + 1} of ${search.matches.length}`,
    }, []];
  }
  return [next, [{ type: "answer", id: prompt.id ?? 0, value }]];
}

/** The answer of one of the model's own choice prompts. */
function ownChoice(state: BrowserState, prompt: Prompt, value: string | null): Step {
  const next = closePrompt(state);
  const action = prompt.action!;
  if (action.type === "resend") {
    if (value !== "y") {
      return [{ ...next, message: "Not reloaded: the answer was not sent again" }, []];
    }
    return startFetch(next, { url: action.url, nav: "reload", sensitive: true });
  }
  return value === null ? [next, []] : [switchTab(next, Number(value)), []];
}

function choiceKey(
  state: BrowserState,
  prompt: Prompt,
  key: string,
  command?: PromptCommand,
): Step {
  let value: string | null | undefined;
  if (command === "cancel") value = prompt.cancelValue ?? null;
  else value = prompt.choices?.find((c) => c.key === key)?.value;
  if (value === undefined) return [state, []];
  if (prompt.action) return ownChoice(state, prompt, value);
  return [closePrompt(state), [{ type: "answer", id: prompt.id ?? 0, value }]];
}

function editPrompt(state: BrowserState, prompt: Prompt, command: EditCommand): BrowserState {
  if (command === "history-previous" || command === "history-next") {
    const kind = historyKind(prompt);
    const line = { value: prompt.value, cursor: prompt.cursor ?? prompt.value.length };
    const moved = kind
      ? browseHistory(
        state.answers[kind],
        line,
        prompt.history,
        command === "history-previous" ? 1 : -1,
      )
      : undefined;
    if (!moved) return state;
    return {
      ...state,
      prompt: {
        ...prompt,
        ...moved.line,
        history: moved.position,
        completion: undefined,
        note: undefined,
      },
    };
  }
  const line = applyEdit(
    { value: prompt.value, cursor: prompt.cursor ?? prompt.value.length },
    command,
  );
  return { ...state, prompt: { ...prompt, ...line, completion: undefined, note: undefined } };
}

/** The next state and effects after `key` in the open prompt. */
export function promptKey(state: BrowserState, key: string): Step {
  const prompt = state.prompt!;
  const command = promptCommand(key) ?? promptCommand(unmodified(key));
  if (command === "panel-up" || command === "panel-down") {
    return [{
      ...state,
      prompt: { ...prompt, scroll: promptScroll(state, command === "panel-up" ? -1 : 1) },
    }, []];
  }
  if (prompt.kind === "choice") return choiceKey(state, prompt, key, command);
  switch (command) {
    case "cancel": {
      const next = closePrompt(state);
      return [
        next,
        prompt.id !== undefined ? [{ type: "answer", id: prompt.id, value: null }] : [],
      ];
    }
    case "submit":
      return submit(state, prompt);
    case "complete":
    case "complete-back":
      return prompt.kind === "url"
        ? [complete(state, prompt, command === "complete" ? 1 : -1), []]
        : [state, []];
    case undefined:
      break;
    default:
      return [editPrompt(state, prompt, command), []];
  }
  if ([...key].length === 1 && key >= " ") {
    const line = insertText(
      { value: prompt.value, cursor: prompt.cursor ?? prompt.value.length },
      key,
    );
    return [
      { ...state, prompt: { ...prompt, ...line, completion: undefined, note: undefined } },
      [],
    ];
  }
  return [state, []];
}
