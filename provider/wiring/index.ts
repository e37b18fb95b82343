// The wiring: which backend a resource's `cluster` input selects, and which simulated operators a
// twin (or the dev cluster's operator process) runs. It stands above the cluster layer and the
// resource folders; neither imports it.

export { connect, openTwin, DEFAULT_TIME_SCALE } from "./connect";
export { EmbeddedCluster, type EmbeddedClusterOptions } from "./embedded-cluster";
export { defaultTimings, MACHINE_HEALTH_CHECK_CONTROLLER, simulatedOperators, type OperatorTimings } from "./simulated-operators";
