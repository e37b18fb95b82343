import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The differential test against Cluster API's own MachineHealthCheck controller (npm run test:capi):
// a dev cluster with --capi upstream (tools/capi, built and cached on first use). One file at a time.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/capi/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 1_200_000,
  },
});
