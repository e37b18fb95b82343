// MachineHealthCheck: model, check-time validation, evaluation, and the controllers' steps.

export {
  annotationKeys,
  clusterApiVersion,
  clusterSchema,
  conditionTypes,
  declaredMachineHealthCheckSchema,
  defaultMaxUnhealthy,
  defaultNodeStartupTimeout,
  immutableSpecFields,
  kubeadmControlPlaneSchema,
  labelKeys,
  machineHealthCheckSchema,
  machineHealthCheckSpecSchema,
  machineHealthCheckStatusSchema,
  machineSchema,
  machineSetSchema,
  parseUnhealthyRange,
  readUnhealthyRange,
  scaleMaxUnhealthy,
  type Cluster,
  type DeclaredMachineHealthCheck,
  type KubeadmControlPlane,
  type Machine,
  type MachineHealthCheck,
  type MachineHealthCheckSpec,
  type MachineHealthCheckStatus,
  type MachineSet,
  type UnhealthyCondition,
} from "./model";
export {
  canonicalDuration,
  storedForm,
  validateMachineHealthCheck,
  validateMachineHealthCheckUpdate,
} from "./validate";
export {
  CLUSTER_API_SEMANTICS,
  evaluateMachineHealthCheck,
  machineHealthCheckStatus,
  pausedStatus,
  selectMachines,
  type RemediationOutcome,
  type Evaluation,
  type EvaluationInput,
  type MachineState,
  type MachineVerdict,
} from "./evaluate";
export { pendingReasons, unhealthyReasons } from "./health";
export type { RemediatedBy } from "./owners";
export { randomNameGenerator, type ClusterAction, type NameGenerator } from "./actions";
export { planMachineHealthCheckStep, type MachineHealthCheckStep, type MachineHealthCheckStepInput } from "./health-check-step";
export {
  kcpMessages,
  planKubeadmControlPlaneRemediation,
  planMachineSetRemediation,
  type OwnerRemediationInput,
  type OwnerRemediationStep,
} from "./owner-remediation-step";
export {
  decideKubeadmControlPlaneRemediation,
  decideMachineSetRemediation,
  kcpAnnotations,
  pickControlPlaneMachine,
  type OwnerDecision,
} from "./owner-remediation";
