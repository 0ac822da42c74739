// Pop-up notifications while the app is open: the unread Action Log entries the notifications
// setting picks (the API filters by it), looked for every few seconds while the page is
// visible. A few show at once, newest first; the rest wait behind "+N more". Each stays until
// dismissed (its close button, or Escape inside it), which marks it read; once dismissed an
// entry never shows again, even if marking it read failed.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call } from "./api";
import { config } from "./config";
import { asApiError } from "./load";
import "./notifications.css";
import { href } from "./router";
import type { Entry } from "./screens/action_log/words";
import { actionLabel, entryId, isProblem } from "./screens/action_log/words";
import { Status, When } from "./ui";

const AT_ONCE = 3; // pop-ups on screen at once; the others wait behind "+N more"
const AT_ONCE_NARROW = 1; // on a phone's width three would cover the screen

function atOnce(): number {
  return window.matchMedia("(max-width: 640px)").matches ? AT_ONCE_NARROW : AT_ONCE;
}
const DEFAULT_POLL_SECONDS = 10;
// Pop-ups open this long, unless the pointer or the keyboard is in them, then tuck away into a
// small "N notifications" button (still unread) so that they do not keep covering the screen's
// own buttons; a new entry opens them again.
const DEFAULT_LINGER_SECONDS = 30;
const PAGE = 50;

interface Shown {
  showing: Entry[]; // on screen, newest first; each stays until dismissed
  waiting: number; // unread, not on screen
  more: boolean; // the API has a further page of unread entries
}

/** The pop-ups after a look at the unread entries: those on screen stay, free places are
 * taken by the newest entries not yet shown, and none dismissed ever comes back. */
function arrange(
  showing: Entry[],
  unread: Entry[],
  dismissed: ReadonlySet<string>,
): { showing: Entry[]; waiting: number } {
  const kept = showing.filter((e) => !dismissed.has(entryId(e)));
  const onScreen = new Set(kept.map(entryId));
  const candidates = unread.filter((e) => !dismissed.has(entryId(e)) && !onScreen.has(entryId(e)));
  const added = candidates.slice(0, Math.max(0, atOnce() - kept.length));
  const next = [...kept, ...added].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { showing: next, waiting: candidates.length - added.length };
}

