import { refOf, type ClusterClient } from "../../provider/cluster/client";
import type { Node } from "../../provider/k8s/core";
import type { KubeObject } from "../../provider/k8s/meta";
import type { Cluster, Machine, MachineHealthCheck } from "../../provider/mhc/model";
import { compareWorlds, expectedWorld, type Disagreement, type World } from "./compare";
import type { Scenario } from "./generator";
import { BATCH_LABEL, CLUSTER_NAME, MHC_NAME, REMEDIATION_VERSION, TEMPLATE_NAME, scenarioObjects, type ScenarioObjects } from "./objects";

// One batch of scenarios against the real controller: each in its own namespace, all written at once,
// the health checks created a few seconds after their machines, then read back once the controller
// has observed every health check and stopped writing.

export interface ScenarioResult {
  scenario: Scenario;
  disagreements: Disagreement[];
}

const capi = "cluster.x-k8s.io/v1beta1";
const kindsOf = {
  namespace: { apiVersion: "v1", kind: "Namespace" },
  node: { apiVersion: "v1", kind: "Node" },
  machine: { apiVersion: capi, kind: "Machine" },
  cluster: { apiVersion: capi, kind: "Cluster" },
  mhc: { apiVersion: capi, kind: "MachineHealthCheck" },
  secret: { apiVersion: "v1", kind: "Secret" },
  template: { apiVersion: REMEDIATION_VERSION, kind: "ExampleRemediationTemplate" },
  request: { apiVersion: REMEDIATION_VERSION, kind: "ExampleRemediation" },
};

/** Runs `task` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BatchOptions {
  client: ClusterClient;
  kubeconfig: string;
  batch: string;
  scenarios: Scenario[];
  log: (line: string) => void;
  /** Give up waiting for the controller after this long. */
  limitMs?: number;
}

export async function runBatch(options: BatchOptions): Promise<ScenarioResult[]> {
  const { client, batch, scenarios, log } = options;
  const at = new Date();
  const all = scenarios.map((s) => ({ scenario: s, objects: scenarioObjects(s, batch, at, options.kubeconfig) }));
  const selector = { labelSelector: { matchLabels: { [BATCH_LABEL]: batch } } };

  // 1. Everything but the health checks: metadata and spec, then status, then the deletions.
  await inParallel(all, 8, async ({ objects }) => {
    await client.apply({ ...kindsOf.namespace, metadata: { name: objects.namespace, labels: { [BATCH_LABEL]: batch } } });
  });
  await inParallel(all, 6, async ({ objects }) => {
    for (const object of [objects.secret, objects.cluster, ...objects.nodes, ...(objects.template ? [objects.template] : []), ...objects.requests, ...objects.machines]) {
      await client.apply(object);
      if (object.status !== undefined) await client.patchStatus(refOf(object), object.status);
    }
    for (const name of objects.deleting) await client.delete({ ...kindsOf.machine, namespace: objects.namespace, name });
  });

  // 2. The world before the health checks, as the API server holds it.
  const nodes = await client.list<Node>(kindsOf.node, selector);
  const before = new Map<string, World>();
  await inParallel(all, 8, async ({ scenario, objects }) => {
    before.set(scenario.id, await readWorld(client, objects, nodes, undefined));
  });

  // 3. The health checks, once their Machines are older than the 1s start-up timeouts of some scenarios.
  await sleep(3000);
  await inParallel(all, 8, async ({ objects }) => void (await client.apply(objects.mhc)));
  log(`batch ${batch}: ${all.length} scenarios written; waiting for the controller`);

  // 4. Wait until every health check was reconciled (label set, or the Paused condition), then until
  //    nothing in the batch changes for a while.
  await waitFor("every MachineHealthCheck of the batch to be reconciled", options.limitMs ?? 180_000, async () => {
    const checks = await client.list<MachineHealthCheck>(kindsOf.mhc, selector);
    const pending = checks.filter((m) => !reconciled(m));
    return pending.length === 0 && checks.length === all.length ? undefined : `${pending.length} of ${checks.length} not reconciled yet (${pending.slice(0, 5).map((m) => m.metadata.namespace).join(", ")})`;
  });
  await quiesce(client, selector, options.limitMs ?? 180_000);

  // 5. Read back, and compare with ours at this moment.
  const now = new Date();
  const results: ScenarioResult[] = [];
  const nodesAfter = await client.list<Node>(kindsOf.node, selector);
  await inParallel(all, 8, async ({ scenario, objects }) => {
    const initial = before.get(scenario.id)!;
    const upstream = await readWorld(client, objects, nodesAfter, "with mhc");
    // The health check as it was created: what was read back, without what the controller added (the
    // cluster-name label, the Cluster owner reference, the status).
    const { status: _status, ...created } = upstream.mhc;
    const { ownerReferences: _owners, ...metadata } = created.metadata;
    const start: World = { ...initial, mhc: { ...created, metadata: { ...metadata, labels: objects.mhc.metadata.labels ?? {} } } };
    let disagreements: Disagreement[];
    try {
      disagreements = compareWorlds(start, expectedWorld(start, now), upstream, now);
    } catch (error) {
      disagreements = [{ what: "our evaluation threw", ours: (error as Error).stack, upstream: null }];
    }
    results.push({ scenario, disagreements });
  });
  return results.sort((a, b) => (a.scenario.id < b.scenario.id ? -1 : 1));
}

