// Xero's consent in a pop-up: the app asks the API for the authorization link (keeping the
// one-time verifier in memory only), sends the pop-up there, and waits for connected.html to
// post the outcome back, from this app's own origin only.

import { api, call } from "../../api";

export const POPUP_NAME = "cbxero-xero-consent";
const POPUP_FEATURES = "popup,width=640,height=760";

/** What connected.html posts to the window that opened it. */
export interface ConsentOutcome {
  type: "cbxero:xero-consent";
  xero: string;
  flow: string | null;
  reason: string | null;
}

export function isConsentOutcome(value: unknown): value is ConsentOutcome {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const text = (x: unknown): boolean => x === null || typeof x === "string";
  return v.type === "cbxero:xero-consent" && typeof v.xero === "string" && text(v.flow) && text(v.reason);
}

/** The window the blocked pop-up's link opened (it carries the pop-up's name), and no other. */
function isConsentWindow(source: MessageEventSource | null): boolean {
  try {
    return source !== null && "name" in source && source.name === POPUP_NAME;
  } catch {
    return false; // a window of another origin: its name cannot be read
  }
}

/** A consent on its way: the verifier only this page holds, and the pop-up (null if blocked). */
export interface PendingConsent {
  verifier: string;
  authorizationUrl: string;
  popup: Window | null;
}

/** Opens the pop-up at once (still inside the click, so that a browser allows it), then sends it
 * to Xero once the API has answered. The pop-up is null when the browser blocked it. */
export async function startConsent(historyFrom: string): Promise<PendingConsent> {
  const popup = window.open("", POPUP_NAME, POPUP_FEATURES);
  try {
    const link = await call(
      api.GET("/xero/connect", {
        params: {
          query: {
            return_url: `${window.location.origin}/connected.html`,
            history_from: historyFrom || undefined,
          },
        },
      }),
    );
    if (popup && !popup.closed) popup.location.href = link.authorization_url;
    return { verifier: link.verifier, authorizationUrl: link.authorization_url, popup };
  } catch (error) {
    popup?.close();
    throw error;
  }
}

/** Calls back with the outcome the pop-up posts (same origin only), or "closed" when the pop-up
 * was closed without one. Returns the function that stops listening. */
export function awaitConsent(
  pending: PendingConsent,
  done: (outcome: ConsentOutcome | "closed") => void,
): () => void {
  let over = false;
  const finish = (outcome: ConsentOutcome | "closed"): void => {
    if (over) return;
    over = true;
    stop();
    done(outcome);
  };
  const heard = (event: MessageEvent): void => {
    if (event.origin !== window.location.origin) return; // connected.html is served by this app
    if (pending.popup && event.source !== pending.popup) return;
    if (!pending.popup && !isConsentWindow(event.source)) return; // blocked: the link's window
    if (isConsentOutcome(event.data)) finish(event.data);
  };
  // A closed pop-up posts nothing: give a message on its way a moment before calling it closed.
  const watch = window.setInterval(() => {
    if (pending.popup?.closed) window.setTimeout(() => finish("closed"), 800);
  }, 500);
  const stop = (): void => {
    window.removeEventListener("message", heard);
    window.clearInterval(watch);
  };
  window.addEventListener("message", heard);
  return stop;
}
