# Pastoral: the API, serving the built web app. Build with `docker compose build` or `docker build .`.

# ---- build: every dependency (dev ones too), native modules compiled, web and api built ----
FROM node:20-bookworm-slim AS build

# better-sqlite3 compiles from source on Node 20, and node-gyp needs these.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

# Corepack cannot fetch pnpm in this image; npm installs the version package.json's packageManager names.
RUN npm install -g pnpm@10.34.8

WORKDIR /app

# Manifests alone first, so the install layer is reused until a dependency actually changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/web/package.json apps/web/
COPY packages/db/package.json packages/db/
COPY migrations/package.json migrations/
RUN pnpm install --frozen-lockfile

COPY . .
RUN pnpm build

# ---- runtime: the built tree, without the compiler toolchain, run as an unprivileged user ----
FROM node:20-bookworm-slim AS runtime

ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=4000

WORKDIR /app

# The whole tree, node_modules included: pnpm's symlinks must keep their targets, and `pnpm prune --prod`
# is not used because the bundle's run-time needs (native modules, migrations) are not pinned down yet.
# Files stay owned by root so the app cannot rewrite its own code.
COPY --from=build /app /app

# The only place the app writes: the SQLite file when DATABASE_URL is file:./data/... (unused with MySQL).
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 4000

# The slim image has no curl; Node 20's fetch does the same job.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "apps/api/dist/cli.js", "serve"]
