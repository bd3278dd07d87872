import { ConfigError, loadConfig } from "./config.ts";
import { startApp, StartupError } from "./app.ts";
import { restrictFileCreation } from "./storage/private-files.ts";

// Before anything opens a file: the data directory is the server's alone (storage/private-files.ts).
restrictFileCreation();

try {
  const config = loadConfig();
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
  if (error instanceof StartupError) {
    process.stderr.write(`modelgraph: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
