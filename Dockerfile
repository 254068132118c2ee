# syntax=docker/dockerfile:1.7
# Two images from one build:
#   --target runtime   the Watchkeeper runtime without monitors, published as
#                      ghcr.io/OWNER/watchkeeper:VERSION; a user's repository (`wk init`) bakes its
#                      compiled artifact onto it.
#   (default) monitors that runtime with this repository's own compiled artifact.
#   docker build -t watchkeeper .
#   docker run -p 8080:8080 -e PAGERDUTY_ROUTING_KEY=... watchkeeper

# The current Node LTS on Debian's current stable release; the package itself supports Node 20.19+.
ARG NODE_IMAGE=node:26-trixie-slim

# --- build: all dependencies, TypeScript build, project compile --------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Native modules (better-sqlite3) fall back to a source build when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Install scripts stay off (the Pulumi plugin download is not needed here); rebuild only native parts.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm run build \
    && node bin/watchkeeper.js compile --project . --out /artifact \
    && npm prune --omit=dev

# --- runtime: production dependencies and the build; no compiler toolchain, no monitors ----------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Memory settings measured by bench/runtime (docs/runtime.md, "Memory"): a bounded old space makes
# V8 collect check garbage early (128 MB holds 10,000 monitors; raise it by about 5 MB per 1,000
# monitors past 20,000, e.g. 256 for 50,000); 4 MB semi-spaces instead of 16 keep the young
# generation small at no measurable CPU; a fixed glibc trim threshold gives freed memory back
# instead of keeping start-up's peak resident.
ENV NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=4" \
    MALLOC_TRIM_THRESHOLD_=131072
# SQLite's own shell runs the WAL checkpoints of a large state file off the event loop
# (runtime/store/sqlite/checkpointer.ts, docs/runtime.md); without it they run on the event loop.
RUN apt-get update && apt-get install -y --no-install-recommends sqlite3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=root:root /src/package.json ./package.json
COPY --from=build --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/build ./build
COPY --from=build --chown=root:root /src/bin ./bin
# The state folder (SQLite, routing keys) is the only writable place; the code is root-owned.
RUN mkdir -p /app/.watchkeeper && chown node:node /app/.watchkeeper
USER node
EXPOSE 8080
# node, not curl: the slim image has no curl and the runtime needs nothing more.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/watchkeeper.js", "run", "--artifact", "/app/artifact", "--state", "/app/.watchkeeper", "--port", "8080"]

# --- monitors: this repository's compiled artifact on the runtime ---------------------------------
FROM runtime AS monitors
COPY --from=build --chown=root:root /artifact /app/artifact
