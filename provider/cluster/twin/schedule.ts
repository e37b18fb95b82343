import * as z from "zod";
import { describeRef, refOf, type ObjectRef } from "../client";
import { toKubeTime, type Condition, type KubeObject } from "../../k8s/meta";
import type { ReconcileResult, StoreController } from "./controller-runner";
import type { ObjectStore } from "./store";

// Scheduled events: what a fixture says will happen to the cluster at a given time (a node goes
// NotReady, the machine-config daemon degrades, a Machine fails). Each event carries exactly one
// action, written as a single key so the YAML reads as what happens:
//   - at: 6m
//     setNodeCondition: { node: worker-0, type: Ready, status: "False", reason: KubeletNotReady }

export const mcoStateAnnotation = "machineconfiguration.openshift.io/state";
export const mcoReasonAnnotation = "machineconfiguration.openshift.io/reason";
/**
 * What makes the machine-config daemon fail on a node in the twin: while a node carries it, the
 * simulated daemon keeps it Degraded with this reason (see provider/kata/rollout-step.ts).
 */
export const nodeFaultAnnotation = "twin.pulumi-cluster-runtime.dev/fault";

const name = z.string().min(1, "must not be empty");

/** YAML reads an unquoted False as a boolean: accept it as the condition status it obviously means. */
const conditionStatus = z.union(
  [z.enum(["True", "False", "Unknown"]), z.boolean().transform((b): "True" | "False" => (b ? "True" : "False"))],
  { error: 'must be "True", "False" or "Unknown"' },
);

/**
 * A Kubernetes object as a fixture writes it. Condition statuses must be strings: an unquoted True in
 * YAML is a boolean, which no API server accepts and no semantics would match.
 */
