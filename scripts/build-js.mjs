// `pnpm build` (and the root `prepare`, so every `pnpm install`): compiles the SDK with its CLI (sdk/dist) and the
// server (server/dist) to JavaScript with tsc, then prepares the migrated empty PGlite database that a fresh
// DATA_DIR copies (server/src/db/pglite-template.ts), and the web console when stale (so `pnpm start` after an
// install only checks it). See scripts/compiled.mjs for when the compiled code runs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "./compiled.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let tsc;
try {
  tsc = createRequire(path.join(root, "package.json")).resolve("typescript/bin/tsc");
} catch {
  // An install without dev dependencies (e.g. the server image): the bins then run the TypeScript sources.
  console.warn("build: typescript is not installed; skipping (the bins run the TypeScript sources)");
  process.exit(0);
}
/**
 * The CLI also as one minified ESM file (sdk/dist/cli/bundle.js, what bin.js runs): Node then parses one file with
 * only the parts of graphql it uses (its ESM build, tree-shaken) instead of loading ~100 modules (whoami: about half
 * the CPU of the tsc output). Written after the tsc output, so the stamp (taken before) still dates it.
 */
async function bundleCli() {
  let esbuild;
  try {
    esbuild = await import(createRequire(path.join(root, "package.json")).resolve("esbuild"));
  } catch {
    return; // bin.js falls back to the tsc output
  }
  await esbuild.build({
    entryPoints: [path.join(root, "sdk", "src", "cli", "main.ts")],
    outfile: path.join(root, "sdk", "dist", "cli", "bundle.js"),
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    // ws is CommonJS and calls require() for Node's modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [printedDocuments()],
    logLevel: "warning",
  });
}
/**
 * The server also as one ESM file (server/dist/bundle/main.js, what server/bin.js runs): a start then reads and
 * compiles one file instead of resolving and loading ~700 modules (about a second of a restart's CPU). Same depth as
 * server/dist/db/, so the paths the modules derive from import.meta.url (prisma/migrations, console/dist,
 * node_modules/.cache) still hold. PGlite stays external: it finds its WebAssembly and data files beside its own
 * module. Written after the tsc output, so the stamp (taken before) dates it too.
 */
async function bundleServer() {
  let esbuild;
  try {
    esbuild = await import(createRequire(path.join(root, "package.json")).resolve("esbuild"));
  } catch {
    return; // bin.js falls back to the tsc output
  }
  await esbuild.build({
    entryPoints: [path.join(root, "server", "src", "main.ts")],
    outfile: path.join(root, "server", "dist", "bundle", "main.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    external: ["@electric-sql/pglite", "@electric-sql/pglite/*"],
    // Less to read and parse at each start; identifiers kept, so logged stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    // Several dependencies are CommonJS and call require() for Node's modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning",
  });
}

/**
 * The bundle's copy of sdk/src/generated/graphql.ts carries each document as the text the SDK would send (graphql's
 * `print` of it, done here once at build time) instead of its AST: ~580 kB of object literals became most of the
 * bundle's compile and evaluation time at every start, and the transport sends strings as they are (documentText),
 * the server parsing them. The same text as scripts/persisted-operations.ts's manifest, so a persisted-only server
 * accepts it. The SDK's sources and their types are unchanged; only what the CLI executes differs.
 */
function printedDocuments() {
  const generated = path.join(root, "sdk", "src", "generated", "graphql.ts");
  return {
    name: "printed-documents",
    setup(build) {
      build.onLoad({ filter: /[\\/]sdk[\\/]src[\\/]generated[\\/]graphql\.ts$/ }, async (args) => {
        if (path.resolve(args.path) !== generated) return undefined;
        const { print } = await import(createRequire(path.join(root, "sdk", "package.json")).resolve("graphql"));
        const source = fs.readFileSync(generated, "utf8");
        let count = 0;
        const contents = source.replace(/^(export const \w+(?:Document|FragmentDoc) = )(\{.*\}) as unknown as DocumentNode<.*>;$/gm, (_, head, ast) => {
          count += 1;
          return `${head}${JSON.stringify(print(JSON.parse(ast)))};`;
        });
        // A codegen change that stops matching would silently ship the ASTs again: fail the build instead.
        if (count === 0 || /"kind":"Document"/.test(contents)) throw new Error("printed-documents: sdk/src/generated/graphql.ts has documents this build cannot print");
        return { contents, loader: "ts" };
      });
    },
  };
}
const run = (tsconfig) => execFileSync(process.execPath, [tsc, "-p", tsconfig], { stdio: "inherit" });
// A partial checkout (e.g. an image's install layer, before the sources are copied) builds what it has.
const present = (dir) => fs.existsSync(path.join(root, dir, "src"));
if (present("sdk")) {
  compile(path.join(root, "sdk"), "tsconfig.cli.json", run);
  await bundleCli();
}
if (fs.existsSync(path.join(root, "console", "node_modules", "vite"))) {
  execFileSync(process.execPath, [path.join(root, "scripts", "build-console.mjs"), "--if-stale"], { stdio: "inherit" });
}
if (!present("server")) process.exit(0);
compile(path.join(root, "server"), "tsconfig.build.json", run);
await bundleServer();

const { ensurePgliteTemplate } = await import("../server/dist/db/pglite-template.js");
await ensurePgliteTemplate();
