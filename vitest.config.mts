import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/apiserver/**", "test/capi/**", "node_modules/**"],
    testTimeout: 60_000,
  },
});
