import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The tests against a real kube-apiserver (tools/dev-cluster). Excluded from the default run: each
// file starts its own API server, so files run one at a time (a 2-core machine runs one well).
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/apiserver/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
