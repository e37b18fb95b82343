import type { FixtureCheck, SimulatedOperators } from "../../cluster/controller";
import { describeRef, refOf } from "../../cluster/client";
import type { Node } from "../../k8s/core";
import { primaryPoolOf } from "../machine-config";
import type { MachineConfigPool } from "../model";
import { machineConfigController } from "./machine-config-operator";
import { kataOperatorController } from "./sandboxed-containers-operator";
import { singleKataConfig } from "./webhook";

// What plays OpenShift for a KataConfig where there is no OpenShift: the sandboxed containers
// operator, the Machine Config Operator (its ContainerRuntimeConfig, render and node controllers and
// the daemon on each node) and the operator's webhook.

export interface KataSimulationTimings {
  /** How long the machine-config daemon takes to move one node to a new config (drain, reboot). */
  nodeUpdateMs: number;
}

export function kataSimulation(timings: KataSimulationTimings): SimulatedOperators {
  return {
    controllers: [kataOperatorController(), machineConfigController({ nodeUpdateMs: timings.nodeUpdateMs })],
    admission: [singleKataConfig],
    fixtureChecks: [nodesInPools],
  };
}

/**
 * An OpenShift fixture (one with MachineConfigPools, or nodes carrying the machine-config daemon's
 * annotations) must put every node in a pool: the MCO rolls out nothing else, and the operator
 * cannot tell where a node stands.
 */
export const nodesInPools: FixtureCheck = (objects) => {
  const pools = objects.map((o) => o.object).filter((o): o is MachineConfigPool => o.kind === "MachineConfigPool");
  const nodes = objects.filter((o) => o.object.kind === "Node");
  const openShift = pools.length > 0 || nodes.some(({ object }) => Object.keys(object.metadata.annotations ?? {}).some((k) => k.startsWith("machineconfiguration.openshift.io/")));
  if (!openShift) return [];
  const homeless = nodes.filter(({ object }) => !primaryPoolOf(object as Node, pools));
  if (homeless.length === 0) return [];
  const listed = homeless.slice(0, 3).map(({ where }) => where).join("; ");
  const more = homeless.length > 3 ? ` and ${homeless.length - 3} more` : "";
  const names = homeless.map(({ object }) => describeRef(refOf(object)));
  return [
    `${listed}${more}: ${names.length === 1 ? `${names[0]} belongs` : `${names.length} nodes belong`} to no MachineConfigPool. ` +
      `An OpenShift cluster always has the pools master (nodeSelector matchLabels node-role.kubernetes.io/master: "") and worker ` +
      `(nodeSelector matchLabels node-role.kubernetes.io/worker: ""), each with spec.configuration.name, the rendered config its nodes run ` +
      `(their machineconfiguration.openshift.io/currentConfig): add them to the fixture, as fixtures/two-workers.yaml does.`,
  ];
};

export { KATA_DUPLICATE_MESSAGE } from "./webhook";
export { kataOperatorController } from "./sandboxed-containers-operator";
