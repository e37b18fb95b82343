import { isDeepStrictEqual } from "node:util";
import type { ClusterClient } from "../cluster/client";
import { kinds } from "../k8s/api-types";
import type { Node } from "../k8s/core";
import { describeFailures } from "../lifecycle/check-failures";
import type { HandlerContext } from "../lifecycle/context";
import { PartialStateError, WaitFailedError } from "../lifecycle/errors";
import { type CommonInputs, declaredMetadataOf, diffInputs, type DiffResult, OWNER_ANNOTATION, PROVIDER_KEY } from "../lifecycle/inputs";
import { timeoutMs } from "../lifecycle/timeouts";
import { containsUnknown } from "../lifecycle/unknowns";
import { waitFor } from "../lifecycle/wait";
import { type ClusterCall, requireAccess, withCluster } from "../lifecycle/with-cluster";
import { mhcAccess } from "./access";
import { type Evaluation, evaluateMachineHealthCheck } from "./evaluate";
import { describePolicyImpact } from "./impact";
import {
  type Cluster,
  clusterApiVersion,
  type DeclaredMachineHealthCheck,
  type KubeadmControlPlane,
  labelKeys,
  type Machine,
  type MachineHealthCheck,
  type MachineSet,
} from "./model";
import { machineHealthCheckStatusOutput, type MachineHealthCheckStatusOutput } from "./outputs";
import { storedForm, validateMachineHealthCheck } from "./validate";

// The MachineHealthCheck resource's handlers, written once against ClusterClient.

export const MHC_DEFAULT_TIMEOUT = "5m";
const KIND = "MachineHealthCheck";
const DEFAULT_NAMESPACE = "default";
const policyFields = ["maxUnhealthy", "unhealthyRange", "unhealthyConditions", "nodeStartupTimeout", "selector", "remediationTemplate"] as const;

/** What cannot change in place, and why. */
const replaceOn = {
  "metadata.name": "a MachineHealthCheck cannot be renamed",
  "metadata.namespace": "a MachineHealthCheck cannot move to another namespace",
  "spec.clusterName": "Cluster API does not allow spec.clusterName to change",
};

export interface MachineHealthCheckInputs extends CommonInputs {
  spec: DeclaredMachineHealthCheck["spec"];
  timeouts?: { create?: string; update?: string; delete?: string };
}

export interface MachineHealthCheckOutputs extends MachineHealthCheckInputs {
  status: MachineHealthCheckStatusOutput;
  /**
   * What the health controller sees now: which machines are unhealthy and why, whether remediation is
   * allowed. Absent when the policy's Cluster cannot be found.
   */
  report?: Evaluation;
}

export { check } from "./check";

export async function diff(context: HandlerContext, _id: string, olds: MachineHealthCheckOutputs, news: MachineHealthCheckInputs): Promise<DiffResult> {
  const result = diffInputs(olds, news, ["metadata", "spec", "timeouts"], replaceOn);
  const policyChanged = policyFields.some((f) => !isDeepStrictEqual(olds.spec?.[f], news.spec?.[f]));
  if (policyChanged && result.replaces.length === 0) await reportImpact(context, olds, news);
  return result;
}

export async function create(context: HandlerContext, inputs: MachineHealthCheckInputs): Promise<{ id: string; outs: MachineHealthCheckOutputs }> {
  return withCluster(context, inputs, KIND, async (call) => {
    const { client, label } = call;
    await requireAccess(call, mhcAccess(refOf(inputs).namespace).create);
    const existing = await client.get<MachineHealthCheck>(refOf(inputs));
    const owner = existing?.metadata.annotations?.[OWNER_ANNOTATION];
    if (existing && owner !== inputs.owner) {
      throw new Error(`${label} already exists in ${client.description} and was not created by this stack${owner ? ` (it belongs to ${owner})` : ""}: choose another metadata.name, or delete it first.`);
    }
    return { id: idOf(inputs), outs: await applyAndObserve(context, call, inputs, "create") };
  });
}

export async function update(context: HandlerContext, id: string, _olds: MachineHealthCheckOutputs, news: MachineHealthCheckInputs): Promise<{ outs: MachineHealthCheckOutputs }> {
  return withCluster(context, news, KIND, async (call) => {
    await requireAccess(call, mhcAccess(refOf(news).namespace).update);
    return { outs: await applyAndObserve(context, call, news, "update", id) };
  });
}

