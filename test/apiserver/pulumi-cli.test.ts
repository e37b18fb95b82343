import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Node } from "../../provider/k8s/core";
import type { KataConfig } from "../../provider/kata/model";
import { engineDir, pulumi, repoRoot, selectStack, workspace, type Workspace } from "../../tools/engine";
import { kubectl, useDevCluster } from "./helpers";
import { buildPackage, copyExample, type ProgramCopy } from "./pulumi-program";

// examples/openshift through the real Pulumi CLI (tools/engine.ts: offline, file backend) against
// a real kube-apiserver (the dev cluster, fixture two-workers, our operator process playing the
// OpenShift operators): `pulumi up` installs kata with the example's KataConfig, `pulumi destroy`
// removes it. The program runs from a temp copy of the example and keeps its stack state in that
// temp dir, so nothing is written into the repo (but bin/, rebuilt from the sources first).

const env = useDevCluster();

const STACK = "apiserver";
const POOL_LABEL = "custom-kata-pool"; // examples/openshift's kataConfigPoolSelector: { matchLabels: { "custom-kata-pool": "true" } }
const WORKER_ROLE = "node-role.kubernetes.io/worker";
const exampleDir = path.join(repoRoot, "examples", "openshift");

let program: ProgramCopy;
let ws: Workspace;
let kubeconfig: string;
let labelled: string[] = [];
let exampleFiles: string[] = [];
const timings: Record<string, number> = {};
let failed = false;

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await run();
  } finally {
    timings[what] = Date.now() - start;
    process.stderr.write(`[pulumi-cli] ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  }
}

beforeAll(async () => {
  exampleFiles = fs.readdirSync(exampleDir).sort();
  await timed("npm run build", async () => buildPackage());
  const engine = await timed("engine (tools/pulumi/build.sh)", async () => engineDir());
  program = copyExample("openshift");
  ws = workspace(program.programDir, program.stateDir, engine);

  // The fixture's workers carry no custom-kata-pool label: without it the example selects no node.
  const nodes = await env.client.list<Node>({ apiVersion: "v1", kind: "Node" });
  const workers = nodes.filter((n) => Object.prototype.hasOwnProperty.call(n.metadata.labels ?? {}, WORKER_ROLE));
  expect(workers.map((n) => n.metadata.name).sort()).toEqual(["worker-0", "worker-1"]);
  expect(nodes.some((n) => n.metadata.labels?.[POOL_LABEL] !== undefined)).toBe(false);
  for (const worker of workers) {
    await env.client.patch({ apiVersion: "v1", kind: "Node", name: worker.metadata.name }, { metadata: { labels: { [POOL_LABEL]: "true" } } });
  }
  labelled = workers.map((n) => n.metadata.name ?? "").sort();

  kubeconfig = fs.readFileSync(env.cluster.kubeconfigPath, "utf8");
  await timed("stack init and config", async () => {
    await selectStack(ws, STACK);
    await pulumi(ws, ["config", "set", "--secret", "kubeconfig", kubeconfig]);
    // The example's Deployment needs the Kubernetes provider plugin (pulumi-resource-kubernetes),
    // which cannot be downloaded here (no plugin acquisition offline): leave the workload out and
    // prove the KataConfig alone.
    await pulumi(ws, ["config", "set", "deployWorkload", "false"]);
  });
});

beforeEach(({ onTestFailed }) => onTestFailed(() => void (failed = true)));

afterAll(() => {
  const t = Object.entries(timings).map(([what, ms]) => `${what} ${(ms / 1000).toFixed(1)} s`);
  process.stderr.write(`[pulumi-cli] timings: ${t.join(", ")}\n`);
  if (failed && program) process.stderr.write(`[pulumi-cli] program and stack state kept in ${program.root}\n`);
  else program?.remove();
});

describe("examples/openshift with the real Pulumi CLI against the dev cluster", () => {
  it("pulumi up installs kata on the labelled workers, node by node", async () => {
    const up = await timed("pulumi up", () => pulumi(ws, ["up", "--yes", "--skip-preview"]));
    const output = up.stdout + up.stderr;
    // The provider's progress lines, one per node transition.
    for (const node of labelled) {
      expect(output).toMatch(new RegExp(`${node}: installing \\(\\d/${labelled.length} ready\\)`));
      expect(output).toMatch(new RegExp(`${node}: installed \\(\\d/${labelled.length} ready\\)`));
    }
    expect(output).toMatch(/InProgress False/);
    expect(output).not.toContain("master-0"); // not a worker, not labelled
    expect(output).toMatch(/\+ {2}pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed created/);
    expect(output).toMatch(/\+ 2 created/); // the stack and the KataConfig: no Deployment

    const outputs = JSON.parse((await pulumi(ws, ["stack", "output", "--json"])).stdout) as Record<string, unknown>;
    expect(outputs).toEqual({ ready: labelled.length, runtimeClass: "kata" });

    const kc = JSON.parse(await kubectl(env.cluster, "get", "kataconfig", "example-kataconfig", "-o", "json")) as KataConfig;
    const inProgress = kc.status?.conditions?.find((c) => c.type === "InProgress");
    expect(inProgress?.status).toBe("False");
    expect(kc.status?.kataNodes?.readyNodeCount).toBe(labelled.length);
    expect(kc.status?.kataNodes?.nodeCount).toBe(labelled.length);
    expect([...(kc.status?.kataNodes?.installed ?? [])].sort()).toEqual(labelled);
    expect(kc.status?.runtimeClasses).toEqual(["kata"]);
    expect(kc.spec.kataConfigPoolSelector).toEqual({ matchLabels: { [POOL_LABEL]: "true" } });
    expect(await kubectl(env.cluster, "get", "runtimeclass", "kata", "-o", "name")).toBe("runtimeclass.node.k8s.io/kata\n");
  });

  it("the kubeconfig is a secret: not in plain text in the stack's state or its config file", async () => {
    const exported = (await pulumi(ws, ["stack", "export"])).stdout;
    const key = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    expect(key).toBeTruthy();
    expect(exported).not.toContain(kubeconfig);
    expect(exported).not.toContain(key);
    expect(exported).not.toContain(env.cluster.server); // the server line of the kubeconfig
    expect(exported).toContain("ciphertext");
    const config = fs.readFileSync(path.join(program.programDir, `Pulumi.${STACK}.yaml`), "utf8");
    expect(config).not.toContain(key);
    expect(config).toMatch(/kubeconfig:\s*\n\s*secure: /);
  });

  it("pulumi destroy removes kata: no KataConfig and no RuntimeClass kata afterwards", async () => {
    const destroy = await timed("pulumi destroy", () => pulumi(ws, ["destroy", "--yes", "--skip-preview"]));
    const output = destroy.stdout + destroy.stderr;
    // Node by node, each one uninstalling and then uninstalled.
    for (const node of labelled) {
      expect(output).toMatch(new RegExp(`${node}: uninstalling `));
      expect(output).toMatch(new RegExp(`${node}: uninstalled `));
    }
    expect(output).toMatch(/KataConfig example-kataconfig: removed/);
    expect(output).toMatch(/- {2}pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed deleted/);
    expect(output).toMatch(/- 2 deleted/);

    const kataConfigs = await kubectl(env.cluster, "get", "kataconfig", "-o", "name");
    expect(kataConfigs).toBe("");
    const runtimeClasses = await kubectl(env.cluster, "get", "runtimeclass", "-o", "name");
    expect(runtimeClasses).not.toContain("runtimeclass.node.k8s.io/kata");

    const outputs = JSON.parse((await pulumi(ws, ["stack", "output", "--json"])).stdout) as Record<string, unknown>;
    expect(outputs).toEqual({});
  });

  it("left nothing in the repo: examples/openshift holds the same files", () => {
    expect(fs.readdirSync(exampleDir).sort()).toEqual(exampleFiles);
  });
});
