// The user's store session, handed over by the store page that frames the app.
//
// The store posts the user's JWT to this frame after the app says it is ready: never in a URL,
// never in storage. A message counts only when it comes from the framing window itself and
// from one of the store origins the configuration allows. The token lives in this module's
// memory: a reload asks the store again.

export interface StoreMessage {
  type: "cbxero:token";
  token: string;
}

type Listener = (token: string | null) => void;

const READY_EVERY_MS = 250;
const READY_TRIES = 40; // ten seconds

let token: string | null = null;
let allowed: readonly string[] = [];
const listeners = new Set<Listener>();

export function framed(): boolean {
  return window.parent !== window;
}

export function currentToken(): string | null {
  return token;
}

export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function tell(message: { type: "cbxero:ready" | "cbxero:token-request" }): void {
  // Sent to each allowed origin in turn: the browser delivers it only to the one the store is.
  for (const origin of allowed) window.parent.postMessage(message, origin);
}

function isStoreMessage(data: unknown): data is StoreMessage {
  if (typeof data !== "object" || data === null) return false;
  const message = data as Record<string, unknown>;
  return (
    message.type === "cbxero:token" &&
    typeof message.token === "string" &&
    message.token.length > 0 &&
    message.token.length < 8192
  );
}

function receive(event: MessageEvent): void {
  if (event.source !== window.parent || !allowed.includes(event.origin)) return;
  if (!isStoreMessage(event.data)) return;
  token = event.data.token;
  for (const listener of listeners) listener(token);
}

/** Listens for the store's messages and tells it the app is ready for a session. */
export function startSession(storeOrigins: readonly string[]): void {
  allowed = storeOrigins;
  window.addEventListener("message", receive);
  if (!framed()) return;
  // The store may start listening after this frame is ready: say so again until it answers.
  let tries = 0;
  const ready = (): void => {
    if (token !== null || tries++ >= READY_TRIES) return;
    tell({ type: "cbxero:ready" });
    window.setTimeout(ready, READY_EVERY_MS);
  };
  ready();
}

/** Asks the store for a fresh token (the one held was refused) and waits for it. */
export function renewSession(waitMs = 10_000): Promise<string | null> {
  const refused = token;
  token = null;
  for (const listener of listeners) listener(null);
  if (!framed()) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = window.setTimeout(() => {
      stop();
      resolve(null);
    }, waitMs);
    const stop = onSession((fresh) => {
      if (fresh === null || fresh === refused) return;
      window.clearTimeout(timer);
      stop();
      resolve(fresh);
    });
    tell({ type: "cbxero:token-request" });
  });
}
