import type { ObjectRef } from "../cluster/client";
import type { KubeObject } from "../k8s/meta";

// What a controller step wants done, as plain data: the embedded twin (or a real client) applies them
// in order. Every action says why, for logs and previews.

export type ClusterAction =
  /** Replace the status subresource. */
  | { action: "patchStatus"; ref: ObjectRef; status: Record<string, unknown>; why: string }
  /** JSON merge patch of metadata/spec. */
  | { action: "patch"; ref: ObjectRef; patch: Record<string, unknown>; why: string }
  | { action: "create"; object: KubeObject; why: string }
  | { action: "delete"; ref: ObjectRef; why: string }
  /** Nothing to change: something the user should know (a paused or unremediable machine). */
  | { action: "report"; ref: ObjectRef; message: string };

export function refTo(object: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } }): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.name !== undefined ? { name: object.metadata.name } : {}),
    ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
  };
}

/** A generator of object names from a prefix ending in "-", like Kubernetes' generateName. */
export type NameGenerator = (prefix: string) => string;

const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/** Kubernetes-style names: the prefix and five characters that cannot spell words. */
export function randomNameGenerator(random: () => number = Math.random): NameGenerator {
  return (prefix) => {
    let suffix = "";
    for (let i = 0; i < 5; i++) suffix += suffixAlphabet[Math.floor(random() * suffixAlphabet.length)];
    return `${prefix}${suffix}`;
  };
}
