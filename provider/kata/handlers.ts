import { kinds } from "../k8s/api-types";
import type { Node, Pod } from "../k8s/core";
import type { HandlerContext } from "../lifecycle/context";
import { PartialStateError, WaitFailedError } from "../lifecycle/errors";
import { type CommonInputs, declaredMetadataOf, OWNER_ANNOTATION, PROVIDER_KEY } from "../lifecycle/inputs";
import { timeoutMs } from "../lifecycle/timeouts";
import { waitFor, type WaitVerdict } from "../lifecycle/wait";
import { type ClusterCall, requireAccess, withCluster } from "../lifecycle/with-cluster";
import { kataAccess } from "./access";
import { expectation, type InstallExpectation, judgeInstall, judgeRemoval, RECONCILE_REQUESTED_ANNOTATION } from "./follow";
import {
  type ContainerRuntimeConfig,
  CRIO_CONFIG,
  KATA_API_VERSION,
  KATA_KIND,
  KATA_RUNTIME_CLASS,
  type KataConfig,
  type KataConfigSpec,
  type MachineConfigPool,
} from "./model";
import { inProgressCondition, reasons } from "./operator-step";
import { kataConfigStatusOutput, type KataConfigStatusOutput } from "./outputs";
import { KataProgress, report } from "./progress";

// The KataConfig resource's handlers, written once against ClusterClient.

export const KATA_DEFAULT_TIMEOUT = "60m";

export interface KataConfigInputs extends CommonInputs {
  spec?: KataConfigSpec;
  timeouts?: { create?: string; update?: string; delete?: string };
}

export interface KataConfigOutputs extends KataConfigInputs {
  status: KataConfigStatusOutput;
  /** The RuntimeClass pods use to run in the sandbox, once it exists. */
  runtimeClassName: string;
}

export { check, diff } from "./check";

export async function create(context: HandlerContext, inputs: KataConfigInputs): Promise<{ id: string; outs: KataConfigOutputs }> {
  return withCluster(context, inputs, KATA_KIND, async (call) => {
    await requireAccess(call, kataAccess.create);
    await refuseForeignKataConfig(call, inputs);
    const outs = await followInstall(context, call, inputs, "create");
    return { id: nameOf(inputs), outs };
  });
}

export async function update(context: HandlerContext, id: string, _olds: KataConfigOutputs, news: KataConfigInputs): Promise<{ outs: KataConfigOutputs }> {
  return withCluster(context, news, KATA_KIND, async (call) => {
    await requireAccess(call, kataAccess.update);
    return { outs: await followInstall(context, call, news, "update", id) };
  });
}

/**
 * The live object. With no properties to go on (`pulumi import` of an existing KataConfig by name),
 * also the inputs a program would declare for it; the cluster is then the host's default one.
 */
export async function read(context: HandlerContext, id: string, props: KataConfigOutputs | Record<string, never>): Promise<{ id?: string; props?: KataConfigOutputs; inputs?: KataConfigInputs }> {
  const importing = props.metadata === undefined;
  const known: CommonInputs = importing ? { metadata: { name: id } } : (props as KataConfigOutputs);
  return withCluster(context, known, KATA_KIND, async ({ client }) => {
    const live = await client.get<KataConfig>({ ...kinds.kataConfig, name: id });
    if (!live) return {};
    if (!importing) return { id, props: outputsOf(props as KataConfigOutputs, live) };
    const inputs: KataConfigInputs = { metadata: declaredMetadataOf(live.metadata), spec: live.spec ?? {} };
    return { id, props: outputsOf(inputs, live), inputs };
  });
}

