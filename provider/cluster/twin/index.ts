// The embedded cluster twin: a local stand-in for a cluster, with Kubernetes object semantics,
// operators played by controllers, and time that tests control.

export { TwinCluster, type TwinClusterOptions } from "./twin-cluster";
export { ObjectStore, type AdmissionHook, type CreateOptions, type StoreContents, type StoreEvent, type StoreOperation } from "./store";
export {
  ControllerError,
  ControllerRunner,
  storeControllerOf,
  type Controller,
  type ReconcileContext,
  type ReconcileResult,
  type RunnerLimits,
  type StoreController,
} from "./controller-runner";
export { StoreClient } from "./store-client";
export { ScaledClock, VirtualClock, type ClockState, type ScaledAnchor } from "./clock";
export { FixtureError, parseFixture, readFixture, scheduleApiVersion, seedFixture, type Fixture, type FixtureEvent, type FixtureObject } from "./fixture";
export { actionNames, mcoReasonAnnotation, mcoStateAnnotation, runAction, Schedule, type PendingEvent, type ScheduleAction } from "./schedule";
export { StateFile, StateFileError, type TwinState } from "./state-file";
export { LockTimeoutError } from "./file-lock";
export { applyMergePatch } from "./merge-patch";
