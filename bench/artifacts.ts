// Artifact throughput and memory (issue: artifacts). In one run, on one machine:
//   1. raw disk: write 1 GiB to a file in the same directory tree and fsync it — the physical limit;
//   2. upload the same 1 GiB through the server (PUT /artifacts/{id}, filesystem backend, verified, fsynced);
//   3. download it back (GET, hashed by the client).
// Records throughput ratios against (1) and the server's peak RSS above idle during (2) and (3).
// Run: pnpm bench:artifacts [sizeMiB]
import { createHash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { graphql, machine, recordResults, rssOf, sampleRss, startServerProcess } from "./support.ts";

const MiB = 1024 * 1024;
/** The bootstrap admin's token of the benchmarked server. */
const TOKEN = "mg_bench_artifacts_admin_token_000000001";
const auth = { authorization: `Bearer ${TOKEN}` };
const sizeMiB = Number(process.argv[2] ?? 1024);
const SIZE = sizeMiB * MiB;

/** Deterministic, incompressible-looking content: 1 MiB blocks of a xorshift stream, never all in memory. */
function content(): Readable {
  let state = 0x9e3779b9;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= SIZE) return this.push(null);
      const block = Buffer.allocUnsafe(Math.min(MiB, SIZE - sent));
      for (let i = 0; i + 4 <= block.length; i += 4) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        block.writeUInt32LE(state >>> 0, i);
      }
      sent += block.length;
      this.push(block);
    },
  });
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const mibps = (s: number) => sizeMiB / s;

const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "modelgraph-bench-"));
try {
  const sha256 = await sha256Of(content());

  // 1. Raw disk write with fsync, same file system as the server's data directory. Taken before and after the
  // server's runs; the faster of the two is the limit compared against (the machine is shared and noisy).
  const rawFile = path.join(dataDir, "raw.bin");
  const rawDiskWrite = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    await pipeline(content(), fs.createWriteStream(rawFile, { highWaterMark: MiB }));
    const fd = await fsp.open(rawFile, "r");
    await fd.sync();
    await fd.close();
    const took = seconds(start);
    await fsp.rm(rawFile);
    return took;
  };
  const rawBefore = await rawDiskWrite();
  let t: bigint;

  const server = await startServerProcess({ DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: TOKEN });
  try {
    const pid = server.child.pid!;
    const project = await graphql(server.url, `mutation { createProject(input: {name: "bench"}) { ... on CreateProjectPayload { project { id } } } }`, {}, TOKEN);
    const created = await graphql(
      server.url,
      `mutation($input: CreateResourceUploadInput!) { createResourceUpload(input: $input) { ... on CreateResourceUploadPayload { resource { id } uploadUrl } ... on Error { message } } }`,
      { input: { projectId: project.createProject.project.id, name: "weights.bin", sizeBytes: String(SIZE), sha256 } },
      TOKEN,
    );
    const { uploadUrl } = created.createResourceUpload;
    await new Promise((r) => setTimeout(r, 500));
    const idle = rssOf(pid);

    // 2. Upload through the server.
    let sampler = sampleRss(pid);
    t = process.hrtime.bigint();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(uploadUrl, { method: "PUT", headers: { "content-length": SIZE, ...auth } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      content().pipe(req);
    });
    const upload = seconds(t);
    const uploadPeak = sampler.stop();
    if (status !== 200) throw new Error(`upload answered ${status}`);

    // 3. Download through the server.
    sampler = sampleRss(pid);
    t = process.hrtime.bigint();
    const downloaded = await new Promise<string>((resolve, reject) => {
      http.get(uploadUrl, { headers: auth }, (res) => sha256Of(res).then(resolve, reject)).on("error", reject);
    });
    const download = seconds(t);
    const downloadPeak = sampler.stop();
    if (downloaded !== sha256) throw new Error("downloaded bytes differ");

    const rawAfter = await rawDiskWrite();
    const rawWrite = Math.min(rawBefore, rawAfter);
    const fmt = (n: number) => n.toFixed(2);
    const above = (peak: number) => (peak > idle ? `${fmt((peak - idle) / MiB)} MiB` : `0 MiB (peak ${fmt(peak / MiB)} MiB ≤ idle)`);
    const table = [
      `Date: ${new Date().toISOString()}  `,
      `Machine: ${machine()}  `,
      `Payload: ${sizeMiB} MiB, filesystem backend, client and server on loopback; data dir on ${dataDir.split(path.sep)[1] ? "/" + dataDir.split(path.sep)[1] : "/"}.`,
      "",
      "| step | seconds | MiB/s | ratio to raw disk write+fsync | server peak RSS above idle |",
      "|---|---|---|---|---|",
      `| raw disk write + fsync (faster of before ${fmt(rawBefore)} s / after ${fmt(rawAfter)} s) | ${fmt(rawWrite)} | ${fmt(mibps(rawWrite))} | 1.00 | – |`,
      `| upload (PUT, sha256 verified, fsync) | ${fmt(upload)} | ${fmt(mibps(upload))} | ${fmt(rawWrite / upload)} | ${above(uploadPeak)} |`,
      `| download (GET) | ${fmt(download)} | ${fmt(mibps(download))} | ${fmt(rawWrite / download)} | ${above(downloadPeak)} |`,
      "",
      `Goals: upload ≥ 0.7 × raw disk write; ≤ 64 MiB peak RSS above idle (idle RSS ${fmt(idle / MiB)} MiB, most of it the embedded PGlite).  `,
      `Machine load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`,
    ].join("\n");
    console.log(table);
    recordResults("Artifacts: 1 GiB through the server", table);
  } finally {
    await server.stop();
  }
} finally {
  await fsp.rm(dataDir, { recursive: true, force: true });
}
