// The model's aliases as chips; set, move or remove one where `viewerCanTransition` says so. Moves are compare-and-set
// against what the page shows (expectedVersionId: a concurrent move is reported, not overwritten). A protected alias
// only moves through an approved request, so for one the form sends a request instead.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "wouter";
import type { ConsoleModelAliasFragment } from "../../graphql/graphql";
import { formatTime } from "../../components/ui/format";
import { Empty } from "../../components/ui/states";
import { request } from "../../lib/client";
import { failureOf, RemoveAliasMutation, RequestTransitionMutation, SetAliasMutation, VersionIdQuery } from "./api";
import type { ModelPolicy } from "./stage-actions";

type Outcome = { ok: boolean; message: string };

export function Aliases({
  modelId,
  aliases,
  protectedAliases,
  policy,
  baseHref,
  onResult,
}: {
  modelId: string;
  aliases: readonly ConsoleModelAliasFragment[];
  protectedAliases: readonly string[];
  policy: ModelPolicy;
  baseHref: string;
  onResult: (message: string, ok: boolean) => void;
}) {
  const queryClient = useQueryClient();
  const done = {
    onSuccess: (outcome: Outcome) => {
      onResult(outcome.message, outcome.ok);
      void queryClient.invalidateQueries();
    },
    onError: (error: Error) => onResult(error.message, false),
  };
  const remove = useMutation({
    mutationFn: async (alias: ConsoleModelAliasFragment): Promise<Outcome> => {
      const data = await request(RemoveAliasMutation, { input: { modelId, alias: alias.name, expectedVersionId: alias.version.id } });
      const failure = failureOf(data.removeModelAlias);
      return failure ? { ok: false, message: failure } : { ok: true, message: `Removed @${alias.name}.` };
    },
    ...done,
  });
  return (
    <section aria-labelledby="aliases-title">
      <h2 id="aliases-title">Aliases</h2>
      {aliases.length === 0 ? (
        <Empty>No alias yet{policy.viewerCanTransition ? ": point one (e.g. champion) at a version below." : "."}</Empty>
      ) : (
        <ul className="alias-chips">
          {aliases.map((a) => (
            <li key={a.name} className="chip alias" data-alias={a.name} title={`Set ${formatTime(a.setAt)}${a.setBy ? ` by ${a.setBy.name}` : ""}`}>
              <span>@{a.name}</span> → <Link href={`${baseHref}/versions/${a.version.number}`}>v{a.version.number}</Link>
              {a.protected ? <span className="meta"> (protected)</span> : null}
              {policy.viewerCanTransition && !a.protected ? (
                <button type="button" className="chip-remove" aria-label={`Remove @${a.name}`} disabled={remove.isPending} onClick={() => remove.mutate(a)}>
                  ×
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {policy.viewerCanTransition ? <AliasForm modelId={modelId} aliases={aliases} protectedAliases={protectedAliases} {...done} /> : null}
    </section>
  );
}

function AliasForm({
  modelId,
  aliases,
  protectedAliases,
  onSuccess,
  onError,
}: {
  modelId: string;
  aliases: readonly ConsoleModelAliasFragment[];
  protectedAliases: readonly string[];
  onSuccess: (outcome: Outcome) => void;
  onError: (error: Error) => void;
}) {
  const id = useId();
  const [name, setName] = useState("");
  const [number, setNumber] = useState("");
  const alias = name.trim();
  const isProtected = protectedAliases.includes(alias) || aliases.some((a) => a.name === alias && a.protected);
  const current = aliases.find((a) => a.name === alias);
  const mutation = useMutation({
    mutationFn: async (): Promise<Outcome> => {
      const wanted = Number(number);
      const found = await request(VersionIdQuery, { modelId, number: wanted });
      const version = found.node && "version" in found.node ? found.node.version : null;
      if (!version) return { ok: false, message: `This model has no version v${wanted}.` };
      if (isProtected) {
        const data = await request(RequestTransitionMutation, { input: { modelVersionId: version.id, alias } });
        const failure = failureOf(data.requestModelVersionTransition);
        return failure ? { ok: false, message: failure } : { ok: true, message: `Requested @${alias} → v${wanted}: an admin must approve it.` };
      }
      const data = await request(SetAliasMutation, { input: { modelId, alias, modelVersionId: version.id, expectedVersionId: current?.version.id ?? null } });
      const failure = failureOf(data.setModelAlias);
      return failure ? { ok: false, message: failure } : { ok: true, message: `@${alias} now points at v${wanted}.` };
    },
    onSuccess: (outcome) => {
      if (outcome.ok) setName("");
      onSuccess(outcome);
    },
    onError,
  });
  return (
    <form
      className="alias-form"
      aria-label="Set or move an alias"
      onSubmit={(e) => {
        e.preventDefault();
        mutation.mutate();
      }}
    >
      <div>
        <label htmlFor={`${id}-alias`}>Alias</label>
        <input id={`${id}-alias`} list={`${id}-names`} required pattern="[a-z][a-z0-9_\-]{0,63}" title="Lower-case letters, digits, _ and -, starting with a letter" value={name} placeholder="champion" onChange={(e) => setName(e.target.value)} />
        <datalist id={`${id}-names`}>
          {[...new Set([...aliases.map((a) => a.name), ...protectedAliases])].map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </div>
      <div>
        <label htmlFor={`${id}-version`}>Version number</label>
        <input id={`${id}-version`} type="number" min={1} step={1} required value={number} placeholder="3" onChange={(e) => setNumber(e.target.value)} />
      </div>
      <button type="submit" disabled={mutation.isPending}>
        {isProtected ? "Request alias" : current ? "Move alias" : "Set alias"}
      </button>
      {current ? <p className="meta">@{alias} points at v{current.version.number} now{isProtected ? "; it is protected: an admin approves the move" : ""}.</p> : isProtected ? <p className="meta">@{alias} is protected: an admin approves the move.</p> : null}
    </form>
  );
}
