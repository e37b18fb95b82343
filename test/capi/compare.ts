import { isDeepStrictEqual } from "node:util";
import type { ClusterAction } from "../../provider/mhc/actions";
import type { Node } from "../../provider/k8s/core";
import type { Condition, KubeObject } from "../../provider/k8s/meta";
import { evaluateMachineHealthCheck, planMachineHealthCheckStep } from "../../provider/mhc";
import type { Cluster, Machine, MachineHealthCheck, V1Beta2Condition } from "../../provider/mhc/model";

// What this project says Cluster API's controller writes, next to what it wrote.
//
// Ours: the health check step run on the objects as they were before the health check existed, at the
// time the result was read, repeated until it asks for nothing more (the controller, too, reconciles until
// nothing changes). Compared, after normalizing only what is not the semantics' business:
// - lastTransitionTime: the two clocks differ, so only "kept from the input" or "set now" is compared;
// - counts absent or 0: upstream's patch helper never sends a field whose Go zero value did not change, so
//   an MHC with no targets has no expectedMachines at all; Go reads both as 0;
// - JSON key order.
// Everything else (condition order, reasons, severities, messages, observedGeneration, labels, owner
// references, the requests created) must be equal.

export interface World {
  mhc: MachineHealthCheck;
  cluster: Cluster;
  machines: Machine[];
  nodes: Node[];
  template?: KubeObject;
  requests: KubeObject[];
}

export interface Disagreement {
  what: string;
  ours: unknown;
  upstream: unknown;
}

/** Our controller step, repeated on an in-memory copy of `before` until it has nothing more to do. */
export function expectedWorld(before: World, now: Date): World {
  const world: World = structuredClone(before);
  for (let round = 0; round < 6; round++) {
    const step = planMachineHealthCheckStep({
      machineHealthCheck: world.mhc,
      cluster: world.cluster,
      machines: world.machines,
      nodes: world.nodes,
      now,
      ...(world.template ? { remediationTemplate: world.template } : {}),
      remediationRequests: world.requests,
    });
    const writes = step.actions.filter((a) => a.action !== "report");
    if (writes.length === 0) return world;
    for (const action of writes) apply(world, action);
  }
  throw new Error("our step did not settle in 6 rounds");
}

function apply(world: World, action: ClusterAction): void {
  if (action.action === "create") {
    world.requests.push(structuredClone(action.object));
    return;
  }
  if (action.action === "report") return;
  const { kind, name } = action.ref;
  if (action.action === "delete") {
    if (kind === "Machine") world.machines = world.machines.filter((m) => m.metadata.name !== name);
    else world.requests = world.requests.filter((r) => !(r.kind === kind && r.metadata.name === name));
    return;
  }
  const target: KubeObject | undefined = kind === "MachineHealthCheck" ? world.mhc : kind === "Machine" ? world.machines.find((m) => m.metadata.name === name) : undefined;
  if (!target) throw new Error(`our step wrote to ${kind} ${name}, which the test does not follow`);
  if (action.action === "patchStatus") target.status = structuredClone(action.status);
  else mergePatch(target as unknown as Record<string, unknown>, action.patch);
}

function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (typeof value === "object" && !Array.isArray(value) && typeof target[key] === "object" && target[key] !== null && !Array.isArray(target[key])) {
      mergePatch(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else target[key] = structuredClone(value);
  }
}

