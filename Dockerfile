# One image for every process: the API (default), the Temporal worker, the outbox relay and the
# migrate/seed job (docker-compose.yml overrides `command` for those). Built once, run as plain Node:
# the build stage compiles the TypeScript and bundles the workflow code (`npm run build` -> dist/);
# the runtime stage holds dist/ and the production dependencies only, and runs as the `node` user.

# ---- build --------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY workflows workflows
COPY activities activities
COPY drizzle drizzle
COPY scripts/build.ts scripts/build.ts
RUN npm run build && npm prune --omit=dev && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
EXPOSE 3000
# The API's liveness; the worker and relay services override it in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.API_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main/api.js"]