function Popup(props: {
  entry: Entry;
  onDismiss: (entry: Entry, how: "close" | "open") => void;
}): JSX.Element {
  const { entry } = props;
  const id = `note-${entryId(entry)}`;
  return (
    <div
      role="group"
      class={`note note-${entry.status}`}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-message`}
      data-entry={entryId(entry)}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          props.onDismiss(entry, "close");
        }
      }}
    >
      <div class="note-head">
        <Status value={entry.status} />
        <strong id={`${id}-title`} class="note-title">
          {actionLabel(entry.action)}
        </strong>
        <button
          type="button"
          class="note-close"
          aria-label="Dismiss notification"
          title="Dismiss (marks it read)"
          onClick={() => props.onDismiss(entry, "close")}
        >
          ×
        </button>
      </div>
      <p class="note-message" id={`${id}-message`}>
        {entry.message}
      </p>
      <p class="note-foot">
        <When value={entry.at} />{" "}
        <a
          href={href(`/action-log/${encodeURIComponent(entryId(entry))}`)}
          onClick={() => props.onDismiss(entry, "open")}
        >
          Open in the Action Log
        </a>
      </p>
    </div>
  );
}

export function Notifications(): JSX.Element {
  const [shown, setShown] = useState<Shown>({ showing: [], waiting: 0, more: false });
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const dismissed = useRef(new Set<string>());
  const latest = useRef<Entry[]>([]); // the last unread entries the API gave
  const box = useRef<HTMLElement>(null);
  const [tucked, setTucked] = useState(false);
  const [holding, setHolding] = useState(false); // pointer or focus inside: stay open

  const tuckedNow = useRef(false);
  tuckedNow.current = tucked;
  const take = (unread: Entry[], more: boolean): void => {
    const known = new Set(latest.current.map(entryId));
    // What opens tucked pop-ups again: a new error or action required; news that all went well
    // only counts on the tucked button.
    const news =
      latest.current.length > 0 &&
      unread.some((e) => !known.has(entryId(e)) && isProblem(e.status));
    latest.current = unread;
    // It opens them with the newest first (those put aside still wait, unread).
    const reopen = news && tuckedNow.current;
    setShown((now) => ({
      ...arrange(reopen ? [] : now.showing, unread, dismissed.current),
      more,
    }));
    if (reopen) setTucked(false);
  };

  const newest = shown.showing.map(entryId).join(" ");
  useEffect(() => {
    if (tucked || holding || !newest) return undefined;
    const linger = (config().notificationLingerSeconds ?? DEFAULT_LINGER_SECONDS) * 1000;
    const timer = window.setTimeout(() => setTucked(true), linger);
    return () => window.clearTimeout(timer);
  }, [tucked, holding, newest]);

  useEffect(() => {
    let stopped = false;
    let busy = false;
    let timer: number | undefined;
    let failures = 0; // in a row: each doubles the wait, up to a minute
    const every = (config().notificationPollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
    const look = async (): Promise<void> => {
      if (busy || stopped || document.visibilityState !== "visible") return; // paused while hidden
      busy = true;
      try {
        const page = await call(api.GET("/notifications", { params: { query: { limit: PAGE } } }));
        failures = 0;
        if (!stopped) {
          take(page.items, Boolean(page.next_cursor));
          setProblem((p) => (p?.startsWith("Notifications could not") ? undefined : p));
        }
      } catch (caught) {
        failures += 1;
        if (!stopped) setProblem(`Notifications could not be checked: ${asApiError(caught).message}`);
      } finally {
        busy = false;
      }
    };
    const again = (): void => {
      const wait = Math.min(every * 2 ** failures, Math.max(every, 60_000));
      timer = window.setTimeout(() => {
        void look().finally(() => !stopped && again());
      }, wait);
    };
    const returned = (): void => {
      if (document.visibilityState === "visible") void look();
    };
    void look();
    again();
    document.addEventListener("visibilitychange", returned);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener("visibilitychange", returned);
    };
  }, []);

  const dismiss = (entry: Entry, how: "close" | "open"): void => {
    const id = entryId(entry);
    const place = shown.showing.findIndex((e) => entryId(e) === id);
    dismissed.current.add(id);
    setShown((now) => ({ ...arrange(now.showing, latest.current, dismissed.current), more: now.more }));
    if (how === "close" && box.current?.contains(document.activeElement)) {
      // keep the keyboard in the pop-ups: the next one's close button, else the app's content
      window.setTimeout(() => {
        const buttons = box.current?.querySelectorAll<HTMLButtonElement>(".note-close") ?? [];
        const next = buttons[Math.min(place, buttons.length - 1)];
        if (next) next.focus();
        else document.getElementById("main")?.focus();
      }, 0);
    }
    void call(api.POST("/notifications/{entryId}/read", { params: { path: { entryId: id } } })).catch(
      (caught: unknown) =>
        setProblem(`That notification could not be marked as read: ${asApiError(caught).message}`),
    );
  };

  const readAll = async (): Promise<void> => {
    try {
      await call(api.POST("/notifications/read-all"));
      for (const entry of [...latest.current, ...shown.showing]) dismissed.current.add(entryId(entry));
      setShown({ showing: [], waiting: 0, more: false });
      document.getElementById("main")?.focus();
    } catch (caught) {
      setProblem(`Notifications could not be marked as read: ${asApiError(caught).message}`);
    }
  };

  const unreadCount = shown.showing.length + shown.waiting;
  if (tucked && unreadCount > 0 && !problem) {
    return (
      <aside class="notes" aria-label="Notifications" ref={box}>
        <button
          type="button"
          class="button notes-pill"
          aria-expanded="false"
          onClick={() => {
            setShown((now) => ({ ...arrange([], latest.current, dismissed.current), more: now.more }));
            setTucked(false); // open again with the newest first
          }}
        >
          {unreadCount}
          {shown.more ? "+" : ""} unread {unreadCount === 1 ? "notification" : "notifications"}
        </button>
      </aside>
    );
  }
  const calm = shown.showing.filter((e) => !isProblem(e.status));
  const urgent = shown.showing.filter((e) => isProblem(e.status));
  const any = shown.showing.length > 0 || shown.waiting > 0;
  return (
    <aside
      class={`notes ${any || problem ? "" : "notes-empty"}`}
      aria-label="Notifications"
      ref={box}
      onPointerEnter={() => setHolding(true)}
      onPointerLeave={() => setHolding(false)}
      onFocusIn={() => setHolding(true)}
      onFocusOut={(event) => {
        if (!box.current?.contains(event.relatedTarget as Node | null)) setHolding(false);
      }}
    >
      <div role="alert" class="notes-list">
        {problem ? (
          <div class="note note-error note-problem">
            <div class="note-head">
              <p class="note-message">{problem}</p>
              <button
                type="button"
                class="note-close"
                aria-label="Dismiss this message"
                onClick={() => setProblem(undefined)}
              >
                ×
              </button>
            </div>
          </div>
        ) : null}
        {urgent.map((entry) => (
          <Popup key={entryId(entry)} entry={entry} onDismiss={dismiss} />
        ))}
      </div>
      <div role="status" aria-live="polite" class="notes-list">
        {calm.map((entry) => (
          <Popup key={entryId(entry)} entry={entry} onDismiss={dismiss} />
        ))}
      </div>
      {any ? (
        <div class="notes-foot">
          {shown.waiting > 0 ? (
            <a href={href("/action-log")}>
              +{shown.waiting}
              {shown.more ? " or more" : ""} more<span class="note-sr"> unread</span> in the Action Log
            </a>
          ) : null}
          <button type="button" class="button notes-hide" onClick={() => setTucked(true)}>
            Hide
          </button>
          <button type="button" class="button notes-read-all" onClick={() => void readAll()}>
            Mark all as read
          </button>
        </div>
      ) : null}
    </aside>
  );
}
