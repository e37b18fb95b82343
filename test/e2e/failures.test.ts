import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import { kataNodesOutput } from "../support/seed-tables";
import { KATA_LABEL, KATA_TYPE, MHC_TYPE, reportLines, useProjects, withTwin } from "./project";

// What goes wrong, through the real CLI: pods that block kata's removal, a Degraded node during the
// install, a bad spec. Virtual time: the twin moves only while a resource waits, so nothing happens
// between two commands.

const { newProject } = useProjects();
const up = ["up", "--yes", "--skip-preview"];
const destroy = ["destroy", "--yes", "--skip-preview"];
const podRef = { ...kinds.pod, namespace: "apps", name: "sandboxed" };
const workerRef = { ...kinds.node, name: "worker-1" };

describe("failures through the real CLI", () => {
  it("a running kata pod makes destroy fail naming it; once the pod is gone destroy succeeds", async () => {
    const project = await newProject({ kataConfig: { clock: "virtual" } });
    await project.pulumi(up);
    await withTwin(project.openshift, async (twin) => {
      await twin.apply({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: podRef.name, namespace: podRef.namespace },
        spec: { runtimeClassName: "kata", containers: [{ name: "app", image: "app:1.0" }] },
      });
      await twin.patchStatus(podRef, { phase: "Running" });
    });

    const blocked = await project.pulumi(destroy, { allowFailure: true });

    expect(blocked.code).not.toBe(0);
    expect(blocked.output).toContain("removal of kata is blocked by pods that use the kata RuntimeClass: apps/sandboxed");
    expect(blocked.output).toContain("kubectl delete pod -n apps sandboxed");
    expect((await project.resources()).find((r) => r.type === KATA_TYPE)?.id).toBe("example-kataconfig");

    await withTwin(project.openshift, (twin) => twin.delete(podRef));
    const destroyed = await project.pulumi(destroy);

    expect(reportLines(destroyed.output, KATA_LABEL).at(-1)).toBe("removed");
    expect(await project.resources()).toEqual([]);
    await withTwin(project.openshift, async (twin) => expect(await twin.list(kinds.kataConfig)).toEqual([]));
  });

  it("a Degraded node makes up fail with the node's reason and keep partial state; once it clears, up completes", async () => {
    const project = await newProject({ kataConfig: { clock: "virtual" } });
    const setWorkerState = (state: string, reason: string) =>
      withTwin(project.openshift, (twin) =>
        twin.patch(workerRef, { metadata: { annotations: { "machineconfiguration.openshift.io/state": state, "machineconfiguration.openshift.io/reason": reason } } }),
      );
    await setWorkerState("Degraded", "failed to drain node: pod e2e/pdb-guarded cannot be evicted");

    const failed = await project.pulumi(up, { allowFailure: true });

    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain("KataConfig example-kataconfig: Node worker-1 Degraded: failed to drain node: pod e2e/pdb-guarded cannot be evicted");
    expect(reportLines(failed.output, KATA_LABEL)).toContain("worker-1: failed to install (0/2 ready)");
    // Partial state: the object exists, so the stack keeps it and the next up is an update.
    expect((await project.resources()).find((r) => r.type === KATA_TYPE)?.id).toBe("example-kataconfig");

    await setWorkerState("Working", "");
    const completed = await project.pulumi(up);

    expect(completed.output).toMatch(/~\s+pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed updated/);
    expect((await project.outputs()).kataNodes).toEqual(kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }));
  });

  it("a bad maxUnhealthy fails at preview naming the property and the rule, and creates nothing", async () => {
    const project = await newProject({ machineHealthCheck: true });
    await project.pulumi(["config", "set", "maxUnhealthy", "140"]);

    const preview = await project.pulumi(["preview"], { allowFailure: true });
    // Without a preview, the same check stops the update before anything reaches the cluster.
    const update = await project.pulumi(up, { allowFailure: true });

    for (const result of [preview, update]) {
      expect(result.code).not.toBe(0);
      expect(result.output).toContain("spec.maxUnhealthy");
      expect(result.output).toContain('must be a whole number or a percentage ending in "%", like 2 or "40%"; got "140"');
    }
    expect((await project.resources()).filter((r) => r.type === MHC_TYPE)).toEqual([]);
    expect(fs.existsSync(project.capi.stateFile!)).toBe(false); // the twin was never even opened
  });
});
