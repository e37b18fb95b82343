// The provider entry: what the serialized dynamic providers `require` by package name, plus the
// models, semantics and the embedded twin for programs and tests.

import * as kataHandlers from "./kata/handlers";
import * as mhcHandlers from "./mhc/handlers";

export const providers = {
  kataConfig: {
    check: kataHandlers.check,
    diff: kataHandlers.diff,
    create: kataHandlers.create,
    read: kataHandlers.read,
    update: kataHandlers.update,
    delete: kataHandlers.remove,
  },
  machineHealthCheck: {
    check: mhcHandlers.check,
    diff: mhcHandlers.diff,
    create: mhcHandlers.create,
    read: mhcHandlers.read,
    update: mhcHandlers.update,
    delete: mhcHandlers.remove,
  },
};

export * from "./kata";
export * from "./mhc";
export { EmbeddedCluster, type EmbeddedClusterOptions, parseFixture, readFixture, type Fixture } from "./cluster/twin";
export type { ClusterClient, ObjectRef, WatchEvent } from "./cluster/client";
export type { Clock } from "./cluster/clock";
export { connect } from "./cluster/connect";
export { operatorControllers, defaultTimings, type OperatorTimings } from "./cluster/operators";
export type { CheckFailure } from "./lifecycle/check-failures";
export { formatGoDuration, parseGoDuration } from "./k8s/duration";
