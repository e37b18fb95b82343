import { describe, expect, it } from "vitest";
import { customResourceDefinitions } from "../provider/crds";

// The CRDs the dev cluster installs, generated from the zod models (the API server's own view of them
// is tested in test/apiserver/backend.test.ts).

describe("CRDs generated from the zod models", () => {
  it("are structural: no $ref or anyOf, loose models keep unknown fields, maxUnhealthy is int-or-string", () => {
    const crds = customResourceDefinitions();
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "clusters.cluster.x-k8s.io",
      "containerruntimeconfigs.machineconfiguration.openshift.io",
      "kataconfigs.kataconfiguration.openshift.io",
      "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io",
      "machineconfigpools.machineconfiguration.openshift.io",
      "machineconfigs.machineconfiguration.openshift.io",
      "machinehealthchecks.cluster.x-k8s.io",
      "machines.cluster.x-k8s.io",
      "machinesets.cluster.x-k8s.io",
    ]);
    const text = JSON.stringify(crds);
    for (const refused of ['"$ref"', '"anyOf"', '"oneOf"', '"allOf"', '"additionalProperties":false', '"additionalProperties":{}']) expect(text).not.toContain(refused);
    const mhc = JSON.stringify(crds.find((c) => c.spec.names && (c.spec.names as { kind: string }).kind === "MachineHealthCheck"));
    expect(mhc).toContain('"maxUnhealthy":{"x-kubernetes-int-or-string":true}');
  });
});