/** Delete what keeps the controller busy: the Clusters (their ClusterCache connections), health checks and Nodes. */
export async function cleanUp(client: ClusterClient, batch: string): Promise<void> {
  const selector = { labelSelector: { matchLabels: { [BATCH_LABEL]: batch } } };
  for (const kind of [kindsOf.mhc, kindsOf.cluster, kindsOf.node, kindsOf.secret]) {
    const objects = await client.list(kind, selector);
    await inParallel(objects, 8, async (o) => void (await client.delete(refOf(o))));
  }
}

function reconciled(mhc: MachineHealthCheck): boolean {
  if (mhc.metadata.labels?.["cluster.x-k8s.io/cluster-name"] !== undefined) return true;
  return (mhc.status?.v1beta2?.conditions ?? []).some((c) => c.type === "Paused" && c.status === "True" && c.observedGeneration === mhc.metadata.generation);
}

async function readWorld(client: ClusterClient, objects: ScenarioObjects, nodes: Node[], withMhc: "with mhc" | undefined): Promise<World> {
  const namespace = objects.namespace;
  const [cluster, machines, requests, template, mhc] = await Promise.all([
    client.get<Cluster>({ ...kindsOf.cluster, namespace, name: CLUSTER_NAME }),
    client.list<Machine>({ ...kindsOf.machine, namespace }),
    client.list<KubeObject>({ ...kindsOf.request, namespace }),
    client.get<KubeObject>({ ...kindsOf.template, namespace, name: TEMPLATE_NAME }),
    withMhc ? client.get<MachineHealthCheck>({ ...kindsOf.mhc, namespace, name: MHC_NAME }) : Promise.resolve(undefined),
  ]);
  const mine = new Set(objects.nodes.map((n) => n.metadata.name));
  return {
    mhc: mhc ?? (objects.mhc as MachineHealthCheck),
    cluster: cluster!,
    machines: machines.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)),
    nodes: nodes.filter((n) => mine.has(n.metadata.name)),
    ...(template ? { template } : {}),
    requests,
  };
}

async function quiesce(client: ClusterClient, selector: { labelSelector: { matchLabels: Record<string, string> } }, limitMs: number): Promise<void> {
  let last = "";
  let stableSince = Date.now();
  await waitFor("the controller to stop writing", limitMs, async () => {
    const lists = await Promise.all([client.list(kindsOf.mhc, selector), client.list(kindsOf.machine, selector), client.list(kindsOf.request)]);
    const versions = lists.flat().map((o) => `${o.metadata.namespace}/${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort().join(",");
    if (versions !== last) {
      last = versions;
      stableSince = Date.now();
    }
    return Date.now() - stableSince >= 4000 ? undefined : "writes still coming";
  });
}

async function waitFor(what: string, limitMs: number, check: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const waiting = await check();
    if (waiting === undefined) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${limitMs / 1000} s: ${waiting}`);
    await sleep(1000);
  }
}