export async function remove(context: HandlerContext, id: string, props: KataConfigOutputs): Promise<void> {
  await withCluster(context, props, KATA_KIND, async (call) => {
    const { client, progress: say } = call;
    await requireAccess(call, kataAccess.delete);
    const ref = { ...kinds.kataConfig, name: id };
    const existing = await client.get<KataConfig>(ref);
    if (!existing) return say.line("already removed from the cluster");
    const progress = new KataProgress();
    progress.observe(existing.status); // report changes from here on, not the installed state
    let nudged: string | undefined;

    await waitFor({
      client,
      ref,
      what: `KataConfig ${id} to be removed`,
      limitMs: timeoutMs(props.timeouts, "delete", KATA_DEFAULT_TIMEOUT, context.timeoutMs),
      signal: context.signal,
      onProgress: (text) => say.status?.(text),
      mirror: [kinds.node],
      start: async () => {
        await client.delete(ref);
        say.line("deletion requested; following the removal of kata from the nodes");
      },
      evaluate: async (object, mirrors): Promise<WaitVerdict<void>> => {
        if (!object) {
          report(progress.removed(), say);
          return { state: "done", value: undefined };
        }
        const kataConfig = object as KataConfig;
        report(progress.observe(kataConfig.status), say);
        const blocked = inProgressCondition(kataConfig.status)?.reason === reasons.blocked;
        // Pods are read only when the operator says they block: a watch of every pod would cost more.
        const pods = blocked ? await client.list<Pod>(kinds.pod) : [];
        // One nudge per blocked status: the operator's next status (or a new block) is a new one.
        const blockedAt = JSON.stringify(inProgressCondition(kataConfig.status));
        const verdict = judgeRemoval({ kataConfig, nodes: mirrors.list<Node>(kinds.node), pods }, progress.summary(kataConfig.status), nudged === blockedAt);
        if (verdict.state === "done") return { state: "done", value: undefined };
        if (verdict.state === "failed") return { state: "failed", error: new WaitFailedError(verdict.message) };
        if (verdict.state === "waiting") return verdict;
        nudged = blockedAt;
        say.line(verdict.line);
        await client.patch(ref, { metadata: { annotations: { [RECONCILE_REQUESTED_ANNOTATION]: client.clock.now().toISOString() } } });
        return { state: "waiting", progress: `waiting for the operator to look again; ${progress.summary(kataConfig.status)}` };
      },
    });
    say.line("removed");
  });
}

/** What an install is judged by besides the KataConfig (kata/follow.ts judgeInstall). */
const installKinds = [kinds.node, kinds.machineConfigPool, kinds.containerRuntimeConfig, kinds.runtimeClass];

/**
 * Apply, then follow the install (or the update) until every selected node has kata on the kata
 * pool's current config and the RuntimeClass exists: a rolling update (a new log level, other nodes
 * selected) is followed node by node like an install.
 */
