/**
 * The question `gemini browse` asks when a capsule wants a client certificate (status 60, 61
 * or 62): use a saved identity (and add the scope to it), make a new one and save it, or make
 * a transient one that is forgotten when the browser quits.
 *
 * @module
 */

import { checkIdentityName, makeIdentity, normalizeScope } from "../../client/identities.ts";
import type { Identity } from "../../client/types.ts";
import { generateCertificate } from "../../tls/certificate.ts";
import type { SessionIdentities } from "./session_identities.ts";
import type { Prompt } from "./state.ts";
import { Status } from "../../protocol/status.ts";

/** What the identity question needs from the browser. */
export interface IdentityAsker {
  /** Asks in the prompt area; resolves with the answer (`null`: cancelled). */
  ask(prompt: Omit<Prompt, "id" | "value">): Promise<string | null>;
  /** Shows a message. */
  message(text: string): void;
  /** The saved identities and the transient ones of this session. */
  identities: SessionIdentities;
}

/** The request for a client certificate. */
export interface IdentityRequest {
  /** The URL that asked. */
  url: URL;
  /** 60, 61 or 62. */
  status: number;
  /** The server's META. */
  meta: string;
}

/** The scope of a client-certificate request: the URL without query, normalized. */
export function identityScope(url: URL): string {
  const path = url.pathname || "/";
  const raw = `${url.protocol}//${url.host}${path}`;
  try {
    return normalizeScope(raw);
  } catch {
    return raw;
  }
}

/** The choice prompt: the request, the saved identities (at most 9), new and transient. */
function identityPrompt(
  request: IdentityRequest,
  shown: Identity[],
  options: { scope: string; persistent: boolean },
): Omit<Prompt, "id" | "value"> {
  const { url, status, meta } = request;
  const what = status === Status.CertificateNotAuthorized
    ? "needs an identity that is authorised here"
    : status === Status.CertificateNotValid
    ? "needs a valid client certificate (an identity)"
    : "asks for a client certificate (an identity)";
  return {
    kind: "choice",
    label: "Identity:",
    details: [
      `${url.host} ${what}: ${status} ${meta || "(no message)"}`,
      `The identity chosen is used for ${options.scope} and below.`,
      ...(shown.length > 0
        ? ["Saved identities:", ...shown.map((id, i) => `  [${i + 1}] ${id.name}`)]
        : []),
      ...(options.persistent ? ["  [n] create a new identity and save it"] : []),
      "  [t] a transient identity, forgotten when the browser quits",
    ],
    choices: [
      ...shown.map((id, i) => ({ key: String(i + 1), label: id.name, value: `id:${i}` })),
      ...(options.persistent ? [{ key: "n", label: "new", value: "new" }] : []),
      { key: "t", label: "transient", value: "transient" },
      { key: "c", label: "cancel", value: "cancel" },
    ],
    cancelValue: "cancel",
  };
}

async function generateIdentity(name: string, scopes: string[]): Promise<Identity> {
  const bundle = await generateCertificate(name, { days: 365 * 5 });
  return makeIdentity(name, { cert: bundle.cert, key: bundle.key, scopes });
}

/** A new identity for `scope`, named by the person and saved; `null` when that fails. */
async function newIdentity(asker: IdentityAsker, scope: string): Promise<Identity | null> {
  const store = asker.identities;
  const name = await asker.ask({ kind: "text", label: "Name for the new identity" });
  if (!name) return null;
  try {
    checkIdentityName(name);
  } catch (error) {
    asker.message((error as Error).message);
    return null;
  }
  if (await store.get(name)) {
    asker.message(`An identity named ${name} already exists`);
    return null;
  }
  const identity = await generateIdentity(name, [scope]);
  await store.add(identity);
  return identity;
}

/**
 * Asks which identity to present for `request`; the identity, or `null` when the person
 * cancels. A saved identity chosen gets the request's scope added.
 */
export async function chooseIdentity(
  asker: IdentityAsker,
  request: IdentityRequest,
): Promise<Identity | null> {
  const store = asker.identities;
  const existing = store.persistent ? await store.list() : [];
  const shown = existing.slice(0, 9);
  const scope = identityScope(request.url);
  const answer = await asker.ask(
    identityPrompt(request, shown, { scope, persistent: store.persistent }),
  );
  if (answer?.startsWith("id:")) {
    const identity = shown[Number(answer.slice(3))];
    if (!identity.scopes.includes(scope)) {
      const updated = { ...identity, scopes: [...identity.scopes, scope] };
      await store.update(updated);
      return updated;
    }
    return identity;
  }
  if (answer === "new" && store.persistent) return await newIdentity(asker, scope);
  if (answer === "transient") {
    const name = `transient-${crypto.randomUUID().slice(0, 8)}`;
    const identity = await generateIdentity(name, [scope]);
    store.addTransient(identity);
    return identity;
  }
  return null;
}
