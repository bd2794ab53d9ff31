# Candor: one image for the server and the CLI (docker compose run app npx tsx server/cli/main.ts …).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies are skipped; tsx runs the TypeScript sources and esbuild builds the bundles.
RUN npm ci --omit=dev && npm cache clean --force
COPY server ./server
COPY tracker ./tracker
COPY dashboard ./dashboard
COPY schema ./schema
COPY scripts ./scripts
RUN npx tsx scripts/build.ts && mkdir -p /var/lib/candor && chown node:node /var/lib/candor
USER node
EXPOSE 8080
# SIGTERM reaches node directly (no npm wrapper), so the spool is drained before exit.
CMD ["node", "--import", "tsx", "server/main.ts"]
