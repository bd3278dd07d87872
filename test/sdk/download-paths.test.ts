// Downloading into a directory never writes outside it, whatever the resource is called: the name is chosen by
// whoever uploaded the artifact (or by a server the client should not have to trust), so the SDK and the CLI
// reduce it to a safe base name and check that the final path is inside the directory.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeFileName, unwrap } from "@modelgraph/sdk";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { runCli, startSdkServer, unique, type SdkFixture } from "./support.ts";
import { decodeGlobalId } from "../../server/src/domain/ids.ts";

/** Every path (files and directories) under `dir`, relative to it. */
async function entriesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe("safeFileName", () => {
  it.each([
    ["..", "artifact"],
    [".", "artifact"],
    ["../x", "x"],
    ["..\\..\\x", "x"],
    ["a/b", "b"],
    ["/etc/passwd", "passwd"],
    ["dir/", "artifact"],
    ["模型.onnx", "模型.onnx"],
    ["model-🚀.bin", "model-🚀.bin"],
    ["nul\u0000byte.bin", "nul_byte.bin"],
    ["CON", "_CON"],
    ["lpt1.txt", "_lpt1.txt"],
    ["a:b*c?.bin", "a_b_c_.bin"],
    ["trailing. . ", "trailing"],
  ])("%j → %j", (name, expected) => {
    expect(safeFileName(name)).toBe(expected);
  });

  it("keeps names within 255 UTF-8 bytes without splitting a character", () => {
    const safe = safeFileName("模".repeat(200));
    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(255);
    expect(safe).toBe("模".repeat(85));
  });
});

describe.skipIf(!databaseAvailable)("downloads into a directory stay inside it", () => {
  let fx: SdkFixture;
  let root: string;
  let projectId: string;
  beforeAll(async () => {
    fx = await startSdkServer();
    root = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-download-paths-"));
    projectId = unwrap(await fx.client.createProject({ name: unique("paths") })).project.id;
  });
  afterAll(async () => {
    await fx?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  /** An artifact uploaded under `name`, with its bytes. */
  async function upload(name: string): Promise<{ id: string; bytes: Buffer }> {
    const bytes = randomBytes(1000);
    const resource = await fx.client.uploadArtifact(bytes, { projectId, name });
    return { id: resource.id, bytes };
  }

  it.each([
    ["..", "artifact"],
    [".", "artifact"],
    ["模型.onnx", "模型.onnx"],
    ["model-🚀.bin", "model-🚀.bin"],
    ["CON", "_CON"],
  ])("the SDK writes a resource named %j as %j in the directory", async (name, expected) => {
    const { id, bytes } = await upload(name);
    const parent = path.join(root, "sdk", unique("p"));
    const target = path.join(parent, "inner");
    await fs.mkdir(target, { recursive: true });
    const result = await fx.client.downloadArtifact(id, target);
    expect(result.path).toBe(path.join(target, expected));
    expect(await fs.readFile(result.path!)).toEqual(bytes);
    // Nothing else was written, inside the directory or next to it.
    expect(await entriesUnder(parent)).toEqual(["inner", path.join("inner", expected)]);
  });

  it.each(["../x", "a/b", "/etc/passwd", "../../escaped"])("a name with separators (%j) from the server cannot leave the directory", async (name) => {
    // The server refuses such names at declaration; a row of another server (or of an older version) may still
    // carry one, so the name is set in the database behind the API, as such a server would report it.
    const { id, bytes } = await upload("placeholder.bin");
    const rowId = decodeGlobalId(id)?.id;
    const renamed = await fx.server.app.db.prisma.resource.updateMany({ where: { id: rowId }, data: { name } });
    expect(renamed.count).toBe(1);
    const parent = path.join(root, "rows", unique("p"));
    const target = path.join(parent, "inner");
    await fs.mkdir(target, { recursive: true });
    const result = await fx.client.downloadArtifact(id, target);
    const expected = safeFileName(name);
    expect(result.path).toBe(path.join(target, expected));
    expect(await fs.readFile(result.path!)).toEqual(bytes);
    expect(await entriesUnder(parent)).toEqual(["inner", path.join("inner", expected)]);
  });

  it("the CLI's download --output DIR writes a resource named '..' inside DIR", async () => {
    const { id, bytes } = await upload("..");
    const parent = path.join(root, "cli", unique("p"));
    const target = path.join(parent, "out");
    await fs.mkdir(target, { recursive: true });
    const run = await runCli(["download", "--resource", id, "--output", target], { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN });
    expect(run.code, run.stderr).toBe(0);
    expect(await entriesUnder(parent)).toEqual(["out", path.join("out", "artifact")]);
    expect(createHash("sha256").update(await fs.readFile(path.join(target, "artifact"))).digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));
  });
});
