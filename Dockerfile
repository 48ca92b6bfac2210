# routewatch container image: the bundled CLI on Node.js 20.
# Build: docker build -t routewatch .   Run: see deploy/kubernetes/.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY codec ./codec
COPY src ./src
RUN node scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# No shell wrapper: node runs the bundle directly (bin/routewatch would rebuild from sources).
USER node
EXPOSE 179 11019 9179
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["run", "--kubernetes"]
