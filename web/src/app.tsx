// The app's frame: the header with the main navigation and the gear menu, the screen the route
// names, and the pop-up notifications. Until the store hands over a session, it says so.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { Notifications } from "./notifications";
import { href, useRoute } from "./router";
import { GEAR_MENU, MAIN_NAV, SCREENS } from "./screens";
import { currentToken, framed, onSession } from "./session";
import { Notice, Page } from "./ui";

function GearMenu(props: { path: string }): JSX.Element {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => setOpen(false), [props.path]);
  const escape = (event: KeyboardEvent): void => {
    if (event.key !== "Escape") return;
    // Escape from one of the menu's links: focus goes back to the gear, not to the page
    // (the link it was on is hidden)
    if (box.current?.contains(document.activeElement)) button.current?.focus();
    setOpen(false);
  };
  useEffect(() => {
    if (!open) return;
    const away = (event: Event): void => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    // Focus elsewhere (opened by mouse): Escape anywhere closes it. Focus in the gear is handled
    // by its own keydown at once, before this effect (run after paint) may be listening.
    document.addEventListener("click", away);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("click", away);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);
  return (
    <div
      class="gear"
      ref={box}
      onKeyDown={(event) => {
        if (open && event.key === "Escape") {
          event.stopPropagation();
          escape(event);
        }
      }}
    >
      <button
        type="button"
        class="gear-button"
        ref={button}
        aria-label="Settings and mapping"
        aria-expanded={open}
        aria-controls="gear-menu"
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            fill="currentColor"
            d="M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.4-2.5 1a7.3 7.3 0 0 0-1.7-1L15 3.3h-4l-.4 2.7a7.3 7.3 0 0 0-1.7 1l-2.5-1-2 3.4L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.4 2.5-1a7.3 7.3 0 0 0 1.7 1l.4 2.7h4l.4-2.7a7.3 7.3 0 0 0 1.7-1l2.5 1 2-3.4L19.4 13zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z"
            transform="translate(-1 0)"
          />
        </svg>
      </button>
      <ul id="gear-menu" class="gear-menu" hidden={!open}>
        {GEAR_MENU.map((item) => (
          <li key={item.path}>
            <a href={href(item.path)}>{item.label}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Waiting(): JSX.Element {
  return (
    <main id="main" class="main">
      <Page title="Xero integration">
        {framed() ? (
          <Notice kind="info">Waiting for the store to hand over your session…</Notice>
        ) : (
          <Notice kind="warning">
            Open the Xero integration from the store: it hands the app your session. (Running it
            locally? <code>make dev</code> prints the store page to open.)
          </Notice>
        )}
      </Page>
    </main>
  );
}

export function App(): JSX.Element {
  const route = useRoute();
  const [session, setSession] = useState(currentToken() !== null);
  useEffect(() => {
    const stop = onSession((token) => token !== null && setSession(true));
    if (currentToken() !== null) setSession(true); // handed over before this effect ran
    return stop;
  }, []);
  const first = route.parts[0] ?? "";
  const Screen = SCREENS[first];
  const inMain = (path: string): boolean =>
    path === "/" ? first === "" : first === path.slice(1);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header class="bar">
        <a class="product" href={href("/")}>
          <span class="product-mark" aria-hidden="true">x</span> Xero integration
        </a>
        <nav class="nav" aria-label="Main">
          <ul>
            {MAIN_NAV.map((item) => (
              <li key={item.path}>
                <a href={href(item.path)} aria-current={inMain(item.path) ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <GearMenu path={route.path} />
      </header>
      {session ? (
        <main id="main" class="main" tabIndex={-1} data-session="">
          {Screen ? (
            <Screen route={route} />
          ) : (
            <Page title="Not found">
              <p>
                There is no screen at <code>{route.path}</code>. <a href={href("/")}>Back to the dashboard</a>.
              </p>
            </Page>
          )}
        </main>
      ) : (
        <Waiting />
      )}
      {session ? <Notifications /> : null}
    </>
  );
}
