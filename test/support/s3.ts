// An S3-speaking server on 127.0.0.1 for tests: s3rver (a real S3 HTTP implementation on the filesystem),
// behind a small shim for the three S3 calls it lacks and that the minio client makes, each answered from the
// multipart uploads s3rver keeps on disk (`._S3rver_uploads/<uploadId>/{key,1,1.md5,…}`):
// - ListMultipartUploads (GET /<bucket>?uploads&prefix=…), which minio sends before every multipart upload and
//   the server's sweeper uses to find abandoned ones;
// - ListParts (GET /<bucket>/<key>?uploadId=…), which the server uses to complete presigned multipart
//   uploads (the client PUT the parts, so only the object store knows their ETags);
// - AbortMultipartUpload (DELETE /<bucket>/<key>?uploadId=…), with which the server discards abandoned ones.
// Everything else (signatures, presigned URLs, objects, multipart parts and completion) is s3rver's.
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";

export const S3_TEST_ACCESS_KEY = "S3RVER";
export const S3_TEST_SECRET_KEY = "S3RVER";

export interface TestS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  /** Environment for startTestServer: S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION. */
  env: Record<string, string>;
  /** Where s3rver keeps its files. */
  directory: string;
  /** Object keys currently in the bucket (s3rver's files, without its bookkeeping). */
  listKeys(prefix?: string): Promise<string[]>;
  /** Multipart uploads started but neither completed nor aborted. */
  listOpenMultipartUploads(): Promise<string[]>;
  /** How many parts an open multipart upload has received (0 when it does not exist). */
  countParts(uploadId: string): Promise<number>;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sendXml(res: http.ServerResponse, body: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(200, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
  res.end(xml);
}

/** Starts s3rver (silent, data in a fresh temp dir) behind the shim, on a free port of 127.0.0.1. */
export async function startTestS3(bucket = `mg-${randomUUID().slice(0, 8)}`): Promise<TestS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-s3rver-"));
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const uploadsDir = (b: string) => path.join(directory, b, "._S3rver_uploads");

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const segments = url.pathname.split("/").filter(Boolean);
    if (req.method === "GET" && segments.length === 1 && url.searchParams.has("uploads")) {
      void listUploads(res, decodeURIComponent(segments[0]!), url.searchParams.get("prefix") ?? "");
      return;
    }
    if (req.method === "DELETE" && segments.length >= 2 && url.searchParams.has("uploadId")) {
      void abortUpload(res, decodeURIComponent(segments[0]!), url.searchParams.get("uploadId")!);
      return;
    }
    if (req.method === "GET" && segments.length >= 2 && url.searchParams.has("uploadId") && !url.searchParams.has("partNumber")) {
      void listParts(res, decodeURIComponent(segments[0]!), segments.slice(1).map(decodeURIComponent).join("/"), url.searchParams.get("uploadId")!);
      return;
    }
    handle(req, res);
  });

  async function listUploads(res: http.ServerResponse, b: string, prefix: string): Promise<void> {
    const ids = await fs.readdir(uploadsDir(b)).catch(() => [] as string[]);
    const uploads = await Promise.all(
      ids.map(async (id) => {
        const dir = path.join(uploadsDir(b), id);
        const [key, stat] = await Promise.all([fs.readFile(path.join(dir, "key"), "utf8").catch(() => null), fs.stat(dir).catch(() => null)]);
        return key !== null && stat && key.startsWith(prefix)
          ? `<Upload><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(id)}</UploadId><StorageClass>STANDARD</StorageClass>` +
              `<Initiated>${stat.birthtime.toISOString()}</Initiated></Upload>`
          : "";
      }),
    );
    sendXml(
      res,
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(b)}</Bucket>` +
        `<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker></NextKeyMarker>` +
        `<NextUploadIdMarker></NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
        `${uploads.join("")}</ListMultipartUploadsResult>`,
    );
  }

  async function abortUpload(res: http.ServerResponse, b: string, uploadId: string): Promise<void> {
    const dir = path.join(uploadsDir(b), path.basename(uploadId));
    const found = await fs.stat(dir).then(() => true, () => false);
    if (!found) {
      res.writeHead(404, { "content-type": "application/xml" });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`);
      return;
    }
    await fs.rm(dir, { recursive: true, force: true });
    res.writeHead(204);
    res.end();
  }

  async function listParts(res: http.ServerResponse, b: string, key: string, uploadId: string): Promise<void> {
    const dir = path.join(uploadsDir(b), path.basename(uploadId));
    const names = await fs.readdir(dir).catch(() => null);
    if (!names) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
      res.writeHead(404, { "content-type": "application/xml" });
      res.end(xml);
      return;
    }
    const numbers = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((x, y) => x - y);
    const parts = await Promise.all(
      numbers.map(async (n) => {
        // A part still arriving has no checksum file yet: it is not a part so far.
        const [stat, md5] = await Promise.all([fs.stat(path.join(dir, String(n))), fs.readFile(path.join(dir, `${n}.md5`), "utf8")]).catch(() => [null, null]);
        if (!stat || md5 === null) return "";
        return `<Part><PartNumber>${n}</PartNumber><LastModified>${stat.mtime.toISOString()}</LastModified>` +
          `<ETag>&quot;${md5.trim()}&quot;</ETag><Size>${stat.size}</Size></Part>`;
      }),
    );
    sendXml(
      res,
      `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(b)}</Bucket><Key>${xmlEscape(key)}</Key>` +
        `<UploadId>${xmlEscape(uploadId)}</UploadId><PartNumberMarker>0</PartNumberMarker><MaxParts>10000</MaxParts>` +
        `<IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bucketDir = path.join(directory, bucket);

  return {
    endpoint,
    bucket,
    directory,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY: S3_TEST_ACCESS_KEY,
      S3_SECRET_KEY: S3_TEST_SECRET_KEY,
      S3_REGION: "us-east-1",
    },
    async listKeys(prefix = "") {
      // s3rver stores object "a/b/c" as the file a/b/c._S3rver_object (plus metadata files beside it).
      const entries = await fs.readdir(bucketDir, { recursive: true }).catch(() => [] as string[]);
      return entries
        .filter((e) => e.endsWith("._S3rver_object"))
        .map((e) => e.slice(0, -"._S3rver_object".length).split(path.sep).join("/"))
        .filter((k) => k.startsWith(prefix))
        .sort();
    },
    async listOpenMultipartUploads() {
      return (await fs.readdir(uploadsDir(bucket)).catch(() => [] as string[])).sort();
    },
    async countParts(uploadId) {
      const names = await fs.readdir(path.join(uploadsDir(bucket), path.basename(uploadId))).catch(() => [] as string[]);
      return names.filter((n) => /^\d+\.md5$/.test(n)).length;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      // s3rver's own close() would do this for a server it started itself: release its winston logger.
      const logger = (s3rver as unknown as { logger?: { exceptions?: { unhandle(): void }; close(): void } }).logger;
      logger?.exceptions?.unhandle();
      logger?.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
