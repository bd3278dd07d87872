// The frame of every signed-in page: header with breadcrumbs, the viewer and sign-out.
import type { ReactNode } from "react";
import { Link } from "wouter";
import { useAuditAccess } from "../../features/audit/api";

export interface Crumb {
  label: string;
  href?: string;
}

export function Layout({ crumbs, viewer, onSignOut, children }: { crumbs: Crumb[]; viewer: string; onSignOut: () => void; children: ReactNode }) {
  // The audit log's link only for those who may read it (instance admins, project ADMINs).
  const audit = useAuditAccess();
  return (
    <div className="frame">
      <header className="top">
        <Link href="/" className="brand">
          modelgraph
        </Link>
        <nav aria-label="Breadcrumbs" className="crumbs">
          <ol>
            {crumbs.map((crumb, i) => (
              <li key={i}>{crumb.href && i < crumbs.length - 1 ? <Link href={crumb.href}>{crumb.label}</Link> : <span aria-current="page">{crumb.label}</span>}</li>
            ))}
          </ol>
        </nav>
        <div className="who">
          {audit.data?.allowed ? (
            <Link href="/audit" className="nav-audit">
              Audit log
            </Link>
          ) : null}
          <span title="Signed in as">{viewer}</span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>{children}</main>
    </div>
  );
}
