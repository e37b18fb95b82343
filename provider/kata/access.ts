import type { AccessNeed } from "../cluster/client";
import { kinds } from "../k8s/api-types";

// The rights each KataConfig operation needs, checked before it changes anything (see
// lifecycle/with-cluster requireAccess). test/handlers/access.test.ts records what the handlers really
// call: a call not listed here fails it.

const kataConfig = (...verbs: string[]): AccessNeed[] => verbs.map((verb) => ({ verb, ...kinds.kataConfig }));
// A wait watches the object: the backend lists it, then watches from there.
const follow = kataConfig("get", "list", "watch");

export const kataAccess = {
  create: [...kataConfig("create", "patch"), ...follow, { verb: "list", ...kinds.node }, { verb: "get", ...kinds.runtimeClass }],
  update: [...kataConfig("create", "patch"), ...follow, { verb: "list", ...kinds.node }, { verb: "get", ...kinds.runtimeClass }],
  // Pods in every namespace: the removal names the pods that block it.
  delete: [...kataConfig("delete"), ...follow, { verb: "list", ...kinds.pod }],
} satisfies Record<string, AccessNeed[]>;
