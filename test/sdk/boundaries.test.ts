// The SDK's import rules: nothing from server/ (it talks to the API only), and the portable modules (everything
// outside node/ and cli/) use web APIs only, so the same code runs in browsers.
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support.ts";

const SDK = path.join(REPO_ROOT, "sdk/src");

async function sources(): Promise<{ file: string; imports: string[] }[]> {
  const entries = await fs.readdir(SDK, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
  return Promise.all(
    files.map(async (file) => {
      const text = await fs.readFile(file, "utf8");
      const imports = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s+["']([^"']+)["']/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
      return { file: path.relative(SDK, file), imports };
    }),
  );
}

describe("SDK boundaries", () => {
  it("imports nothing from the server", async () => {
    for (const { file, imports } of await sources()) {
      for (const specifier of imports) {
        expect(specifier.includes("server/") || specifier.startsWith("@modelgraph/server"), `${file} imports ${specifier}`).toBe(false);
      }
    }
  });

  it("keeps Node-only modules (node:*, ws, tsx) in node/ and cli/", async () => {
    const portable = (await sources()).filter(({ file }) => !file.startsWith(`node${path.sep}`) && !file.startsWith(`cli${path.sep}`));
    expect(portable.map((s) => s.file)).toContain("client.ts");
    for (const { file, imports } of portable) {
      for (const specifier of imports) {
        const nodeOnly = specifier.startsWith("node:") || specifier === "ws" || specifier === "tsx" || specifier.startsWith("tsx/") || specifier.includes("/node/") || specifier.startsWith("./cli/");
        expect(nodeOnly, `${file} imports ${specifier}`).toBe(false);
      }
    }
  });
});
