# modelgraph server image. Build: docker build -t modelgraph .
FROM node:20.19-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@10.34.9
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY server/package.json server/package.json
COPY sdk/package.json sdk/package.json
RUN pnpm install --frozen-lockfile --filter @modelgraph/server...
COPY tsconfig.json ./
COPY prisma prisma
COPY server server
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0 DATA_DIR=/data
EXPOSE 4000
VOLUME /data
CMD ["node", "--import", "tsx", "server/src/main.ts"]
