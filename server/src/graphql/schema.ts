// The schema: importing each feature file registers its types on the builder.
import { builder } from "./builder.ts";
import { compactConnectionCursors } from "./cursors.ts";
import { countResponseBytes } from "./limits.ts";
import { routeMetricOrders } from "./versions.ts";
import "./common.ts";
import "./errors.ts";
import "./users.ts";
import "./projects.ts";
import "./experiments.ts";
import "./models.ts";
import "./versions.ts";
import "./approvals.ts";
import "./aliases.ts";
import "./deployments.ts";
import "./policies.ts";
import "./resources.ts";
import "./access.ts";
import "./events.ts";
import "./webhooks.ts";
import "./tags.ts";

builder.queryType({ description: "Reads." });
builder.mutationType({ description: "Writes: one input, a result union of payload and errors." });
builder.subscriptionType({ description: "Live events, resumable from a cursor (graphql-ws or SSE)." });

// Fields count the bytes they add to a response, so one over GRAPHQL_MAX_RESPONSE_BYTES is refused, not built;
// connection cursors are answered in their short form (cursors.ts).
export const schema = routeMetricOrders(compactConnectionCursors(countResponseBytes(builder.toSchema({ sortSchema: true }))));
