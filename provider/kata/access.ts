import type { AccessNeed } from "../cluster/client";
import { kinds } from "../k8s/api-types";

// The rights each KataConfig operation needs, checked before it changes anything (see
// lifecycle/with-cluster requireAccess). test/handlers/access.test.ts records what the handlers really
// call: a call not listed here fails it.

const kataConfig = (...verbs: string[]): AccessNeed[] => verbs.map((verb) => ({ verb, ...kinds.kataConfig }));
// A wait watches the object: the backend lists it, then watches from there.
const follow = kataConfig("get", "list", "watch");

// What else a wait judges by, listed and watched for the whole wait (lifecycle/kind-mirror).
const mirror = (...of: Array<(typeof kinds)[keyof typeof kinds]>): AccessNeed[] => of.flatMap((kind) => ["list", "watch"].map((verb) => ({ verb, ...kind })));

// An install is judged by the nodes, the pools' rollout, the CRI-O config and the RuntimeClasses.
const judgeInstall = mirror(kinds.node, kinds.machineConfigPool, kinds.containerRuntimeConfig, kinds.runtimeClass);

export const kataAccess = {
  create: [...kataConfig("create", "patch"), ...follow, ...judgeInstall],
  update: [...kataConfig("create", "patch"), ...follow, ...judgeInstall],
  // The removal is judged by the nodes; pods in every namespace are named when they block it, and a
  // stale block is answered with a patch that makes the operator look again.
  delete: [...kataConfig("delete", "patch"), ...follow, ...mirror(kinds.node), { verb: "list", ...kinds.pod }],
} satisfies Record<string, AccessNeed[]>;
