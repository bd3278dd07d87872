// The console's build (`pnpm console:build`, into console/dist, served by the server at /) and its development
// server (`pnpm console:dev`: hot reload, /graphql and /auth proxied to a running modelgraph server).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.MODELGRAPH_URL ?? "http://127.0.0.1:4000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under /assets/: the server caches them as immutable.
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    port: Number(process.env.CONSOLE_DEV_PORT ?? 5173),
    proxy: {
      "/graphql": { target: api, ws: true, changeOrigin: false },
      "/auth": { target: api, changeOrigin: false },
    },
  },
});
