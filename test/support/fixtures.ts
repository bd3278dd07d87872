// Test data built through the public GraphQL API, never by writing to the database.
import { createHash, randomUUID } from "node:crypto";
import type { GraphQLClient } from "./client.ts";

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Runs a mutation and returns its payload; an error result fails loudly with its message. */
export async function mutate<T = any>(client: GraphQLClient, field: string, inputType: string, input: Record<string, unknown>, selection: string): Promise<T> {
  const payloadType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Payload`;
  const data = await client.request(
    `mutation($input: ${inputType}!) { result: ${field}(input: $input) { __typename ... on ${payloadType} { ${selection} } ... on Error { message } } }`,
    { input },
  );
  if (data.result.__typename !== payloadType) {
    throw new Error(`${field} returned ${data.result.__typename}: ${data.result.message}`);
  }
  return data.result as T;
}

export async function createProject(client: GraphQLClient, name = uniqueName("proj")): Promise<{ id: string; name: string }> {
  return (await mutate(client, "createProject", "CreateProjectInput", { name }, "project { id name }")).project;
}

export async function createModel(client: GraphQLClient, projectId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const input = { projectId, name: uniqueName("model"), ...extra };
  return (await mutate(client, "createModel", "CreateModelInput", input, "model { id name }")).model;
}

export async function createExperiment(client: GraphQLClient, projectId: string, name = uniqueName("exp")): Promise<{ id: string; name: string }> {
  return (await mutate(client, "createExperiment", "CreateExperimentInput", { projectId, name }, "experiment { id name }")).experiment;
}

export async function createIteration(client: GraphQLClient, experimentId: string, params: { key: string; value: string }[] = []): Promise<{ id: string; number: number }> {
  return (await mutate(client, "createIteration", "CreateIterationInput", { experimentId, params }, "iteration { id number }")).iteration;
}

export async function createVersion(client: GraphQLClient, modelId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; number: number; stage: string }> {
  return (await mutate(client, "createModelVersion", "CreateModelVersionInput", { modelId, ...extra }, "modelVersion { id number stage }")).modelVersion;
}

/**
 * Declares a resource and, unless `upload: false`, streams its bytes to the returned uploadUrl so it is READY.
 * `bytes` defaults to a small unique payload; `extra` overrides input fields (e.g. a wrong sha256).
 */
export async function createResource(
  client: GraphQLClient,
  projectId: string,
  { bytes = Buffer.from(`artifact ${randomUUID()}`), upload = true, ...extra }: { bytes?: Buffer; upload?: boolean } & Record<string, unknown> = {},
): Promise<{ id: string; status: string; sha256: string; uploadUrl: string }> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const input = { projectId, name: "model.onnx", sizeBytes: String(bytes.length), sha256, ...extra };
  const result = await mutate(client, "createResourceUpload", "CreateResourceUploadInput", input, "resource { id status sha256 } uploadUrl");
  if (!upload) return { ...result.resource, uploadUrl: result.uploadUrl };
  const response = await fetch(result.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: client.authHeaders });
  const body = (await response.json()) as { resource?: { status: string }; error?: { type: string; message: string } };
  if (!response.ok) throw new Error(`upload failed: ${response.status} ${JSON.stringify(body)}`);
  return { ...result.resource, status: body.resource!.status, uploadUrl: result.uploadUrl };
}

/** Moves a version; returns the whole result so callers can assert on errors too. */
export async function transition(client: GraphQLClient, input: { modelVersionId: string; stage: string; expectedStage?: string; archiveExisting?: boolean; comment?: string }) {
  const data = await client.request(
    `mutation($input: TransitionModelVersionStageInput!) {
      result: transitionModelVersionStage(input: $input) {
        __typename
        ... on TransitionModelVersionStagePayload { modelVersion { id number stage } archivedVersions { id number stage } transition { id fromStage toStage cause } }
        ... on Error { message }
      }
    }`,
    { input },
  );
  return data.result;
}

/** A new user (through the admin `client`) with a token of their own, optionally a member of `projectId`. */
export async function createUserWithToken(
  client: GraphQLClient,
  membership?: { projectId: string; role: "VIEWER" | "EDITOR" | "ADMIN" },
): Promise<{ userId: string; token: string; client: GraphQLClient }> {
  const user = (await mutate(client, "createUser", "CreateUserInput", { name: uniqueName("user") }, "user { id }")).user;
  const { token } = await mutate(client, "createApiToken", "CreateApiTokenInput", { name: "test", userId: user.id }, "token");
  if (membership) await mutate(client, "addProjectMember", "AddProjectMemberInput", { ...membership, userId: user.id }, "project { id }");
  return { userId: user.id, token, client: client.as(token) };
}
