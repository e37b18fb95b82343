import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { clusterIdentity, clusterSchemaFor, type ClusterTarget, clusterTargetSchema, embeddedTargetSchema, fixtureProblem, isEmbedded } from "../cluster/target";
import { type CheckFailure, validate, type Validated } from "./check-failures";
import { timeoutsSchema } from "./timeouts";
import { containsUnknown, dropFailuresOnUnknowns, withoutUnknowns } from "./unknowns";

// What both resources share in their inputs: metadata + spec as upstream has them, the cluster to
// act on, the time limits, and the owner key the SDK computes (project/stack/name).

export const PROVIDER_KEY = "__provider";
/** Marks objects this library created, so an interrupted run can take its own object over. */
export const OWNER_ANNOTATION = "pulumi-cluster-runtime.dev/owner";

const commonInputsSchema = z.object({
  cluster: clusterTargetSchema.optional(),
  timeouts: timeoutsSchema.optional(),
  owner: z.string().optional(),
});

export interface CommonInputs {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  cluster?: ClusterTarget;
  owner?: string;
  [key: string]: unknown;
}

export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

/**
 * Validate the new inputs. Values not known yet (preview) are left out of validation and no
 * failure is reported about them; everything that is known is held to every rule.
 */
export function checkInputs(news: Record<string, unknown>, validateDeclaration: (value: Record<string, unknown>) => Validated<unknown>): CheckResult {
  const { [PROVIDER_KEY]: _provider, ...inputs } = news;
  const { value, unknownPaths } = withoutUnknowns(inputs);
  const { cluster, timeouts, owner, ...declaration } = value as Record<string, unknown>;
  const common = validate(commonInputsSchema.extend({ cluster: clusterSchemaFor(cluster).optional() }), { cluster, timeouts, owner }, {
    knownFields: { timeouts: Object.keys(timeoutsSchema.shape), "cluster.embedded": Object.keys(embeddedTargetSchema.shape) },
  });
  const failures = [...failuresOf(common), ...failuresOf(validateDeclaration(declaration)), ...clusterFailures(cluster)];
  return { inputs: news, failures: dropFailuresOnUnknowns(failures, unknownPaths) };
}

/** What the cluster input names must be usable: an embedded twin's fixture file (read at check, so at preview). */
function clusterFailures(cluster: unknown): CheckFailure[] {
  const embedded = cluster && typeof cluster === "object" && isEmbedded(cluster as ClusterTarget) ? (cluster as { embedded?: { fixture?: unknown } }).embedded : undefined;
  const fixture = embedded && typeof embedded === "object" ? embedded.fixture : undefined;
  const problem = typeof fixture === "string" && fixture !== "" ? fixtureProblem(fixture) : undefined;
  return problem ? [{ property: "cluster.embedded.fixture", reason: problem }] : [];
}

function failuresOf(result: Validated<unknown>): CheckFailure[] {
  return result.ok ? [] : result.failures;
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * Compare the real inputs only (never __provider or outputs). Properties in `replaceOn` (dotted
 * paths) and a change of cluster replace; every other change updates in place.
 */
export function diffInputs(olds: Record<string, unknown>, news: Record<string, unknown>, inputKeys: string[], replaceOn: string[]): DiffResult {
  // A new kubeconfig for the same server (rotated credentials) or another twin speed is an update.
  const changed = [...inputKeys, "cluster"].filter((key) => !sameValue(olds[key], news[key]));
  const replaces = replaceOn.filter((p) => !sameValue(at(olds, p), at(news, p)));
  const oldCluster = olds.cluster as ClusterTarget | undefined;
  const newCluster = news.cluster as ClusterTarget | undefined;
  if (containsUnknown(newCluster) || clusterIdentity(oldCluster) !== clusterIdentity(newCluster)) replaces.push("cluster");
  // A singleton object (one per cluster, same name) cannot exist twice: delete first.
  return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (containsUnknown(b)) return false;
  return isDeepStrictEqual(normalize(a), normalize(b));
}

/** Absent and empty are the same input. */
function normalize(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => [k, normalize(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

function at(bag: Record<string, unknown>, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), bag);
}
