// Unsaved changes: a link followed inside the app asks first (closing or reloading the store
// page gets the browser's own question). The browser's Back button is not asked about.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Dialog } from "../../ui";

export function LeaveGuard(props: { dirty: boolean }): JSX.Element {
  const [leaving, setLeaving] = useState<string | undefined>(undefined);

  useEffect(() => {
    if (!props.dirty) return;
    const warn = (event: BeforeUnloadEvent): void => event.preventDefault();
    const ask = (event: MouseEvent): void => {
      const link = (event.target as Element | null)?.closest?.("a[href^='#']");
      const target = link?.getAttribute("href");
      if (!target || target === window.location.hash || link?.closest("dialog")) return;
      event.preventDefault();
      event.stopPropagation();
      setLeaving(target);
    };
    window.addEventListener("beforeunload", warn);
    document.addEventListener("click", ask, true); // before the link (and the menus) see it
    return () => {
      window.removeEventListener("beforeunload", warn);
      document.removeEventListener("click", ask, true);
    };
  }, [props.dirty]);

  return (
    <Dialog title="Leave without saving?" open={leaving !== undefined} onClose={() => setLeaving(undefined)}>
      <p>Your changes to the settings are not saved yet.</p>
      <div class="settings-buttons">
        <button type="button" class="button button-primary" onClick={() => setLeaving(undefined)}>
          Stay on Settings
        </button>
        <a
          class="button"
          href={leaving}
          onClick={() => setLeaving(undefined)}
        >
          Leave without saving
        </a>
      </div>
    </Dialog>
  );
}
