// Child process for the state-file tests: applies `count` ConfigMaps named <prefix>-<i> to the twin at
// `stateFile`, one transaction each. It prints "ready" once open and starts writing only when it reads
// "go", so that the parent can make two of these write at the same time (tsx start-up varies by more
// than the writes take).
import { once } from "node:events";
import { TwinCluster } from "../../../provider/cluster/twin";

async function main(): Promise<void> {
  const [stateFile, prefix, count] = process.argv.slice(2);
  if (!stateFile || !prefix || !count) throw new Error("usage: apply-many <stateFile> <prefix> <count>");
  const cluster = await TwinCluster.open({ stateFile, lockTimeoutMs: 60_000 });
  process.stdout.write("ready\n");
  await once(process.stdin, "data");
  for (let i = 0; i < Number(count); i++) {
    await cluster.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${prefix}-${i}`, namespace: "default" }, data: { i: String(i) } });
  }
  await cluster.close();
  process.stdin.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
