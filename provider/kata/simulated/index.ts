import type { SimulatedOperators } from "../../cluster/controller";
import { machineConfigController } from "./machine-config-operator";
import { kataOperatorController } from "./sandboxed-containers-operator";
import { singleKataConfig } from "./webhook";

// What plays OpenShift for a KataConfig where there is no OpenShift: the sandboxed containers
// operator, the Machine Config Operator's rollout and the operator's webhook.

export interface KataSimulationTimings {
  /** How long the machine-config daemon takes to move one node to a new config (drain, reboot). */
  nodeUpdateMs: number;
}

export function kataSimulation(timings: KataSimulationTimings): SimulatedOperators {
  return {
    controllers: [kataOperatorController, machineConfigController({ nodeUpdateMs: timings.nodeUpdateMs })],
    admission: [singleKataConfig],
  };
}

export { KATA_DUPLICATE_MESSAGE } from "./webhook";
export { kataPool } from "./sandboxed-containers-operator";