export const objectDocumentSchema = z.looseObject({
  apiVersion: name,
  kind: name,
  metadata: z.looseObject({ name, namespace: name.optional() }),
  status: z
    .looseObject({
      conditions: z
        .array(
          z.looseObject({
            type: name,
            status: z.string({ error: 'must be a string ("True", "False" or "Unknown"): quote it, YAML reads an unquoted True as a boolean' }),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const actionSchemas = {
  /** Set (or add) one Node condition; lastTransitionTime moves only when the status changes. */
  setNodeCondition: z.strictObject({
    node: name,
    type: name,
    status: conditionStatus,
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
  /** The machine-config daemon fails on the node: Degraded with the reason, until clearNodeDegraded. */
  markNodeDegraded: z.strictObject({ node: name, reason: name }),
  /**
   * The cause is fixed: the daemon's next attempt succeeds. As upstream, the node stays Degraded (old
   * reason) until that attempt is Done, one node update later.
   */
  clearNodeDegraded: z.strictObject({ node: name }),
  /** A Machine (cluster.x-k8s.io/v1beta1) reports a terminal failure. */
  setMachineFailure: z
    .strictObject({
      machine: name,
      namespace: name.default("default"),
      failureReason: z.string().optional(),
      failureMessage: z.string().optional(),
    })
    .refine((a) => a.failureReason !== undefined || a.failureMessage !== undefined, {
      message: "needs failureReason, failureMessage or both",
    }),
  /** Delete an object (finalizers are honoured as for any delete). */
  delete: z.strictObject({ apiVersion: name, kind: name, name, namespace: name.optional() }),
  /** Create or update an object as written, status included (e.g. a Pod with runtimeClassName kata). */
  apply: objectDocumentSchema,
};

export type ActionName = keyof typeof actionSchemas;
export const actionNames = Object.keys(actionSchemas) as ActionName[];

/** Exactly one of the action keys set. */
export type ScheduleAction = { [K in ActionName]?: z.infer<(typeof actionSchemas)[K]> };

/** The action keys as optional fields, to spread into an event schema. */
export const actionsShape = Object.fromEntries(actionNames.map((n) => [n, actionSchemas[n].optional()])) as {
  [K in ActionName]: z.ZodOptional<(typeof actionSchemas)[K]>;
};

/** Refinement for event schemas: exactly one action key is set. */
export function exactlyOneAction(event: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const present = actionNames.filter((n) => event[n] !== undefined);
  if (present.length === 1) return;
  ctx.addIssue({
    code: "custom",
    message:
      present.length === 0
        ? `needs one action: ${actionNames.join(", ")}`
        : `has ${present.length} actions (${present.join(", ")}): give each its own event`,
  });
}

/** One event waiting in the state file: `at` is absolute; `source` says where it was written. */
export const pendingEventSchema = z
  .strictObject({ at: z.iso.datetime(), source: z.string(), ...actionsShape })
  .superRefine(exactlyOneAction);
export type PendingEvent = z.infer<typeof pendingEventSchema>;

/** The events not fired yet, in firing order (time, then the order they were written in). */
export class Schedule {
  private pending: PendingEvent[] = [];
  private changes = 0;

  /** Moves on every change, so a transaction can tell whether the schedule needs saving. */
  get version(): number {
    return this.changes;
  }

  load(events: PendingEvent[]): void {
    this.pending = [];
    this.add(events);
  }

  dump(): PendingEvent[] {
    return this.pending;
  }

  add(events: PendingEvent[]): void {
    this.pending.push(...events);
    // A stable sort keeps same-time events in the order they were written.
    this.pending.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    this.changes += 1;
  }

  /** Remove and return the events due at `now`. */
  takeDue(now: Date): PendingEvent[] {
    const due = this.pending.filter((e) => Date.parse(e.at) <= now.getTime());
    if (due.length === 0) return [];
    this.pending = this.pending.slice(due.length);
    this.changes += 1;
    return due;
  }

  nextAt(): Date | undefined {
    const first = this.pending[0];
    return first ? new Date(first.at) : undefined;
  }
}

/** The controller that fires scheduled events at their time. Missing targets are reported, not fatal. */
export function scheduleController(schedule: Schedule, warn: (message: string) => void): StoreController {
  return {
    name: "schedule",
    reconcile({ store, now }): ReconcileResult {
      const due = schedule.takeDue(now);
      for (const event of due) {
        const problem = runAction(store, event, new Date(event.at));
        if (problem) warn(`scheduled event ${event.source} (due ${event.at}) did nothing: ${problem}`);
      }
      return { changed: due.length > 0, wakeAt: schedule.nextAt() };
    },
  };
}

const nodeRef = (node: string): ObjectRef => ({ apiVersion: "v1", kind: "Node", name: node });

/** Carry out one action at time `at`; returns why it could not, if it could not. */
export function runAction(store: ObjectStore, action: ScheduleAction, at: Date): string | undefined {
  if (action.setNodeCondition) {
    const { node, type, status, reason, message } = action.setNodeCondition;
    const found = store.get(nodeRef(node));
    if (!found) return `${describeRef(nodeRef(node))} not found`;
    const time = toKubeTime(at);
    const current = asRecord(found.status);
    const conditions = (Array.isArray(current.conditions) ? current.conditions : []) as Condition[];
    const previous = conditions.find((c) => c.type === type);
    const next: Condition = {
      type,
      status,
      lastHeartbeatTime: time,
      lastTransitionTime: previous && previous.status === status ? (previous.lastTransitionTime ?? time) : time,
      ...(reason !== undefined ? { reason } : {}),
      ...(message !== undefined ? { message } : {}),
    };
    const updated = previous ? conditions.map((c) => (c === previous ? next : c)) : [...conditions, next];
    store.patchStatus(nodeRef(node), { ...current, conditions: updated });
    return undefined;
  }
  if (action.markNodeDegraded || action.clearNodeDegraded) {
    const node = (action.markNodeDegraded ?? action.clearNodeDegraded)!.node;
    if (!store.get(nodeRef(node))) return `${describeRef(nodeRef(node))} not found`;
    const annotations = action.markNodeDegraded
      ? { [mcoStateAnnotation]: "Degraded", [mcoReasonAnnotation]: action.markNodeDegraded.reason, [nodeFaultAnnotation]: action.markNodeDegraded.reason }
      : { [nodeFaultAnnotation]: null };
    store.patch(nodeRef(node), { metadata: { annotations } });
    return undefined;
  }
  if (action.setMachineFailure) {
    const { machine, namespace, failureReason, failureMessage } = action.setMachineFailure;
    const ref: ObjectRef = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", name: machine, namespace };
    const found = store.get(ref);
    if (!found) return `${describeRef(ref)} not found`;
    const status = { ...asRecord(found.status) };
    if (failureReason !== undefined) status.failureReason = failureReason;
    if (failureMessage !== undefined) status.failureMessage = failureMessage;
    store.patchStatus(ref, status);
    return undefined;
  }
  if (action.delete) {
    return store.delete(action.delete) ? undefined : `${describeRef(action.delete)} not found`;
  }
  if (action.apply) {
    const { status, ...object } = action.apply as KubeObject;
    const applied = store.apply(object);
    if (status !== undefined) store.patchStatus(refOf(applied), status);
    return undefined;
  }
  return "the event has no action";
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