/**
 * The live object and a fresh report. With no properties to go on (`pulumi import` by
 * "namespace/name", or a name in the default namespace), also the inputs a program would declare
 * for it; the cluster is then the host's default one.
 */
export async function read(context: HandlerContext, id: string, props: MachineHealthCheckOutputs | Record<string, never>): Promise<{ id?: string; props?: MachineHealthCheckOutputs; inputs?: MachineHealthCheckInputs }> {
  const importing = props.metadata === undefined;
  const [namespace, name] = id.includes("/") ? id.split("/", 2) : [DEFAULT_NAMESPACE, id];
  const known: CommonInputs = importing ? { metadata: { name, namespace } } : (props as MachineHealthCheckOutputs);
  return withCluster(context, known, KIND, async ({ client }) => {
    const live = await client.get<MachineHealthCheck>(refOf(known));
    if (!live) return {};
    if (!importing) return { id, props: await outputsOf(client, props as MachineHealthCheckOutputs, live) };
    // The cluster-name label is the one Cluster API's webhook adds: a program does not declare it.
    const metadata = declaredMetadataOf(live.metadata, live.metadata.labels?.[labelKeys.clusterName] === live.spec.clusterName ? [labelKeys.clusterName] : []);
    const inputs: MachineHealthCheckInputs = { metadata, spec: live.spec as MachineHealthCheckInputs["spec"] };
    return { id: idOf(inputs), props: await outputsOf(client, inputs, live), inputs };
  });
}

export async function remove(context: HandlerContext, _id: string, props: MachineHealthCheckOutputs): Promise<void> {
  await withCluster(context, props, KIND, async (call) => {
    const { client, label } = call;
    const ref = refOf(props);
    await requireAccess(call, mhcAccess(ref.namespace).delete);
    if (!(await client.delete(ref))) return;
    await waitFor({
      client,
      ref,
      what: `${label} to be deleted`,
      limitMs: timeoutMs(props.timeouts, "delete", MHC_DEFAULT_TIMEOUT, context.timeoutMs),
      signal: context.signal,
      evaluate: (object) => (object ? { state: "waiting", progress: "deletion requested" } : { state: "done", value: undefined }),
    });
  });
}

/** Apply the policy, wait until the controller has seen this generation, then report. */
async function applyAndObserve(context: HandlerContext, { client, label, progress }: ClusterCall, inputs: MachineHealthCheckInputs, operation: "create" | "update", id = idOf(inputs)): Promise<MachineHealthCheckOutputs> {
  const applied = await client.apply<MachineHealthCheck>(desiredObject(inputs));
  let live: MachineHealthCheck | undefined = applied;
  try {
    await waitFor({
      client,
      ref: refOf(inputs),
      what: `the health controller to observe ${label} (generation ${applied.metadata.generation})`,
      limitMs: timeoutMs(inputs.timeouts, operation, MHC_DEFAULT_TIMEOUT, context.timeoutMs),
      signal: context.signal,
      onProgress: (text) => progress.status?.(text),
      evaluate: (object) => {
        if (!object) return { state: "failed", error: new WaitFailedError(`${label} was deleted by someone else`) };
        live = object as MachineHealthCheck;
        const observed = live.status?.observedGeneration ?? 0;
        if (observed >= (live.metadata.generation ?? 1)) return { state: "done", value: undefined };
        // Cluster API leaves observedGeneration behind while its reconcile fails (a missing remediation
        // template, say): what it wrote instead is what the wait says, and what a time-out reports.
        const problems = (live.status?.conditions ?? []).filter((c) => c.status === "False" && c.severity === "Error").map((c) => `${c.type} False: ${c.message ?? c.reason ?? ""}`);
        return { state: "waiting", progress: [`observedGeneration ${observed}`, ...problems].join("; ") };
      },
    });
  } catch (error) {
    throw new PartialStateError((error as Error).message, id, { ...(await outputsOf(client, inputs, live)), [PROVIDER_KEY]: inputs[PROVIDER_KEY] });
  }
  const outs = await outputsOf(client, inputs, live);
  if (outs.report) for (const line of reportLines(outs.report)) progress.line(line);
  return outs;
}

async function outputsOf(client: ClusterClient, inputs: MachineHealthCheckInputs, live: MachineHealthCheck | undefined): Promise<MachineHealthCheckOutputs> {
  const { [PROVIDER_KEY]: _provider, ...rest } = inputs;
  const report = live ? await evaluateNow(client, live) : undefined;
  return { ...rest, status: machineHealthCheckStatusOutput(live?.status), ...(report ? { report } : {}) };
}

