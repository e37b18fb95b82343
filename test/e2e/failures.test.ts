import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { KataConfig } from "../../provider/kata/model";
import { kataNodesOutput, logLevelRolloutLines, logLevelRolloutNotice } from "../support/seed-tables";
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
  it("a kata pod makes destroy fail naming it; once the pod is gone, destroy asks the operator to look again and completes", async () => {
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

    // Half an hour later the user deletes the pod. The operator, still retrying with its back-off
    // (now minutes long), does not watch pods: the KataConfig still says BlockedByExistingKataPods.
    await withTwin(project.openshift, async (twin) => {
      await twin.advance(30 * 60_000);
      await twin.delete(podRef);
      const kataConfig = await twin.get<KataConfig>({ ...kinds.kataConfig, name: "example-kataconfig" });
      expect(kataConfig?.status?.conditions?.[0]?.reason).toBe("BlockedByExistingKataPods");
    });
    const destroyed = await project.pulumi(destroy);

    const lines = reportLines(destroyed.output, KATA_LABEL);
    expect(lines).toContainEqual(expect.stringMatching(/^the operator still reports BlockedByExistingKataPods, but no pod uses the kata RuntimeClass any more; .*asked to look again now/));
    expect(lines).toContain("worker-0: uninstalled (0/0 ready)");
    expect(lines.at(-1)).toBe("removed");
    expect(await project.resources()).toEqual([]);
    await withTwin(project.openshift, async (twin) => expect(await twin.list(kinds.kataConfig)).toEqual([]));
  });

  it("a Degraded node makes up fail with the node's reason and keep partial state; once fixed, up follows the rollout to the end", async () => {
    const project = await newProject({ kataConfig: { clock: "virtual" } });
    const reason = "failed to drain node: pod e2e/pdb-guarded cannot be evicted";
    // The machine-config daemon fails on worker-1 (the twin's fault, as a fixture's markNodeDegraded sets it).
    await withTwin(project.openshift, (twin) =>
      twin.patch(workerRef, { metadata: { annotations: { "machineconfiguration.openshift.io/state": "Degraded", "machineconfiguration.openshift.io/reason": reason, "twin.pulumi-cluster-runtime.dev/fault": reason } } }),
    );

    const failed = await project.pulumi(up, { allowFailure: true });

    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain(`KataConfig example-kataconfig: Node worker-1 Degraded: ${reason}. Fix the node;`);
    expect(reportLines(failed.output, KATA_LABEL)).toContain("worker-1: failed to install (0/2 ready)");
    // Partial state: the object exists, so the stack keeps it and the next up is an update.
    expect((await project.resources()).find((r) => r.type === KATA_TYPE)?.id).toBe("example-kataconfig");

    // Fixed; six minutes later the daemon's retry is done (Degraded → Done) and the MCO has gone on,
    // but the operator still says Failed: it keeps that until the whole rollout is over.
    await withTwin(project.openshift, async (twin) => {
      await twin.patch(workerRef, { metadata: { annotations: { "twin.pulumi-cluster-runtime.dev/fault": null } } });
      await twin.advance(6 * 60_000);
      const kataConfig = await twin.get<KataConfig>({ ...kinds.kataConfig, name: "example-kataconfig" });
      expect(kataConfig?.status?.conditions?.[0]).toMatchObject({ reason: "Failed", message: `Node worker-1 Degraded: ${reason}` });
    });
    const completed = await project.pulumi(up);

    expect(completed.output).toMatch(/~\s+pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed updated/);
    const lines = reportLines(completed.output, KATA_LABEL);
    expect(lines).toContain(`InProgress still says Failed (Node worker-1 Degraded: ${reason}): upstream keeps that until the whole rollout is over; no node is Degraded now, so the rollout goes on`);
    expect(lines).toContain("worker-0: installed (2/2 ready)");
    expect((await project.outputs()).kataNodes).toEqual(kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }));
  });

  it("a logLevel change makes up follow the new config's rolling update, node by node", async () => {
    const project = await newProject({ kataConfig: { clock: "virtual" } });
    await project.pulumi(up);
    const configs = () => withTwin(project.openshift, async (twin) => Promise.all(["worker-0", "worker-1"].map(async (name) => (await twin.get({ ...kinds.node, name }))?.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"])));
    const before = await configs();
    await project.pulumi(["config", "set", "logLevel", "debug"]);

    const updated = await project.pulumi(up);

    expect(updated.output).toMatch(/~\s+pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed updated/);
    const lines = reportLines(updated.output, KATA_LABEL);
    expect(lines[0]).toContain(logLevelRolloutNotice("debug"));
    expect(lines.filter((line) => /^worker-\d: /.test(line))).toEqual(logLevelRolloutLines);
    const after = await configs();
    expect(after[0]).toBe(after[1]);
    expect(after[0]).not.toBe(before[0]);
    await withTwin(project.openshift, async (twin) => {
      const crio = await twin.get({ ...kinds.containerRuntimeConfig, name: "kata-crio-config" });
      expect(crio?.spec).toMatchObject({ containerRuntimeConfig: { logLevel: "debug" } });
    });
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
