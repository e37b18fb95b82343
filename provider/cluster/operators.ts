import type { Controller } from "./controller";
import { kataOperatorController, machineConfigController } from "../kata/controller";
import { KATA_KIND } from "../kata/model";
import { machineHealthCheckController, machineInfrastructureController, ownerRemediationController } from "../mhc/controller";
import type { AdmissionHook } from "./twin/store";

// The operators a cluster runs for our resources, as one set: the twin plays them in-process; the
// dev cluster's operator process plays them against a real API server.

export interface OperatorTimings {
  /** How long the machine-config daemon takes to move one node to a new config. */
  nodeUpdateMs: number;
  /** How long a new Machine takes to get a Node. */
  nodeStartupMs: number;
}

/** Twin time: a real node update (drain, reboot) takes minutes; so does a machine's start-up. */
export const defaultTimings: OperatorTimings = { nodeUpdateMs: 5 * 60_000, nodeStartupMs: 3 * 60_000 };

export function operatorControllers(timings: OperatorTimings = defaultTimings): Controller[] {
  return [
    kataOperatorController,
    machineConfigController({ nodeUpdateMs: timings.nodeUpdateMs }),
    machineHealthCheckController,
    ownerRemediationController(),
    machineInfrastructureController({ nodeStartupMs: timings.nodeStartupMs }),
  ];
}

export const KATA_DUPLICATE_MESSAGE = "A KataConfig instance already exists, refusing to create a duplicate";

/** The sandboxed containers operator's webhook: one KataConfig per cluster. */
export const singleKataConfig: AdmissionHook = (object, operation, store) => {
  if (operation !== "CREATE") return undefined;
  const others = store.list({ apiVersion: object.apiVersion, kind: KATA_KIND }).filter((k) => k.metadata.name !== object.metadata.name);
  return others.length > 0 ? KATA_DUPLICATE_MESSAGE : undefined;
};
