# syntax=docker/dockerfile:1
# One image for all seven Brigade processes: `docker run -e SERVICE=menu brigade` (or `… brigade menu`).
# They run compiled JavaScript with production dependencies only (deploy/entrypoint.sh).
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so `npm ci` is cached until a dependency changes.
COPY package.json package-lock.json .npmrc ./
COPY packages/platform/package.json packages/platform/
COPY packages/testing/package.json packages/testing/
COPY gateway/package.json gateway/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/menu/package.json subgraphs/menu/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/station/package.json subgraphs/station/
RUN npm ci
COPY . .
# Type-check, compile every package to JavaScript (src/ → dist/), drop the development dependencies (tsx,
# TypeScript, esbuild, vitest…), then everything the services do not run: TypeScript sources and tools.
RUN npm run typecheck \
 && npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force \
 && rm -rf scripts bench clients packages/testing tsconfig.json vitest.config.ts \
 && find packages gateway subgraphs -name node_modules -prune -o -type d -name src -prune -exec rm -rf {} + \
 && ! find . -path '*/node_modules' -prune -o -name '*.ts' -not -name '*.d.ts' -print | grep .

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
# Code stays owned by root, so the service user cannot modify it; only /data (embedded PGlite when no
# DATABASE_URL is set, and nothing else) is writable.
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000 4001 4002 4003 4004 4005 4006
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/app/deploy/entrypoint.sh", "health"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
