import path from "node:path";
import { ConfigError, loadConfig } from "./config.ts";
import { startOpeningPglite } from "./db/pglite-template.ts";
import { restrictFileCreation } from "./storage/private-files.ts";

// Before anything opens a file: the data directory is the server's alone (storage/private-files.ts).
restrictFileCreation();

try {
  const config = loadConfig();
  // The server's modules (~1 s to import) load only once the embedded database has started opening, so the two
  // overlap (db/pglite-template.ts: startOpeningPglite).
  if (!config.databaseUrl) startOpeningPglite(path.join(config.dataDir, "db"));
  const { startApp } = await import("./app.ts");
  const app = await startApp(config);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: the operator does not want to wait.
      app.log.warn("second signal during shutdown: exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    const timeoutMs = config.shutdownTimeoutSeconds * 1000;
    // Whatever happens while closing, the process ends: a stuck close must not outlive the orchestrator's patience.
    setTimeout(() => {
      app.log.error("shutdown did not complete; exiting", { timeoutMs });
      process.exit(1);
    }, timeoutMs + 10_000).unref();
    app.log.info("signal received", { signal });
    try {
      await app.shutdown(timeoutMs);
    } catch (error) {
      app.log.error("shutdown failed", { error: (error as Error).stack ?? String(error) });
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`modelgraph: ${error.message}\n`);
    process.exit(2);
  }
  // app.ts's StartupError, known by name: app.ts is imported inside the try.
  if (error instanceof Error && error.name === "StartupError") {
    process.stderr.write(`modelgraph: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
