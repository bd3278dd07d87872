// The app: session state, the query cache and the routes. Signed out (or once a request finds the session ended),
// every URL shows the sign-in page, which returns to the URL afterwards.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { Route, Switch, useLocation } from "wouter";
import { Layout, type Crumb } from "../components/ui/layout";
import { Loading } from "../components/ui/states";
import { ModelPage } from "../features/model/model-page";
import { ModelsPage } from "../features/models/models-page";
import { ProjectsPage } from "../features/projects/projects-page";
import { SignInPage } from "../features/sign-in/sign-in-page";
import { VersionPage } from "../features/version/version-page";
import { onSessionEnded, SessionEndedError } from "../lib/client";
import { currentSession, signOut } from "../lib/session";
import { CrumbsContext } from "./crumbs";

// Pages off the main path load on first visit, so the model page's first load does not carry them.
const ComparePage = lazy(() => import("../features/compare/compare-page").then((m) => ({ default: m.ComparePage })));
const AuditPage = lazy(() => import("../features/audit/audit-page").then((m) => ({ default: m.AuditPage })));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: (count, error) => !(error instanceof SessionEndedError) && count < 1, refetchOnWindowFocus: false, staleTime: 5_000 },
  },
});

type Session = { state: "checking" } | { state: "in"; viewer: string } | { state: "out"; message: string };

export function App() {
  const [session, setSession] = useState<Session>({ state: "checking" });
  const [crumbs, setCrumbs] = useState<Crumb[]>([]);
  const [location, navigate] = useLocation();

  const check = useCallback(() => {
    currentSession()
      .then((session) => setSession(session.viewer ? { state: "in", viewer: session.viewer.name } : { state: "out", message: session.message }))
      .catch((error: unknown) => setSession({ state: "out", message: `The server cannot be reached: ${(error as Error).message}` }));
  }, []);

  useEffect(check, [check]);
  useEffect(
    () =>
      onSessionEnded((error) => {
        queryClient.clear();
        setSession({ state: "out", message: error.message });
      }),
    [],
  );

  if (session.state === "checking") return <Loading what="the console" />;
  if (session.state === "out") {
    return (
      <SignInPage
        message={session.message}
        onSignedIn={(name) => {
          setSession({ state: "in", viewer: name });
          if (location === "/sign-in") navigate("/");
        }}
      />
    );
  }
  const leave = () => {
    void signOut().finally(() => {
      queryClient.clear();
      setSession({ state: "out", message: "You have signed out." });
    });
  };
  return (
    <QueryClientProvider client={queryClient}>
      <CrumbsContext.Provider value={setCrumbs}>
        <Layout crumbs={crumbs} viewer={session.viewer} onSignOut={leave}>
          <Suspense fallback={<Loading what="the page" />}>
            <Switch>
              <Route path="/" component={ProjectsPage} />
              <Route path="/sign-in" component={ProjectsPage} />
              <Route path="/projects/:project" component={ModelsPage} />
              <Route path="/projects/:project/models/:model" component={ModelPage} />
              <Route path="/projects/:project/models/:model/versions/:number" component={VersionPage} />
              <Route path="/projects/:project/models/:model/compare" component={ComparePage} />
              <Route path="/audit" component={AuditPage} />
              <Route>
                <p className="state error" role="alert">
                  There is no page at {location}.
                </p>
              </Route>
            </Switch>
          </Suspense>
        </Layout>
      </CrumbsContext.Provider>
    </QueryClientProvider>
  );
}
