// Hash routes (`#/decisions/ID`), so that links from notifications open a view without any server-side routing.
import { useEffect, useState } from "preact/hooks";

export interface Route {
  view: string;
  id?: string;
}

export function parseRoute(hash: string): Route {
  const [view = "decisions", id] = hash.replace(/^#\/?/, "").split("/").map((part) => decodeURIComponent(part));
  return { view: view || "decisions", ...(id ? { id } : {}) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export const href = (view: string, id?: string): string => `#/${view}${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
