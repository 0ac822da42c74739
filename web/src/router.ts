// Screens are addressed by the URL's fragment (#/tasks?status=failed): the page itself is one
// file, so the host serves it at one path, and no route of the app can shadow one of the API's.

import { useEffect, useState } from "preact/hooks";

export interface Route {
  path: string; // "/tasks/abc", without the query
  parts: string[]; // ["tasks", "abc"], each decoded
  query: URLSearchParams;
}

export function current(): Route {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [path = "/", search = ""] = raw.split("?", 2);
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { path, parts, query: new URLSearchParams(search) };
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ""}`;
}

export function navigate(path: string, query?: Record<string, string | undefined>): void {
  window.location.hash = href(path, query);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const follow = (): void => setRoute(current());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return route;
}
