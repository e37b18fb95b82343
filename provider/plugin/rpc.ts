import * as grpc from "@grpc/grpc-js";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineProto from "@pulumi/pulumi/proto/engine_pb";
import * as pluginProto from "@pulumi/pulumi/proto/plugin_pb";
import * as providerRpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerProto from "@pulumi/pulumi/proto/provider_pb";
import * as statusProto from "@pulumi/pulumi/proto/status_pb";

// The gRPC stubs the @pulumi/pulumi package ships, and the gRPC and protobuf runtimes they were
// generated for: the very instances the stubs use, so that a Struct made here is one the stubs
// accept. The plugin runs from its bundle, whose build resolves these runtimes from @pulumi/pulumi's
// own directory for every importer (tools/build/provider-bundle.ts); from the compiled files they
// resolve to npm's one hoisted copy, which test/plugin/rpc.test.ts checks is the stubs' own.

export { Any, Empty, engineProto, engineRpc, grpc, pluginProto, providerProto, providerRpc, statusProto, Struct };

export type JsonObject = Record<string, unknown>;

/** A protobuf Struct as plain JSON (absent → {}). */
export function fromStruct(struct: Struct | undefined): JsonObject {
  return (struct?.toJavaScript() ?? {}) as JsonObject;
}

/** Plain JSON as a protobuf Struct (undefined fields dropped, as JSON does). */
export function toStruct(value: JsonObject): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, JavaScriptValue>);
}
