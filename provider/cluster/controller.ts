import type { ClusterClient } from "./client";
import type { KubeObject } from "../k8s/meta";
import type { AdmissionHook } from "./twin/store";

// A controller plays one operator's part. The same controller runs inside the embedded twin
// (against its store) and as an operator process against a real API server.

export interface ReconcileResult {
  /** Whether it wrote anything; the runner repeats until no controller changes anything. */
  changed: boolean;
  /** When it next needs to run for a timed event (a node update finishing, a re-check). */
  wakeAt?: Date;
  /**
   * Run again right away: what it wrote changes its own next step (a first status, a condition that
   * the next step reads). A controller is not woken by its own writes otherwise.
   */
  again?: boolean;
}

export interface Controller {
  name: string;
  /** The kinds whose changes make it run (besides its wake-ups); unset: any change. */
  watches?: readonly string[];
  reconcile(client: ClusterClient, now: Date): Promise<ReconcileResult>;
  /**
   * What the controller remembers between passes that no object records (an operator's work queue:
   * back-off counts, pending retries, what it last looked at). A long-running operator keeps this in
   * memory; the twin keeps it in its state file, so that the next process opening the twin goes on
   * with the same operator rather than a restarted one.
   */
  memory?: ControllerMemory;
}

export interface ControllerMemory {
  /** A JSON value for the state file. */
  save(): unknown;
  /** Take back what save() returned (in this process or another); undefined: start afresh. */
  restore(saved: unknown): void;
}

export function earlier(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

export function secondsAfter(now: Date, seconds: number | undefined): Date | undefined {
  return seconds === undefined ? undefined : new Date(now.getTime() + seconds * 1000);
}

/** A webhook the twin plays: a refusal message, or undefined to admit. */
export interface AdmissionRule {
  kind: string;
  hook: AdmissionHook;
}

/**
 * What a resource folder's simulation brings to a cluster that lacks the real operators: its
 * controllers (run by the twin, or by the dev cluster's operator process) and its webhooks (the twin only).
 */
export interface SimulatedOperators {
  controllers: Controller[];
  admission: AdmissionRule[];
  /** What a twin's fixture must hold for these operators to make sense of it. */
  fixtureChecks?: FixtureCheck[];
}

/**
 * A rule a fixture must follow, given its objects each with where it was written
 * ("fixtures/x.yaml: document 3 (line 40, Node worker-0)"); returns the problems, each a full sentence.
 */
export type FixtureCheck = (objects: ReadonlyArray<{ object: KubeObject; where: string }>) => string[];
