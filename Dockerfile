# modelgraph server image. Build: docker build -t modelgraph .
# The web console is built in its own stage; the image carries only its static files (console/dist).
FROM node:20.19-bookworm-slim AS console
WORKDIR /app
RUN npm install -g pnpm@10.34.9
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY server/package.json server/package.json
COPY sdk/package.json sdk/package.json
COPY console/package.json console/package.json
RUN pnpm install --frozen-lockfile --filter @modelgraph/console...
COPY console console
RUN cd console && node node_modules/vite/bin/vite.js build

FROM node:20.19-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@10.34.9
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY server/package.json server/package.json
COPY sdk/package.json sdk/package.json
COPY console/package.json console/package.json
RUN pnpm install --frozen-lockfile --filter @modelgraph/server...
COPY tsconfig.json ./
COPY prisma prisma
COPY server server
COPY --from=console /app/console/dist console/dist
RUN mkdir -p /data && chown node:node /data
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0 DATA_DIR=/data SHUTDOWN_TIMEOUT_SECONDS=25
EXPOSE 4000
VOLUME /data
USER node
# Ready = the database and the artifact store answer (and the process is not shutting down). No curl in the
# slim image: node's fetch does the probe.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM starts a graceful shutdown (README "Operations"); give it SHUTDOWN_TIMEOUT_SECONDS plus a margin
# (docker stop -t 35, compose stop_grace_period). Node runs as PID 1 and handles the signal itself.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "server/src/main.ts"]
