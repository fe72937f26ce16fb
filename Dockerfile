# Luminous: one image for API nodes (`start`, the default), workers (`worker`) and release steps (`migrate`).
#   docker build -t luminous .
#   docker run -p 3000:3000 -v luminous-data:/data -e JWT_SECRET=… -e ENCRYPTION_KEY=… luminous
# Without DATABASE_URL it runs the embedded PostgreSQL under /data; with it, any PostgreSQL >= 15.

# Production dependencies only. tsx (and the esbuild it brings) is a runtime dependency of `npm start`,
# so the build stage below has what it needs without the dev tools (typescript, eslint, vitest).
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Transpile src/ once with esbuild — what tsx does on the fly at every `npm start` — so the container
# starts faster and idles lighter without a compiler in memory (figures in docs/benchmarks.md). Type
# checking is CI's job. Files the code reads beside itself (word lists) are copied along.
FROM deps AS build
COPY src ./src
RUN npx esbuild $(find src -name '*.ts' ! -name '*.d.ts') --outdir=dist --outbase=src \
      --format=esm --platform=node --target=node20 --log-level=warning \
 && (cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../dist/ \;)

FROM node:20-slim
# tini as PID 1: forwards SIGTERM for a graceful shutdown and reaps the embedded PostgreSQL's children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system luminous \
 && useradd --system --gid luminous --home-dir /app --shell /usr/sbin/nologin luminous \
 && mkdir -p /data && chown luminous:luminous /data
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY --from=deps /app/node_modules ./node_modules
# Compiled code where the sources were, so paths relative to it (db/migrations) stay the same.
COPY --from=build /app/dist ./src
COPY package.json ./
COPY db ./db
# Non-root: PostgreSQL refuses to run as root, and nothing here needs it.
USER luminous
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "src/main.js"]
CMD ["start"]
