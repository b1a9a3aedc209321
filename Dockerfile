# tracebox in a container: OTLP/gRPC on 4317, OTLP/HTTP on 4318, Tempo API and viewer on
# 3200, data in the /data volume.
#
#   docker build -t tracebox .
#   docker run -p 3200:3200 -p 4317:4317 -p 4318:4318 -v tracebox-data:/data tracebox
#
# examples/docker-compose.yml runs it beside Grafana and an instrumented app.

# The base image, pinned to one Node release so that a rebuild gives the same image;
# moving to a newer one is a change of its own.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Build: the full install (esbuild, the OpenTelemetry SDK for examples/app.js), the bundle,
# and better-sqlite3's addon. On Node 20 better-sqlite3 12 compiles from source when no
# prebuilt binary can be downloaded; the slim image lacks the toolchain for that.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime dependencies only: better-sqlite3 (the bundle inlines everything else).
FROM build AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# A container is reached by names tracebox cannot know (a compose service, a Kubernetes
# Service, a published port on another machine), so the query port answers any Host; set
# TRACEBOX_ALLOWED_HOSTS to those names to refuse the rest (loopback and IP addresses are
# always answered; see --allowed-hosts).
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TRACEBOX_HOST=0.0.0.0 \
    TRACEBOX_ALLOWED_HOSTS=* \
    TRACEBOX_DATA=/data
WORKDIR /app
COPY --from=prod-deps /src/package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3200 4317 4318
# The image has no curl; Node's fetch asks /ready, on TRACEBOX_PORT if that was changed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TRACEBOX_PORT || 3200) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli.mjs"]
