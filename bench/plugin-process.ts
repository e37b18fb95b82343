import { spawn } from "node:child_process";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { Empty, engineRpc, grpc, providerProto, providerRpc, toStruct } from "../provider/plugin/rpc";

// The provider plugin as the engine runs it, for the benchmarks: its built entry (bin/plugin/main.js,
// what the launcher runs) started with the address of a stand-in for the engine's Log service, and a
// gRPC client that makes the engine's calls.

const root = path.join(__dirname, "..");
export const PLUGIN_MAIN = path.join(root, "bin", "plugin", "main.js");
export const KATA_URN = "urn:pulumi:bench::bench::cluster-runtime:index:KataConfig::example-kataconfig";

export interface PluginProcess {
  call<T>(method: string, request: unknown): Promise<T>;
  /** Check then Create, as the engine does: the plugin's check adds the defaults Create expects. */
  checkAndCreate(urn: string, inputs: Record<string, unknown>, timeoutSeconds?: number): Promise<InstanceType<typeof providerProto.CreateResponse>>;
  stop(): void;
}

/** A stand-in for the engine's Log service, which the plugin sends progress to. */
export async function standInEngine(): Promise<{ address: string; stop(): void }> {
  const server = new grpc.Server();
  server.addService(engineRpc.EngineService, { log: (_call: unknown, callback: grpcTypes.sendUnaryData<unknown>) => callback(null, new Empty()) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** Start the plugin (resolves once it has printed its port) in `cwd`. */
export async function startPlugin(engineAddress: string, cwd: string): Promise<PluginProcess> {
  const child = spawn(process.execPath, [PLUGIN_MAIN, engineAddress], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", (code) => reject(new Error(`the plugin exited (${code}) before it printed its port: ${stderr}`)));
  });
  const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, request: unknown) =>
    new Promise<T>((resolve, reject) => {
      const fn = (client as unknown as Record<string, (r: unknown, cb: (e: grpcTypes.ServiceError | null, v: T) => void) => void>)[method]!;
      fn.call(client, request, (error, value) => (error ? reject(new Error(`${method}: ${error.details || error.message}`)) : resolve(value)));
    });
  return {
    call,
    async checkAndCreate(urn, inputs, timeoutSeconds = 0) {
      const checked = await call<InstanceType<typeof providerProto.CheckResponse>>("check", new providerProto.CheckRequest().setUrn(urn).setOlds(toStruct({})).setNews(toStruct(inputs)));
      const failures = checked.getFailuresList().map((f) => f.getReason());
      if (failures.length) throw new Error(`the plugin's check failed: ${failures.join("; ")}`);
      return call("create", new providerProto.CreateRequest().setUrn(urn).setProperties(checked.getInputs()).setTimeout(timeoutSeconds));
    },
    stop() {
      client.close();
      child.stdin.end(); // the plugin ends when its stdin does, as when the engine goes
      child.kill();
    },
  };
}
