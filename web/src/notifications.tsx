// Pop-up notifications while the app is open: not built yet (the notifications area owns it).

import type { JSX } from "preact";

export function Notifications(): JSX.Element | null {
  return null;
}