async function followInstall(context: HandlerContext, { client, progress: say }: ClusterCall, inputs: KataConfigInputs, operation: "create" | "update", id = nameOf(inputs)): Promise<KataConfigOutputs> {
  const ref = { ...kinds.kataConfig, name: id };
  const progress = new KataProgress();
  let last: KataConfig | undefined;
  let expected: InstallExpectation | undefined;
  let note: string | undefined;
  let applied = false;
  try {
    await waitFor({
      client,
      ref,
      what: `KataConfig ${id} to ${operation === "create" ? "install kata on the selected workers" : "roll the change out to the selected workers"}`,
      limitMs: timeoutMs(inputs.timeouts, operation, KATA_DEFAULT_TIMEOUT, context.timeoutMs),
      signal: context.signal,
      onProgress: (text) => say.status?.(text),
      mirror: installKinds,
      start: async (mirrors) => {
        const pools = mirrors.list<MachineConfigPool>(kinds.machineConfigPool);
        const crioConfig = mirrors.get<ContainerRuntimeConfig>(kinds.containerRuntimeConfig, CRIO_CONFIG);
        if (operation === "update") {
          const before = await client.get<KataConfig>(ref);
          if (before) progress.observe(before.status); // lines for what changes from here on
        }
        await client.apply(desiredObject(inputs));
        applied = true;
        expected = expectation(inputs.spec, pools, crioConfig, client.clock.now().getTime());
        const rolling = expected.renderedBefore ? `; the new CRI-O log level (${expected.logLevel}) means a new config for the kata nodes, rolled out one node at a time (drain and reboot)` : "";
        say.line(`applied to ${client.description}; following the nodes${rolling}`);
      },
      evaluate: async (object, mirrors): Promise<WaitVerdict<void>> => {
        if (!object) return { state: "failed", error: new WaitFailedError(`KataConfig ${id} was deleted by someone else while it was being installed`) };
        last = object as KataConfig;
        // Events are judged in order, at the time they are judged: an early one (the object as it was
        // created) is not the operator's silence when the live object already has its answer, which
        // the events still queued bring in their turn.
        if (!last.status && !last.metadata.finalizers?.length) {
          const live = await client.get<KataConfig>(ref);
          if (live?.status || live?.metadata.finalizers?.length) return { state: "waiting", progress: "the operator has taken the KataConfig" };
        }
        report(progress.observe(last.status), say);
        const crioConfig = mirrors.get<ContainerRuntimeConfig>(kinds.containerRuntimeConfig, CRIO_CONFIG);
        const verdict = judgeInstall(
          {
            kataConfig: { ...last, spec: last.spec ?? {} },
            nodes: mirrors.list<Node>(kinds.node),
            pools: mirrors.list<MachineConfigPool>(kinds.machineConfigPool),
            ...(crioConfig ? { crioConfig } : {}),
            runtimeClasses: mirrors.list(kinds.runtimeClass).map((rc) => rc.metadata.name ?? ""),
            now: client.clock.now().getTime(),
          },
          expected!,
          progress.summary(last.status),
        );
        if (verdict.state === "done") return { state: "done", value: undefined };
        if (verdict.state === "failed") return { state: "failed", error: new WaitFailedError(verdict.message) };
        if (verdict.note && verdict.note !== note) say.line(verdict.note);
        note = verdict.note;
        // Nothing to look at again on a timer: the nodes, pools and the rest wake the wait when they change.
        return { state: "waiting", progress: verdict.progress, ...(verdict.recheckAfterMs !== undefined ? { recheckAfterMs: verdict.recheckAfterMs } : {}) };
      },
    });
  } catch (error) {
    // Refused before the object was written (no right, the webhook, another stack's): nothing to keep.
    if (!applied && operation === "create") throw error;
    // Keep what exists in state so the next `pulumi up` resumes with an update.
    const outs = outputsOf(inputs, last);
    throw new PartialStateError(`${(error as Error).message}`, id, { ...outs, [PROVIDER_KEY]: inputs[PROVIDER_KEY] });
  }
  say.line(`kata is ready on ${last?.status?.kataNodes?.readyNodeCount ?? 0} node(s); RuntimeClass "${KATA_RUNTIME_CLASS}" exists`);
  return outputsOf(inputs, last);
}

/** The cluster admits one KataConfig. Another one is not ours to take, unless this stack made it. */
async function refuseForeignKataConfig({ client, progress: say }: ClusterCall, inputs: KataConfigInputs): Promise<void> {
  for (const existing of await client.list<KataConfig>(kinds.kataConfig)) {
    const owner = existing.metadata.annotations?.[OWNER_ANNOTATION];
    if (owner && owner === inputs.owner) {
      if (existing.metadata.name !== nameOf(inputs)) continue;
      say.line("found the object an interrupted run of this stack created; taking it over");
      continue;
    }
    throw new Error(
      `KataConfig ${existing.metadata.name} already exists in ${client.description} and was not created by this stack` +
        `${owner ? ` (it belongs to ${owner})` : ""}. A cluster admits only one KataConfig: delete it (kubectl delete kataconfig ${existing.metadata.name}) or manage that one instead.`,
    );
  }
}

function desiredObject(inputs: KataConfigInputs): KataConfig {
  return {
    apiVersion: KATA_API_VERSION,
    kind: KATA_KIND,
    metadata: {
      name: nameOf(inputs),
      ...(inputs.metadata.labels ? { labels: inputs.metadata.labels } : {}),
      annotations: { ...(inputs.metadata.annotations ?? {}), ...(inputs.owner ? { [OWNER_ANNOTATION]: inputs.owner } : {}) },
    },
    spec: inputs.spec ?? {},
  };
}

function outputsOf(inputs: KataConfigInputs, live: KataConfig | undefined): KataConfigOutputs {
  const { [PROVIDER_KEY]: _provider, ...rest } = inputs;
  const status = live?.status ?? {};
  return {
    ...rest,
    // Every field present, so that programs can use status.kataNodes.readyNodeCount from the start.
    status: kataConfigStatusOutput(status),
    runtimeClassName: status.runtimeClasses?.includes(KATA_RUNTIME_CLASS) ? KATA_RUNTIME_CLASS : "",
  };
}

function nameOf(inputs: CommonInputs): string {
  return inputs.metadata.name ?? "";
}
