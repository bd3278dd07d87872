// Test data built through the public GraphQL API, never by writing to the database.
import { randomUUID } from "node:crypto";
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

export async function createResource(client: GraphQLClient, projectId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; status: string }> {
  const input = { projectId, name: "model.onnx", sizeBytes: "3", sha256: "a".repeat(64), ...extra };
  return (await mutate(client, "createResourceUpload", "CreateResourceUploadInput", input, "resource { id status }")).resource;
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
