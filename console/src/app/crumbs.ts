import { createContext, useContext, useEffect } from "react";
import type { Crumb } from "../components/ui/layout";

export const CrumbsContext = createContext<(crumbs: Crumb[]) => void>(() => {});

/** Sets the header's breadcrumbs (and the document title) for the current page. */
export function useCrumbs(crumbs: Crumb[]): void {
  const set = useContext(CrumbsContext);
  const key = JSON.stringify(crumbs);
  useEffect(() => {
    set(JSON.parse(key) as Crumb[]);
    document.title = [...crumbs.map((c) => c.label)].reverse().concat("modelgraph").join(" · ");
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, set]);
}
