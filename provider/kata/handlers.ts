import { kinds } from "../k8s/api-types";
import type { Node, Pod } from "../k8s/core";
import type { HandlerContext } from "../lifecycle/context";
import { PartialStateError, WaitFailedError } from "../lifecycle/errors";
import { checkInputs, type CheckResult, type CommonInputs, declaredMetadataOf, diffInputs, type DiffResult, OWNER_ANNOTATION, PROVIDER_KEY } from "../lifecycle/inputs";
import { timeoutMs } from "../lifecycle/timeouts";
import { waitFor, type WaitVerdict } from "../lifecycle/wait";
import { type ClusterCall, withCluster } from "../lifecycle/with-cluster";
import {
  KATA_API_VERSION,
  KATA_KIND,
  KATA_RUNTIME_CLASS,
  type KataConfig,
  type KataConfigSpec,
  type KataConfigStatus,
} from "./model";
import { blockingPods, inProgressCondition, reasons, selectedNodes, wantedRuntimeClasses } from "./operator-step";
import { kataConfigStatusOutput, type KataConfigStatusOutput } from "./outputs";
import { KataProgress } from "./progress";
import { validateKataConfig } from "./validate";

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

const inputKeys = ["metadata", "spec", "timeouts"];

export function check(_olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  return checkInputs(news, validateKataConfig);
}

export function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  return diffInputs(olds, news, inputKeys, { "metadata.name": "a KataConfig cannot be renamed: the new one is created after the old one is deleted (a cluster admits one)" });
}

export async function create(context: HandlerContext, inputs: KataConfigInputs): Promise<{ id: string; outs: KataConfigOutputs }> {
  return withCluster(context, inputs, KATA_KIND, async (call) => {
    await refuseForeignKataConfig(call, inputs);
    const outs = await followInstall(context, call, inputs, "create");
    return { id: nameOf(inputs), outs };
  });
}

