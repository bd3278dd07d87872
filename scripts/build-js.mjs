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
 * One ESM file for Node from `entry` (the CLI's and the server's bundles), with the options both need: Node 20,
 * packages' ESM builds, and require() for the CommonJS dependencies that call it for Node's modules. Written after
 * the tsc output, so the stamp (taken before) still dates it. Without esbuild nothing is written and the bins fall
 * back to the tsc output.
 */
async function bundle(entry, outfile, options) {
  let esbuild;
  try {
    esbuild = await import(createRequire(path.join(root, "package.json")).resolve("esbuild"));
  } catch {
    return;
  }
  await esbuild.build({
    entryPoints: [path.join(root, ...entry)],
    outfile: path.join(root, ...outfile),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning",
    ...options,
  });
}

/**
 * The CLI (sdk/dist/cli/bundle.js, what bin.js runs), minified: Node then parses one file with only the parts of
 * graphql it uses (its ESM build, tree-shaken) instead of loading ~100 modules (whoami: about half the CPU of the tsc
 * output), its documents as text (printedDocuments).
 */
const bundleCli = () => bundle(["sdk", "src", "cli", "main.ts"], ["sdk", "dist", "cli", "bundle.js"], { minify: true, plugins: [printedDocuments()] });

/**
 * The server (server/dist/bundle/main.js, what server/bin.js runs): a start then reads and compiles one file instead
 * of resolving and loading ~700 modules (about a second of a restart's CPU). Same depth as server/dist/db/, so the
 * paths the modules derive from import.meta.url (prisma/migrations, console/dist, node_modules/.cache) still hold.
 * PGlite stays external: it finds its WebAssembly and data files beside its own module. Whitespace and syntax
 * minified only: identifiers kept, so logged stack traces still name functions.
 */
const bundleServer = () =>
  bundle(["server", "src", "main.ts"], ["server", "dist", "bundle", "main.js"], {
    external: ["@electric-sql/pglite", "@electric-sql/pglite/*"],
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [graphqlProductionInstanceOf()],
  });

/**
 * graphql-js checks every `instanceof` of its types against a second copy of graphql unless NODE_ENV is
 * "production" (≈ 7 % of the server's CPU on a lineage query, per field and argument). The bundle resolves graphql
 * once (its ESM build); the only other graphql files in it are the CommonJS parser, lexer and GraphQLError that
 * graphql-armor's token plugin imports by deep path and uses on its own strings, so no object of one copy reaches the
 * other. The bundle's graphql takes the production branch whatever NODE_ENV says; NODE_ENV itself is left alone
 * (Prisma's error format and other libraries read it). Tests that start the server inside the test process run the
 * sources, where the check stays on.
 */
function graphqlProductionInstanceOf() {
  const check = /globalThis\.process &&(?:\s*\/\/[^\n]*)?\s*process\.env\.NODE_ENV === 'production'/;
  return {
    name: "graphql-production-instanceof",
    setup(build) {
      build.onLoad({ filter: /[\\/]graphql[\\/]jsutils[\\/]instanceOf\.m?js$/ }, (args) => {
        const source = fs.readFileSync(args.path, "utf8");
        // A graphql release that words the check differently would silently keep it: fail the build instead.
        if (!check.test(source)) throw new Error(`graphql-production-instanceof: ${args.path} has no NODE_ENV check this build knows`);
        return { contents: source.replace(check, "true"), loader: "js" };
      });
    },
  };
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
