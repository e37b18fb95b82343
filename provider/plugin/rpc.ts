import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as anyTypes from "google-protobuf/google/protobuf/any_pb";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineProto from "@pulumi/pulumi/proto/engine_pb";
import * as pluginProto from "@pulumi/pulumi/proto/plugin_pb";
import * as providerRpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerProto from "@pulumi/pulumi/proto/provider_pb";
import * as statusProto from "@pulumi/pulumi/proto/status_pb";

// The gRPC stubs the @pulumi/pulumi package ships, and the gRPC and protobuf runtimes they were
// generated for, loaded from that package's own dependencies (the very instances the stubs use, so
// a Struct made here is one the stubs accept).

const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));

export const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcTypes;
export const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;
export const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb") as typeof emptyTypes;
export const { Any } = fromPulumi("google-protobuf/google/protobuf/any_pb") as typeof anyTypes;
export { engineProto, engineRpc, pluginProto, providerProto, providerRpc, statusProto };

export type JsonObject = Record<string, unknown>;

/** A protobuf Struct as plain JSON (absent → {}). */
export function fromStruct(struct: structTypes.Struct | undefined): JsonObject {
  return (struct?.toJavaScript() ?? {}) as JsonObject;
}

/** Plain JSON as a protobuf Struct (undefined fields dropped, as JSON does). */
export function toStruct(value: JsonObject): structTypes.Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, structTypes.JavaScriptValue>);
}
