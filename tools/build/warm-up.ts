import * as fs from "node:fs";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { codeCacheOf, loadBundle } from "../../provider/bundle-loader";
import { Empty, grpc, providerProto, providerRpc, toStruct } from "../../provider/plugin/rpc";

// The warm-up of tools/build/provider-bundle.ts: loads each bundle as a provider process does, makes
// the calls a provider answers first (checks of both resources, on the twin; for the plugin its
// schema and configuration too), then writes each bundle's code cache, which now holds every
// function those calls compiled.

const root = path.resolve(__dirname, "..", "..");
const twin = (fixture: string) => ({ embedded: { fixture } });
const kataInputs = { metadata: { name: "warm-up" }, spec: { logLevel: "info" }, cluster: twin("two-workers") };
const mhcInputs = {
  metadata: { name: "warm-up", namespace: "default" },
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: "40%",
    selector: { matchLabels: { nodepool: "nodepool-0" } },
    unhealthyConditions: [{ type: "Ready", status: "False", timeout: "300s" }],
  },
  cluster: twin("capi-quickstart"),
};

type Providers = Record<"kataConfig" | "machineHealthCheck", { check(olds: object, news: object): Promise<{ failures: unknown[] }> }>;

async function dynamicProvider(): Promise<void> {
  const bundle = path.join(root, "bin", "provider-entry", "bundle.js");
  const { providers } = loadBundle<{ providers: Providers }>(bundle);
  for (const [resource, inputs] of [["kataConfig", kataInputs], ["machineHealthCheck", mhcInputs]] as const) {
    const result = await providers[resource].check({}, inputs);
    if (result.failures.length) throw new Error(`warm-up check of ${resource} failed: ${JSON.stringify(result.failures)}`);
  }
  fs.writeFileSync(`${bundle}.cache`, codeCacheOf(bundle));
}

async function plugin(): Promise<void> {
  const bundle = path.join(root, "bin", "plugin", "bundle.js");
  const { main } = loadBundle<{ main(args: string[]): Promise<void> }>(bundle);
  // main prints the port the engine reads: take it here instead.
  let printed = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
  try {
    await main([]);
  } finally {
    process.stdout.write = write;
  }
  const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${printed.trim()}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, request: unknown) =>
    new Promise<T>((resolve, reject) => {
      const fn = (client as unknown as Record<string, (r: unknown, cb: (e: grpcTypes.ServiceError | null, v: T) => void) => void>)[method]!;
      fn.call(client, request, (error, value) => (error ? reject(error) : resolve(value)));
    });
  try {
    await call("getPluginInfo", new Empty());
    await call("getSchema", new providerProto.GetSchemaRequest());
    await call("checkConfig", new providerProto.CheckRequest().setNews(toStruct({})));
    await call("configure", new providerProto.ConfigureRequest().setArgs(toStruct({})));
    for (const [type, inputs] of [["KataConfig", kataInputs], ["MachineHealthCheck", mhcInputs]] as const) {
      const request = new providerProto.CheckRequest().setUrn(`urn:pulumi:build::warm-up::cluster-runtime:index:${type}::warm-up`).setOlds(toStruct({})).setNews(toStruct(inputs));
      const response = await call<InstanceType<typeof providerProto.CheckResponse>>("check", request);
      if (response.getFailuresList().length) throw new Error(`warm-up check of ${type} failed: ${response.getFailuresList().map((f) => f.getReason()).join("; ")}`);
    }
  } finally {
    client.close();
  }
  fs.writeFileSync(`${bundle}.cache`, codeCacheOf(bundle));
}

dynamicProvider()
  .then(plugin)
  .then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
