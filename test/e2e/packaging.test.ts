import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import { pulumi, repoRoot } from "../../tools/engine";
import { KATA_LABEL, KATA_TYPE, MHC_TYPE, reportLines, runInRepo, useProjects, withTwin } from "./project";

// The package as the engine sees it: the provider serialized into state, and schema.json.

const { newProject, newWorkspace } = useProjects();

describe("the package through the real CLI", () => {
  it("state keeps a tiny provider that requires the package by name, so destroy works after a rebuild", async () => {
    const project = await newProject({ kataConfig: { clock: "scaled" }, machineHealthCheck: true });
    await project.pulumi(["up", "--yes", "--skip-preview"]);

    const ours = (await project.resources()).filter((r) => r.type === KATA_TYPE || r.type === MHC_TYPE);
    expect(ours).toHaveLength(2);
    for (const resource of ours) {
      const provider = resource.inputs?.__provider;
      expect(typeof provider, resource.urn).toBe("string");
      expect((provider as string).length, resource.urn).toBeLessThan(20_000);
      expect(provider).toContain('require("pulumi-cluster-runtime/provider")');
      // Nothing of the provider's own code inlined (it would be frozen at the version that wrote it).
      expect(provider).not.toMatch(/EmbeddedCluster|waitFor|KataProgress/);
    }

    // Rebuild the package the stored provider requires; the stack must not depend on the old build.
    const rebuild = await runInRepo("npx", ["tsc", "-p", "tsconfig.json"]);
    expect(rebuild.code, rebuild.output).toBe(0);

    const destroyed = await project.pulumi(["destroy", "--yes", "--skip-preview"]);

    expect(reportLines(destroyed.output, KATA_LABEL).at(-1)).toBe("removed");
    expect(await project.resources()).toEqual([]);
    await withTwin(project.openshift, async (twin) => expect(await twin.list(kinds.kataConfig)).toEqual([]));
  });

  it("schema.json is accepted by the real CLI: pulumi package gen-sdk generates a Node.js SDK", async () => {
    const schema = path.join(repoRoot, "schema.json");
    expect(fs.existsSync(schema), "schema.json is missing at the repo root (npm run schema writes it)").toBe(true);
    const ws = newWorkspace();
    const out = path.join(ws.stateDir, "sdk");

    const generated = await pulumi(ws, ["package", "gen-sdk", schema, "--language", "nodejs", "--out", out], { allowFailure: true });

    expect(generated.code, `${generated.stdout}\n${generated.stderr}`).toBe(0);
    const files = fs.readdirSync(out, { recursive: true, encoding: "utf8" });
    expect(files).toEqual(expect.arrayContaining([path.join("nodejs", "package.json"), path.join("nodejs", "index.ts")]));
    const sources = files.filter((f) => f.endsWith(".ts")).map((f) => fs.readFileSync(path.join(out, f), "utf8"));
    expect(sources.some((text) => text.includes("class KataConfig"))).toBe(true);
    expect(sources.some((text) => text.includes("class MachineHealthCheck"))).toBe(true);
  });
});
