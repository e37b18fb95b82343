import * as fs from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KubernetesCluster } from "../../provider/cluster/kubernetes";
import { toKubeTime } from "../../provider/k8s/meta";
import type { Evaluation } from "../../provider/mhc";
import type { Machine, MachineHealthCheck } from "../../provider/mhc/model";
import { DevCluster } from "../../tools/dev-cluster/dev-cluster";
import { engineDir, pulumi, selectStack, workspace, type Workspace } from "../../tools/engine";
import { buildPackage, copyExample, type ProgramCopy } from "../apiserver/pulumi-program";

// examples/capi (the seed's two MachineHealthChecks) through the real Pulumi CLI against a dev cluster
// where Cluster API v1.10.10's own MachineHealthCheck controller runs (--capi upstream, fixture
// capi-quickstart; no simulated operator, so nothing but the real controller writes). Two workers'
// Nodes have been NotReady for an hour: `up` must report exactly what the controller wrote, a policy
// change is previewed against the machines that exist, and `destroy` removes both health checks.

const STACK = "capi";
const NS = "default";
const WORKERS = "capi-quickstart-node-unhealthy-5m";
const CONTROL_PLANE = "capi-quickstart-kcp-unhealthy-5m";
const mhcRef = (name: string) => ({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineHealthCheck", namespace: NS, name });

let cluster: DevCluster;
let client: KubernetesCluster;
let program: ProgramCopy;
let ws: Workspace;
let sick: string[] = [];
let failed = false;

beforeAll(async () => {
  buildPackage();
  const engine = engineDir();
  cluster = await DevCluster.start({ fixture: "fixtures/capi-quickstart.yaml", capi: "upstream", operator: false, log: (l) => process.stderr.write(`[dev-cluster] ${l}\n`) });
  client = await cluster.client();
  const workers = (await client.list<Machine>({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", namespace: NS }))
    .filter((m) => m.metadata.labels?.nodepool === "nodepool-0")
    .map((m) => m.metadata.name!)
    .sort();
  sick = workers.slice(0, 2);
  const anHourAgo = toKubeTime(new Date(Date.now() - 3_600_000));
  for (const node of sick) {
    await client.patchStatus({ apiVersion: "v1", kind: "Node", name: node }, { conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady", message: "", lastTransitionTime: anHourAgo }] });
  }
  program = copyExample("capi");
  ws = workspace(program.programDir, program.stateDir, engine);
  await selectStack(ws, STACK);
  await pulumi(ws, ["config", "set", "--secret", "kubeconfig", fs.readFileSync(cluster.kubeconfigPath, "utf8")]);
});

beforeEach(({ onTestFailed }) => onTestFailed(() => void (failed = true)));

afterAll(async () => {
  await client?.close();
  await cluster?.stop({ removeState: !failed });
  if (failed) process.stderr.write(`[capi-e2e] dev cluster logs in ${cluster?.stateDir}; program and state in ${program?.root}\n`);
  else program?.remove();
});

describe("examples/capi with the real Pulumi CLI against Cluster API's own controller", () => {
  it("pulumi up reports exactly what the controller wrote", async () => {
    const up = await pulumi(ws, ["up", "--yes", "--skip-preview"]);
    const output = up.stdout + up.stderr;
    expect(output).toMatch(/\+ 3 created/);
    expect(output).toContain("4/6 machines healthy; remediation allowed (0 more)");

    const outputs = JSON.parse((await pulumi(ws, ["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, Evaluation>;
    const report = outputs.workersRemediation!;
    const live = (await client.get<MachineHealthCheck>(mhcRef(WORKERS)))!;
    const status = live.status!;
    // The counts and the gate, as the controller wrote them. A count that stayed at Go's zero value is
    // never sent by upstream's patch helper: absent reads as 0.
    expect(report.clusterApiVersion).toBe("v1.10");
    expect({ expected: report.expectedMachines, healthy: report.currentHealthy, allowed: report.remediationsAllowed, targets: report.targets }).toEqual({
      expected: status.expectedMachines,
      healthy: status.currentHealthy,
      allowed: status.remediationsAllowed ?? 0,
      targets: status.targets,
    });
    expect(status).toMatchObject({ expectedMachines: 6, currentHealthy: 4, observedGeneration: live.metadata.generation });
    expect(status.remediationsAllowed).toBeUndefined();
    const allowed = status.conditions?.find((c) => c.type === "RemediationAllowed");
    expect(report.remediationAllowed).toBe(allowed?.status === "True");
    expect(report.conditions.map(({ lastTransitionTime: _t, ...c }) => c)).toEqual(status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c));

    // Each machine: the report's verdict is the HealthCheckSucceeded the controller wrote on it.
    const machines = await client.list<Machine>({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", namespace: NS });
    for (const verdict of report.machines) {
      const written = machines.find((m) => m.metadata.name === verdict.name)?.status?.conditions?.find((c) => c.type === "HealthCheckSucceeded");
      if (verdict.state === "healthy") expect(written).toMatchObject({ status: "True" });
      else expect({ name: verdict.name, status: written?.status, reason: written?.reason, message: written?.message }).toEqual({ name: verdict.name, status: "False", reason: verdict.reason, message: verdict.message });
    }
    expect(report.machines.filter((m) => m.state === "unhealthy").map((m) => m.name).sort()).toEqual(sick);
    for (const name of sick) {
      expect(output).toContain(`${name}: unhealthy (UnhealthyNode): Condition Ready on node is reporting status False for more than 5m0s; remediated: MachineSet capi-quickstart-nodepool-0 deletes it`);
      const owner = machines.find((m) => m.metadata.name === name)?.status?.conditions?.find((c) => c.type === "OwnerRemediated");
      expect(owner).toMatchObject({ status: "False", reason: "WaitingForRemediation" });
    }

    const controlPlane = outputs.controlPlaneRemediation!;
    const cpStatus = (await client.get<MachineHealthCheck>(mhcRef(CONTROL_PLANE)))!.status!;
    expect({ expected: controlPlane.expectedMachines, healthy: controlPlane.currentHealthy, allowed: controlPlane.remediationsAllowed }).toEqual({
      expected: cpStatus.expectedMachines,
      healthy: cpStatus.currentHealthy,
      allowed: cpStatus.remediationsAllowed,
    });
    expect(cpStatus).toMatchObject({ expectedMachines: 3, currentHealthy: 3, remediationsAllowed: 3 });
  });

  it("pulumi preview shows what a policy change means for the machines that exist now", async () => {
    await pulumi(ws, ["config", "set", "maxUnhealthy", "20%"]);
    const preview = await pulumi(ws, ["preview", "--diff"]);
    const output = preview.stdout + preview.stderr;
    expect(output).toContain("maxUnhealthy 40% → 20%: 6 machines, limit 2 → 1, 2 unhealthy now: now short-circuited: no machine would be remediated");
    // A preview changes nothing: the controller's status stays.
    expect((await client.get<MachineHealthCheck>(mhcRef(WORKERS)))?.spec.maxUnhealthy).toBe("40%");
  });

  it("pulumi destroy removes both health checks", async () => {
    const destroy = await pulumi(ws, ["destroy", "--yes", "--skip-preview"]);
    expect(destroy.stdout + destroy.stderr).toMatch(/- 3 deleted/);
    expect(await client.get(mhcRef(WORKERS))).toBeUndefined();
    expect(await client.get(mhcRef(CONTROL_PLANE))).toBeUndefined();
  });
});
