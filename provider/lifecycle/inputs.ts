import { isDeepStrictEqual } from "node:util";
import * as z from "zod";
import { clusterIdentity, clusterSchemaFor, type ClusterTarget, clusterTargetSchema, embeddedTargetSchema, isEmbedded } from "../cluster/target";
import { type CheckFailure, validate, type Validated } from "./check-failures";
import { timeoutsSchema } from "./timeouts";
import { propertyPath } from "../k8s/property-path";
import { containsUnknown, dropFailuresOnUnknowns, isUnknown, withoutUnknowns } from "./unknowns";

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

/** Which stack made an object: lets an interrupted run take over its own object, and only that. */
export function ownerKeyOf(project: string, stack: string, kind: string, name: string): string {
  return `${project}/${stack}/${kind}/${name}`;
}

/** Annotations the cluster or this library write, never part of what a program declares. */
const managedAnnotations = [OWNER_ANNOTATION, "kubectl.kubernetes.io/last-applied-configuration"];

/**
 * The metadata a program would declare for a live object (`pulumi import`): name, namespace, and the
 * labels and annotations other than the ones the cluster or this library manage (and `skipLabels`).
 */
export function declaredMetadataOf(live: CommonInputs["metadata"], skipLabels: string[] = []): CommonInputs["metadata"] {
  const without = (record: Record<string, string> | undefined, keys: string[]) => {
    const kept = Object.entries(record ?? {}).filter(([key]) => !keys.includes(key));
    return kept.length > 0 ? Object.fromEntries(kept) : undefined;
  };
  const labels = without(live.labels, skipLabels);
  const annotations = without(live.annotations, managedAnnotations);
  return {
    name: live.name,
    ...(live.namespace ? { namespace: live.namespace } : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
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
  const failures = [...failuresOf(common), ...failuresOf(validateDeclaration(declaration))];
  return { inputs: news, failures: dropFailuresOnUnknowns(failures, unknownPaths) };
}

/** The fixture file an embedded `cluster` input names, when it is known and a non-empty string. */
export function embeddedFixtureOf(cluster: unknown): string | undefined {
  if (!cluster || typeof cluster !== "object" || !isEmbedded(cluster as ClusterTarget)) return undefined;
  const embedded = (cluster as { embedded?: unknown }).embedded;
  const fixture = embedded && typeof embedded === "object" ? (embedded as { fixture?: unknown }).fixture : undefined;
  return typeof fixture === "string" && fixture !== "" && !isUnknown(fixture) ? fixture : undefined;
}

function failuresOf(result: Validated<unknown>): CheckFailure[] {
  return result.ok ? [] : result.failures;
}

/** How one property changes, for a host that can show it (the provider plugin's detailed diff). */
export interface PropertyChange {
  kind: "add" | "delete" | "update";
  /** Why this change replaces the resource; absent when it updates in place. */
  replaceBecause?: string;
}

export interface DiffResult {
  changes: boolean;
  /** The properties whose change replaces the resource (dotted paths). */
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** Every changed property by its path (spec.unhealthyConditions[0].timeout), down to the values that differ. */
  detailedDiff: Record<string, PropertyChange>;
}

const CLUSTER_REPLACES = "the object lives in another cluster: it is created there and deleted here";

/**
 * Compare the real inputs only (never __provider or outputs). Properties in `replaceOn` (dotted
 * paths, with why they replace) and a change of cluster replace; every other change updates in place.
 */
export function diffInputs(olds: Record<string, unknown>, news: Record<string, unknown>, inputKeys: string[], replaceOn: Record<string, string>): DiffResult {
  // A new kubeconfig for the same server (rotated credentials) or another twin speed is an update.
  const changed = [...inputKeys, "cluster"].filter((key) => !sameValue(olds[key], news[key]));
  const replaces = Object.keys(replaceOn).filter((p) => !sameValue(at(olds, p), at(news, p)));
  const oldCluster = olds.cluster as ClusterTarget | undefined;
  const newCluster = news.cluster as ClusterTarget | undefined;
  const clusterMoves = containsUnknown(newCluster) || clusterIdentity(oldCluster) !== clusterIdentity(newCluster);
  if (clusterMoves) replaces.push("cluster");

  const detailedDiff: Record<string, PropertyChange> = {};
  for (const key of changed) {
    if (key === "cluster" && clusterMoves) {
      detailedDiff.cluster = { kind: olds.cluster === undefined ? "add" : news.cluster === undefined ? "delete" : "update", replaceBecause: CLUSTER_REPLACES };
      continue;
    }
    for (const [path, kind] of leafChanges(normalize(olds[key]), normalize(news[key]), [key])) {
      const replacing = replaces.find((p) => within(path, p) || within(p, path));
      detailedDiff[path] = replacing ? { kind, replaceBecause: replaceOn[replacing] } : { kind };
    }
  }
  // A singleton object (one per cluster, same name) cannot exist twice: delete first.
  return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace: replaces.length > 0, detailedDiff };
}

/** The paths under `path` where two normalized values differ, down to the first values that differ. */
function leafChanges(before: unknown, after: unknown, path: PropertyKey[]): Array<[string, PropertyChange["kind"]]> {
  if (isUnknown(after)) return [[propertyPath(path), before === undefined ? "add" : "update"]];
  if (isDeepStrictEqual(before, after)) return [];
  if (before === undefined) return [[propertyPath(path), "add"]];
  if (after === undefined) return [[propertyPath(path), "delete"]];
  const bothObjects = isPlainObject(before) && isPlainObject(after);
  const bothLists = Array.isArray(before) && Array.isArray(after);
  if (!bothObjects && !bothLists) return [[propertyPath(path), "update"]];
  const keys = bothLists
    ? Array.from({ length: Math.max((before as unknown[]).length, (after as unknown[]).length) }, (_, i) => i)
    : [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])];
  return keys.flatMap((k) => leafChanges((before as Record<PropertyKey, unknown>)[k], (after as Record<PropertyKey, unknown>)[k], [...path, k]));
}

/** `path` is `parent` or a property inside it. */
function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
