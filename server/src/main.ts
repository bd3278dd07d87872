import { ConfigError, loadConfig } from "./config.ts";
import { startApp, StartupError } from "./app.ts";

try {
  const config = loadConfig();
  const app = await startApp(config);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
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
