import path from "node:path";
import type { Config } from "../config.ts";
import { FilesystemStore } from "./filesystem.ts";
import { S3Store } from "./s3.ts";
import type { ArtifactStore } from "./store.ts";

/** The artifact store the configuration names: S3 when S3_ENDPOINT is set, else the filesystem. */
export async function openArtifactStore(config: Pick<Config, "s3" | "dataDir">): Promise<ArtifactStore> {
  const store = config.s3 ? new S3Store(config.s3) : new FilesystemStore(path.join(config.dataDir, "artifacts"));
  await store.init();
  return store;
}
