// The compare page's one request: up to MAX_COMPARED versions of a model, each an aliased `version(number:)` of the
// same fragment, skipped with @include when its slot is unused. One round trip for any selection, fully typed.
import { graphql } from "../../graphql";
import type { CompareVersionFragment, ConsoleCompareVersionsQuery, ConsoleCompareVersionsQueryVariables } from "../../graphql/graphql";
import { request } from "../../lib/client";

/** Versions one comparison holds (the document has this many slots). */
export const MAX_COMPARED = 8;

graphql(`
  fragment CompareVersion on ModelVersion {
    id
    number
    stage
    description
    createdAt
    aliases
    metrics {
      name
      value
    }
    tags {
      key
      value
    }
    iteration {
      id
      number
      status
      params {
        key
        value
      }
      experiment {
        id
        name
      }
    }
    resource {
      id
      name
      sizeBytes
      sha256
      format
      status
    }
  }
`);

const CompareVersionsQuery = graphql(`
  query ConsoleCompareVersions(
    $project: String!
    $model: String!
    $n0: Int
    $n1: Int
    $n2: Int
    $n3: Int
    $n4: Int
    $n5: Int
    $n6: Int
    $n7: Int
    $i0: Boolean!
    $i1: Boolean!
    $i2: Boolean!
    $i3: Boolean!
    $i4: Boolean!
    $i5: Boolean!
    $i6: Boolean!
    $i7: Boolean!
  ) {
    project(by: { name: $project }) {
      id
      eventCursor
      model(name: $model) {
        id
        name
        versions(first: 100) {
          totalCount
          nodes {
            number
            stage
          }
        }
        v0: version(number: $n0) @include(if: $i0) {
          ...CompareVersion
        }
        v1: version(number: $n1) @include(if: $i1) {
          ...CompareVersion
        }
        v2: version(number: $n2) @include(if: $i2) {
          ...CompareVersion
        }
        v3: version(number: $n3) @include(if: $i3) {
          ...CompareVersion
        }
        v4: version(number: $n4) @include(if: $i4) {
          ...CompareVersion
        }
        v5: version(number: $n5) @include(if: $i5) {
          ...CompareVersion
        }
        v6: version(number: $n6) @include(if: $i6) {
          ...CompareVersion
        }
        v7: version(number: $n7) @include(if: $i7) {
          ...CompareVersion
        }
      }
    }
  }
`);

type Model = NonNullable<NonNullable<ConsoleCompareVersionsQuery["project"]>["model"]>;
const SLOTS = ["v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"] as const satisfies readonly (keyof Model)[];

export interface Compared {
  projectId: string;
  eventCursor: string;
  model: { id: string; name: string; versionCount: number; recent: Model["versions"]["nodes"] } | null;
  /** In the order asked; null where no live version has that number. */
  versions: { number: number; version: CompareVersionFragment | null }[];
}

/** Fetches `numbers` (at most MAX_COMPARED) of a model in one request; null when the project is not visible. */
export async function fetchCompared(project: string, model: string, numbers: readonly number[]): Promise<Compared | null> {
  const asked = numbers.slice(0, MAX_COMPARED);
  const n = (i: number) => asked[i] ?? null;
  const on = (i: number) => i < asked.length;
  const variables: ConsoleCompareVersionsQueryVariables = {
    project,
    model,
    n0: n(0), n1: n(1), n2: n(2), n3: n(3), n4: n(4), n5: n(5), n6: n(6), n7: n(7),
    i0: on(0), i1: on(1), i2: on(2), i3: on(3), i4: on(4), i5: on(5), i6: on(6), i7: on(7),
  };
  const data = await request(CompareVersionsQuery, variables);
  if (!data.project) return null;
  const found = data.project.model;
  return {
    projectId: data.project.id,
    eventCursor: data.project.eventCursor,
    model: found ? { id: found.id, name: found.name, versionCount: found.versions.totalCount, recent: found.versions.nodes } : null,
    versions: asked.map((number, i) => ({ number, version: found ? (found[SLOTS[i]!] ?? null) : null })),
  };
}