/** The evaluation for the objects that exist now, or undefined when the Cluster is not there. */
async function evaluateNow(client: ClusterClient, machineHealthCheck: MachineHealthCheck): Promise<Evaluation | undefined> {
  const namespace = machineHealthCheck.metadata.namespace ?? DEFAULT_NAMESPACE;
  const cluster = await client.get<Cluster>({ ...kinds.cluster, namespace, name: machineHealthCheck.spec.clusterName });
  if (!cluster) return undefined;
  const [machines, nodes, controlPlanes, machineSets] = await Promise.all([
    client.list<Machine>({ ...kinds.machine, namespace }),
    client.list<Node>(kinds.node),
    // The owners, so that the report can say what they do; a cluster without their CRDs has none.
    client.list<KubeadmControlPlane>({ ...kinds.kubeadmControlPlane, namespace }).catch(() => undefined),
    client.list<MachineSet>({ ...kinds.machineSet, namespace }).catch(() => undefined),
  ]);
  return evaluateMachineHealthCheck({
    machineHealthCheck,
    cluster,
    machines,
    nodes,
    now: client.clock.now(),
    ...(controlPlanes ? { controlPlanes } : {}),
    ...(machineSets ? { machineSets } : {}),
  });
}

function reportLines(evaluation: Evaluation): string[] {
  const lines = [
    `${evaluation.currentHealthy}/${evaluation.expectedMachines} machines healthy; remediation ${evaluation.remediationAllowed ? `allowed (${evaluation.remediationsAllowed} more)` : "short-circuited"}`,
  ];
  if (evaluation.error) lines.push(`Cluster API's controller cannot reconcile it: ${evaluation.error}`);
  for (const m of evaluation.machines) {
    if (m.state === "healthy") continue;
    const next = m.remediation ? `; ${m.remediation.outcome}: ${m.remediation.message}` : "";
    lines.push(`${m.name}: ${m.state}${m.reason ? ` (${m.reason})` : ""}${m.message ? `: ${m.message}` : ""}${next}`);
  }
  return lines;
}

/** In preview: what the policy change means for the machines that exist now. Never fails the diff. */
async function reportImpact(context: HandlerContext, olds: MachineHealthCheckOutputs, news: MachineHealthCheckInputs): Promise<void> {
  const progress = context.progress(`${KIND} ${idOf(news)}`);
  if (containsUnknown(news.spec) || containsUnknown(news.cluster)) return;
  let client: ClusterClient | undefined;
  try {
    client = await context.connect(news.cluster);
    const before = desiredObject(olds);
    const after = desiredObject(news);
    const oldEval = await evaluateNow(client, before);
    const newEval = await evaluateNow(client, after);
    if (!oldEval || !newEval) {
      progress.line(`cannot show what the policy change means: Cluster ${after.spec.clusterName} is not in ${client.description}`);
      return;
    }
    for (const line of describePolicyImpact({ spec: before.spec, evaluation: oldEval }, { spec: after.spec, evaluation: newEval })) progress.line(line);
  } catch (error) {
    progress.line(`cannot read the cluster to show what the policy change means (${(error as Error).message}); going on without it`);
  } finally {
    await client?.close();
  }
}

/** The object as the API server would store it: defaults applied, durations canonical, our owner mark. */
function desiredObject(inputs: MachineHealthCheckInputs): MachineHealthCheck {
  const metadata = { ...inputs.metadata, namespace: inputs.metadata.namespace ?? DEFAULT_NAMESPACE };
  const declared = validateMachineHealthCheck({ metadata, spec: inputs.spec });
  if (!declared.ok) throw new Error(`${KIND} ${idOf(inputs)}: ${describeFailures(declared.failures)}`);
  const stored = storedForm(declared.value);
  return {
    ...stored,
    apiVersion: clusterApiVersion,
    kind: KIND,
    metadata: {
      ...stored.metadata,
      annotations: { ...(stored.metadata?.annotations ?? {}), ...(inputs.owner ? { [OWNER_ANNOTATION]: inputs.owner } : {}) },
    },
  } as MachineHealthCheck;
}

function refOf(inputs: CommonInputs) {
  return { ...kinds.machineHealthCheck, name: inputs.metadata.name, namespace: inputs.metadata.namespace ?? DEFAULT_NAMESPACE };
}

function idOf(inputs: CommonInputs): string {
  return `${inputs.metadata.namespace ?? DEFAULT_NAMESPACE}/${inputs.metadata.name}`;
}
