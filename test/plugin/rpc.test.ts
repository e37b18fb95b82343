import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// The plugin speaks through @pulumi/pulumi's gRPC stubs, which were generated for one gRPC and one
// protobuf runtime: provider/plugin/rpc.ts must use those very instances (a Struct made with another
// copy of google-protobuf is not one the stubs accept). The bundle resolves them from @pulumi/pulumi's
// directory (tools/build/provider-bundle.ts); the compiled files and the tests resolve them from the
// package's own, which must be the same files.

describe("the plugin's gRPC and protobuf runtimes", () => {
  it("are the ones @pulumi/pulumi's stubs load", () => {
    const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
    for (const runtime of ["@grpc/grpc-js", "google-protobuf/google/protobuf/struct_pb", "google-protobuf/google/protobuf/empty_pb", "google-protobuf/google/protobuf/any_pb"]) {
      expect(require.resolve(runtime), runtime).toBe(fromPulumi.resolve(runtime));
    }
  });
});