export async function update(context: HandlerContext, id: string, _olds: KataConfigOutputs, news: KataConfigInputs): Promise<{ outs: KataConfigOutputs }> {
  return withCluster(context, news, KATA_KIND, async (call) => {
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
  await withCluster(context, props, KATA_KIND, async ({ client, progress: say }) => {
    const ref = { ...kinds.kataConfig, name: id };
    const existing = await client.get<KataConfig>(ref);
    if (!existing) return say.line("already removed from the cluster");
    const progress = new KataProgress();
    progress.observe(existing.status); // report changes from here on, not the installed state

    let last: KataConfigStatus | undefined;
    await waitFor({
      client,
      ref,
      what: `KataConfig ${id} to be removed`,
      limitMs: timeoutMs(props.timeouts, "delete", KATA_DEFAULT_TIMEOUT, context.timeoutMs),
      signal: context.signal,
      onProgress: (text) => say.status?.(text),
      start: async () => {
        await client.delete(ref);
        say.line("deletion requested; following the removal of kata from the nodes");
      },
      evaluate: async (object): Promise<WaitVerdict<void>> => {
        if (!object) {
          for (const line of progress.removed()) say.line(line);
          return { state: "done", value: undefined };
        }
        last = (object as KataConfig).status;
        for (const line of progress.observe(last)) say.line(line);
        const condition = inProgressCondition(last);
        if (condition?.reason === reasons.blocked) {
          const pods = blockingPods(await client.list<Pod>(kinds.pod), last?.runtimeClasses);
          return { state: "failed", error: new WaitFailedError(blockedMessage(id, pods)) };
        }
        if (condition?.reason === reasons.failed) {
          return { state: "failed", error: new WaitFailedError(`KataConfig ${id}: removal failed: ${condition.message}. Fix the node, then run pulumi destroy again.`) };
        }
        // The operator defers a removal asked for during an install or an update until it is done.
        const running = condition?.status === "True" ? { [reasons.installing]: "installation", [reasons.updating]: "update" }[condition.reason ?? ""] : undefined;
        return { state: "waiting", progress: running ? `removal waits for the ${running} to finish; ${progress.summary(last)}` : progress.summary(last) };
      },
    });
    say.line("removed");
  });
}

/** Apply, then follow the install (or update) until every selected node has kata and the RuntimeClass exists. */
async function followInstall(context: HandlerContext, { client, progress: say }: ClusterCall, inputs: KataConfigInputs, operation: "create" | "update", id = nameOf(inputs)): Promise<KataConfigOutputs> {
  const ref = { ...kinds.kataConfig, name: id };
  const progress = new KataProgress();
  let last: KataConfig | undefined;
  try {
    await waitFor({
      client,
      ref,
      what: `KataConfig ${id} to install kata on the selected workers`,
      limitMs: timeoutMs(inputs.timeouts, operation, KATA_DEFAULT_TIMEOUT, context.timeoutMs),
      signal: context.signal,
      onProgress: (text) => say.status?.(text),
      start: async () => {
        await client.apply(desiredObject(inputs));
        say.line(`applied to ${client.description}; following the nodes`);
      },
      evaluate: async (object): Promise<WaitVerdict<void>> => {
        if (!object) return { state: "failed", error: new WaitFailedError(`KataConfig ${id} was deleted by someone else while it was being installed`) };
        last = object as KataConfig;
        for (const line of progress.observe(last.status)) say.line(line);
        const condition = inProgressCondition(last.status);
        if (condition?.reason === reasons.failed) return { state: "failed", error: new WaitFailedError(`KataConfig ${id}: ${condition.message}`) };
        if (await installComplete(client, last)) return { state: "done", value: undefined };
        return { state: "waiting", progress: progress.summary(last.status) };
      },
    });
  } catch (error) {
    // Keep what exists in state so the next `pulumi up` resumes with an update.
    const outs = outputsOf(inputs, last);
    throw new PartialStateError(`${(error as Error).message}`, id, { ...outs, [PROVIDER_KEY]: inputs[PROVIDER_KEY] });
  }
  say.line(`kata is ready on ${last?.status?.kataNodes?.readyNodeCount ?? 0} node(s); RuntimeClass "${KATA_RUNTIME_CLASS}" exists`);
  return outputsOf(inputs, last);
}

/**
 * Done means more than InProgress False (a blocked deletion is False too): every selected worker is
 * installed, none is on its way, and the RuntimeClasses exist.
 */
async function installComplete(client: ClusterCall["client"], kataConfig: KataConfig): Promise<boolean> {
  const status = kataConfig.status;
  const condition = inProgressCondition(status);
  if (condition?.status !== "False" || condition.reason) return false;
  const wanted = wantedRuntimeClasses({ ...kataConfig, spec: kataConfig.spec ?? {} });
  if (!wanted.every((name) => status?.runtimeClasses?.includes(name))) return false;
  const selected = selectedNodes({ ...kataConfig, spec: kataConfig.spec ?? {} }, await client.list<Node>(kinds.node)).map((n) => n.metadata.name).sort();
  if (JSON.stringify(selected) !== JSON.stringify([...(status?.kataNodes?.installed ?? [])].sort())) return false;
  for (const name of wanted) if (!(await client.get({ ...kinds.runtimeClass, name }))) return false;
  return true;
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

function blockedMessage(id: string, pods: string[]): string {
  const list = pods.length ? pods.join(", ") : "(the pods could not be listed)";
  const commands = pods.map((p) => `kubectl delete pod -n ${p.split("/")[0]} ${p.split("/")[1]}`).join("; ");
  return `KataConfig ${id}: removal of kata is blocked by pods that use the kata RuntimeClass: ${list}. ` +
    `Delete them (${commands || "kubectl get pods -A"}) and run pulumi destroy again; the resource stays in the stack until then.`;
}

function nameOf(inputs: CommonInputs): string {
  return inputs.metadata.name ?? "";
}