/** Every difference between our expected world and the one read back, with `before` to tell kept times from new ones. */
export function compareWorlds(before: World, ours: World, upstream: World, now: Date): Disagreement[] {
  const out: Disagreement[] = [];
  const check = (what: string, a: unknown, b: unknown) => {
    if (!isDeepStrictEqual(a, b)) out.push({ what, ours: a, upstream: b });
  };

  const mhcBefore = before.mhc;
  check("MachineHealthCheck cluster-name label", ours.mhc.metadata.labels?.["cluster.x-k8s.io/cluster-name"], upstream.mhc.metadata.labels?.["cluster.x-k8s.io/cluster-name"]);
  check("MachineHealthCheck ownerReferences", owners(ours.mhc), owners(upstream.mhc));
  check("MachineHealthCheck status", mhcStatus(ours.mhc, mhcBefore), mhcStatus(upstream.mhc, mhcBefore));

  const names = [...new Set([...ours.machines, ...upstream.machines].map((m) => m.metadata.name!))].sort();
  for (const name of names) {
    const o = ours.machines.find((m) => m.metadata.name === name);
    const u = upstream.machines.find((m) => m.metadata.name === name);
    const b = before.machines.find((m) => m.metadata.name === name);
    check(`Machine ${name} conditions`, o && machineConditions(o, b), u && machineConditions(u, b));
  }
  check("remediation requests", requests(ours.requests), requests(upstream.requests));

  // The report (evaluateMachineHealthCheck) on the same objects at the same time, against what the
  // controller wrote: the counts, the targets, the gate, and each machine it marked.
  const report = evaluateMachineHealthCheck({ machineHealthCheck: before.mhc, cluster: before.cluster, machines: before.machines, nodes: before.nodes, now });
  const status = upstream.mhc.status ?? {};
  const written = status.expectedMachines !== undefined || status.targets !== undefined || status.conditions !== undefined;
  if (report.paused) {
    check("report: paused (upstream wrote only the Paused condition)", true, !written && v1beta2(upstream.mhc).some((c) => c.type === "Paused" && c.status === "True"));
  } else {
    check("report: expectedMachines", report.expectedMachines, status.expectedMachines ?? 0);
    check("report: currentHealthy", report.currentHealthy, status.currentHealthy ?? 0);
    check("report: targets", report.targets, status.targets ?? []);
    check("report: error (upstream: no observedGeneration, no RemediationAllowed)", report.error !== undefined, status.observedGeneration === undefined && !status.conditions?.some((c) => c.type === "RemediationAllowed"));
    if (report.error === undefined) {
      const allowed = status.conditions?.find((c) => c.type === "RemediationAllowed");
      check("report: remediationAllowed", report.remediationAllowed, allowed?.status === "True");
      check("report: remediationsAllowed", report.remediationsAllowed, status.remediationsAllowed ?? 0);
      check("report: RemediationAllowed message", report.conditions.find((c) => c.type === "RemediationAllowed")?.message, allowed?.message);
      for (const verdict of report.machines) {
        const u = upstream.machines.find((m) => m.metadata.name === verdict.name);
        const b = before.machines.find((m) => m.metadata.name === verdict.name);
        const uh = u?.status?.conditions?.find((c) => c.type === "HealthCheckSucceeded");
        const bh = b?.status?.conditions?.find((c) => c.type === "HealthCheckSucceeded");
        if (!uh || (bh && isDeepStrictEqual(uh, bh))) continue; // nothing written on it in this run
        check(
          `report: verdict on Machine ${verdict.name}`,
          verdict.state === "healthy" ? "True" : verdict.state === "unhealthy" ? `False ${verdict.reason}` : verdict.state,
          uh.status === "True" ? "True" : `False ${uh.reason}`,
        );
      }
    }
  }
  return out;
}

function owners(mhc: MachineHealthCheck) {
  return (mhc.metadata.ownerReferences ?? []).map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid, controller: r.controller ?? false, blockOwnerDeletion: r.blockOwnerDeletion ?? false }));
}

function mhcStatus(mhc: MachineHealthCheck, before: MachineHealthCheck) {
  const s = mhc.status ?? {};
  return {
    expectedMachines: s.expectedMachines ?? 0,
    currentHealthy: s.currentHealthy ?? 0,
    remediationsAllowed: s.remediationsAllowed ?? 0,
    targets: s.targets ?? [],
    observedGeneration: s.observedGeneration ?? null,
    conditions: v1beta1List(s.conditions, before.status?.conditions),
    v1beta2: v1beta2List(v1beta2(mhc), v1beta2(before)),
  };
}

function machineConditions(machine: Machine, before: Machine | undefined) {
  return {
    conditions: v1beta1List(machine.status?.conditions, before?.status?.conditions),
    v1beta2: v1beta2List(machine.status?.v1beta2?.conditions, before?.status?.v1beta2?.conditions),
  };
}

function v1beta2(object: { status?: { v1beta2?: { conditions?: V1Beta2Condition[] } } }): V1Beta2Condition[] {
  return object.status?.v1beta2?.conditions ?? [];
}

/**
 * Conditions in order, every field of the list's kind present ("" or 0 when absent), the time replaced by
 * whether it is the input's.
 */
function conditionList<C extends { type: string; lastTransitionTime?: string }>(conditions: readonly C[] | undefined, before: readonly C[] | undefined, fields: readonly string[]) {
  return (conditions ?? []).map((c) => ({
    ...Object.fromEntries(fields.map((f) => [f, (c as Record<string, unknown>)[f] ?? (f === "observedGeneration" ? 0 : "")])),
    time: before?.find((p) => p.type === c.type)?.lastTransitionTime === c.lastTransitionTime ? "kept" : "set",
  }));
}

const v1beta1List = (conditions: readonly Condition[] | undefined, before: readonly Condition[] | undefined) =>
  conditionList(conditions, before, ["type", "status", "severity", "reason", "message"]);
const v1beta2List = (conditions: readonly V1Beta2Condition[] | undefined, before: readonly V1Beta2Condition[] | undefined) =>
  conditionList(conditions, before, ["type", "status", "reason", "message", "observedGeneration"]);

function requests(list: readonly KubeObject[]) {
  return list
    .map((r) => ({
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.metadata.name,
      labels: withoutBatch(r.metadata.labels),
      annotations: r.metadata.annotations ?? {},
      owners: (r.metadata.ownerReferences ?? []).map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller: o.controller ?? false })),
      spec: r.spec ?? null,
    }))
    .sort((a, b) => (a.name! < b.name! ? -1 : 1));
}

function withoutBatch(labels: Record<string, string> | undefined): Record<string, string> {
  const { "differential.cluster-runtime.test/batch": _batch, ...rest } = labels ?? {};
  return rest;
}
