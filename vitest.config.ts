import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real daemons on fixed loopback addresses; files run one at a time
    // inside the integration project so two labs never fight over 127.0.0.10:179.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
