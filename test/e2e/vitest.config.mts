import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The real Pulumi CLI on the embedded twin (npm run test:e2e, after npm run build). Each test runs
// several CLI processes; files run one at a time so a 2-core machine is not oversubscribed.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
