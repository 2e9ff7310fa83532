# One image for every process: the API (default), the Temporal worker, the outbox relay and the
# migrate/seed job (docker-compose.yml overrides `command` for those). TypeScript runs directly
# through tsx, a runtime dependency, so there is no build step.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first so source edits reuse this layer. Dev dependencies (tests, drizzle-kit,
# typescript) are not needed at run time.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main/api.ts"]
