# syntax=docker/dockerfile:1
# The API as an image. The build stage runs what CI runs and tests (tests/e2e/deploy-artifact.test.ts):
# install from the lockfile, then `deploy:server`, which builds the server and `pnpm deploy`s it
# with its production dependencies into a folder that runs with plain `node`. The runtime stage
# holds only that folder. CI has no Docker engine: that test checks that the commands here are
# the ones it runs, not that the image builds.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Only for a registry mirror, each unset unless given with --build-arg: npm_config_registry and
# COREPACK_NPM_REGISTRY (its URL), COREPACK_INTEGRITY_KEYS=0 if it serves no signatures.
ARG npm_config_registry
ARG COREPACK_NPM_REGISTRY
ARG COREPACK_INTEGRITY_KEYS
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0 npm_config_store_dir=/pnpm-store
WORKDIR /workspace
# pnpm at the version of package.json's packageManager.
COPY package.json ./
RUN corepack enable pnpm && pnpm --version
COPY . .
RUN --mount=type=cache,id=pnpm-store,target=/pnpm-store \
    pnpm install --frozen-lockfile
RUN --mount=type=cache,id=pnpm-store,target=/pnpm-store \
    pnpm -F @todo/server deploy:server /deploy

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to the server (which then drains) and reaps zombies.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
# The one folder the server may write, for an embedded database (DATABASE_URL=file:/data, a volume
# there). On PostgreSQL nothing is written.
RUN mkdir /data && chown node:node /data
WORKDIR /app
COPY --from=build /deploy ./
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000
# The image's `node` user, by number (so that Kubernetes' runAsNonRoot can check it).
USER 1000:1000
EXPOSE 8000
# Ready: the database answers, the schema is current and the server is not draining.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# server/package.json's start:prod; migrations: `node dist/cli/migrate.js latest` (compose.yaml).
CMD ["node", "--no-allocation-site-pretenuring", "--heap-growing-percent=100", "dist/main.js"]
