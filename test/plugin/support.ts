import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { afterEach, beforeEach } from "vitest";
import { Empty, engineProto, engineRpc, fromStruct, grpc, providerProto, providerRpc, statusProto, toStruct } from "../../provider/plugin/rpc";
import { ProviderPlugin } from "../../provider/plugin/server";

// The provider plugin's server in this process, on loopback, with a stand-in for the engine's Log
// service that records what the plugin logs; a client speaks to it as the engine does.

export interface LoggedMessage {
  urn: string;
  message: string;
  ephemeral: boolean;
  severity: number;
}

export interface PluginCase {
  dir: string;
  plugin: ProviderPlugin;
  client: InstanceType<typeof providerRpc.ResourceProviderClient>;
  /** What the plugin sent to the engine's Log service. */
  logged: LoggedMessage[];
  call<Req, Res>(method: string, request: Req): Promise<Res>;
}

export const STACK = "dev";
export const PROJECT = "plugin-test";
export const urnOf = (type: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
export const KATA_TYPE = "cluster-runtime:index:KataConfig";
export const MHC_TYPE = "cluster-runtime:index:MachineHealthCheck";

export function usePlugin(): PluginCase {
  const pluginCase = {} as PluginCase;
  let servers: grpcTypes.Server[] = [];
  beforeEach(async () => {
    pluginCase.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-plugin-"));
    pluginCase.logged = [];
    const engine = new grpc.Server();
    engine.addService(engineRpc.EngineService, {
      log: (call: grpcTypes.ServerUnaryCall<InstanceType<typeof engineProto.LogRequest>, unknown>, callback: grpcTypes.sendUnaryData<unknown>) => {
        const r = call.request;
        pluginCase.logged.push({ urn: r.getUrn(), message: r.getMessage(), ephemeral: r.getEphemeral(), severity: r.getSeverity() });
        callback(null, new Empty());
      },
    });
    const enginePort = await bind(engine);
    pluginCase.plugin = new ProviderPlugin({ engineAddress: `127.0.0.1:${enginePort}` });
    const server = new grpc.Server();
    server.addService(providerRpc.ResourceProviderService, pluginCase.plugin.service());
    const port = await bind(server);
    servers = [engine, server];
    pluginCase.client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    pluginCase.call = <Req, Res>(method: string, request: Req) =>
      new Promise<Res>((resolve, reject) => {
        const fn = (pluginCase.client as unknown as Record<string, (r: Req, cb: (e: grpcTypes.ServiceError | null, v: Res) => void) => void>)[method]!;
        fn.call(pluginCase.client, request, (error, value) => (error ? reject(error) : resolve(value)));
      });
  });
  afterEach(() => {
    pluginCase.client.close();
    pluginCase.plugin.close();
    for (const server of servers) server.forceShutdown();
    fs.rmSync(pluginCase.dir, { recursive: true, force: true });
  });
  return pluginCase;
}

function bind(server: grpcTypes.Server): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
}

/** The partial state an error carries (ErrorResourceInitFailed), if any. */
export function partialState(error: grpcTypes.ServiceError): { id: string; properties: Record<string, unknown>; reasons: string[] } | undefined {
  const bin = error.metadata?.get("grpc-status-details-bin")[0];
  if (!bin) return undefined;
  const status = statusProto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
  const detail = status.getDetailsList()[0];
  if (!detail) return undefined;
  const failed = providerProto.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
  return { id: failed.getId(), properties: fromStruct(failed.getProperties()), reasons: failed.getReasonsList() };
}

export { fromStruct, providerProto, toStruct };
