// Model URIs: the pure parser (a table of valid and malformed URIs) and `client.resolveModelUri` against a real
// server for every form — @alias, @latest, /<number>, /<STAGE> — and the typed not-found naming the URI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatModelUri, ModelgraphError, ModelUriError, parseModelUri, unwrap } from "@modelgraph/sdk";
import { databaseAvailable } from "../support/server.ts";
import { projectWithModel, startSdkServer, type SdkFixture } from "./support.ts";

describe("parseModelUri", () => {
  it.each([
    ["models:/vision/resnet@champion", { project: "vision", model: "resnet", selector: { kind: "alias", alias: "champion" } }],
    ["models:/vision/resnet@latest", { project: "vision", model: "resnet", selector: { kind: "alias", alias: "latest" } }],
    ["models:/vision/resnet@eu-prod_2", { project: "vision", model: "resnet", selector: { kind: "alias", alias: "eu-prod_2" } }],
    ["models:/vision/resnet/3", { project: "vision", model: "resnet", selector: { kind: "number", number: 3 } }],
    ["models:/Vision-1/Res_Net/42", { project: "Vision-1", model: "Res_Net", selector: { kind: "number", number: 42 } }],
    ["models:/vision/resnet/PRODUCTION", { project: "vision", model: "resnet", selector: { kind: "stage", stage: "PRODUCTION" } }],
    ["models:/vision/resnet/STAGING", { project: "vision", model: "resnet", selector: { kind: "stage", stage: "STAGING" } }],
    ["models:/vision/resnet/NONE", { project: "vision", model: "resnet", selector: { kind: "stage", stage: "NONE" } }],
    ["models:/vision/resnet/ARCHIVED", { project: "vision", model: "resnet", selector: { kind: "stage", stage: "ARCHIVED" } }],
  ] as const)("parses %s", (uri, expected) => {
    const parsed = parseModelUri(uri);
    expect(parsed).toEqual({ ...expected, uri });
    expect(formatModelUri(parsed)).toBe(uri);
  });

  it.each([
    ["vision/resnet@champion", "must start with"],
    ["models://vision/resnet/1", "empty or missing part"],
    ["models:/vision", "empty or missing part"],
    ["models:/vision/resnet", "names no version"],
    ["models:/vision/resnet/", "empty or missing part"],
    ["models:/vision/resnet@", "alias after @ is empty"],
    ["models:/vision/@champion", "model name is empty"],
    ["models:/vision/resnet@Champion", 'alias "Champion" is not a valid alias'],
    ["models:/vision/resnet/production", "must be written in upper case: PRODUCTION"],
    ["models:/vision/resnet/0", "neither a version number"],
    ["models:/vision/resnet/-1", "neither a version number"],
    ["models:/vision/resnet/1.5", "neither a version number"],
    ["models:/vision/resnet/LIVE", "neither a version number"],
    ["models:/vision/resnet@champion/3", "names the version twice"],
    ["models:/vision/resnet/3/4", "at most 3"],
    ["models:/vi sion/resnet/3", 'project name "vi sion"'],
    ["models:/vision/res.net/3", 'model name "res.net"'],
  ])("refuses %s (%s)", (uri, reason) => {
    let error: unknown;
    try {
      parseModelUri(uri);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelUriError);
    expect(error).toBeInstanceOf(ModelgraphError);
    const e = error as ModelUriError;
    expect(e.uri).toBe(uri);
    expect(e.reason).toContain(reason);
    expect(e.message).toContain(JSON.stringify(uri));
    expect(e.is("ValidationError")).toBe(true);
    if (e.is("ValidationError")) expect(e.error.issues).toEqual([{ path: ["uri"], message: e.reason }]);
  });
});

describe.skipIf(!databaseAvailable)("client.resolveModelUri", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("resolves @alias, @latest, /<number> and /<STAGE>, and names the URI when nothing matches", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const v1 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    const v2 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    const v3 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    unwrap(await fx.client.setModelAlias({ modelId: model.id, alias: "champion", modelVersionId: v1.id }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2.id, stage: "STAGING" }));
    const base = `models:/${project.name}/${model.name}`;

    const resolved = async (uri: string) => (await fx.client.resolveModelUri(uri)).id;
    expect(await resolved(`${base}@champion`)).toBe(v1.id);
    expect(await resolved(`${base}@latest`)).toBe(v3.id);
    expect(await resolved(`${base}/2`)).toBe(v2.id);
    expect(await resolved(`${base}/STAGING`)).toBe(v2.id);
    expect(await resolved(`${base}/NONE`)).toBe(v3.id);
    expect((await fx.client.resolveModelUri(parseModelUri(`${base}/1`))).id).toBe(v1.id);

    // Moving the alias moves what the URI names.
    unwrap(await fx.client.setModelAlias({ modelId: model.id, alias: "champion", modelVersionId: v2.id, expectedVersionId: v1.id }));
    expect(await resolved(`${base}@champion`)).toBe(v2.id);

    const notFound = async (uri: string, kind: string) => {
      const error = await fx.client.resolveModelUri(uri).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, uri).toBeInstanceOf(ModelgraphError);
      const e = error as ModelgraphError;
      expect(e.is("NotFoundError"), uri).toBe(true);
      if (e.is("NotFoundError")) expect(e.error).toMatchObject({ kind, ref: uri });
      expect(e.message).toContain(uri);
    };
    await notFound(`${base}/PRODUCTION`, "ModelVersion"); // a stage no version holds
    await notFound(`${base}/ARCHIVED`, "ModelVersion");
    await notFound(`${base}/9`, "ModelVersion");
    await notFound(`${base}@canary`, "ModelVersion");
    await notFound(`models:/${project.name}/no-such-model@latest`, "Model");
    await notFound(`models:/no-such-project-x/${model.name}/1`, "Model");

    await expect(fx.client.resolveModelUri(`${base}/staging`)).rejects.toBeInstanceOf(ModelUriError);
  });
});
