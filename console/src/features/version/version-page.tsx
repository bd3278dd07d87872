// The route of a version. The page (version-view.tsx) and its graph libraries load on the first visit to a version,
// so the other pages' first load carries none of them.
import { lazy, Suspense } from "react";
import { Loading } from "../../components/ui/states";

const VersionView = lazy(() => import("./version-view"));

export function VersionPage() {
  return (
    <Suspense fallback={<Loading what="the version page" />}>
      <VersionView />
    </Suspense>
  );
}
