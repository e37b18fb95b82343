import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KataConfig } from "../../provider/kata/model";
import { pulumi, selectStack, toolsDir, workspace, type Workspace } from "../../tools/engine";
import { rowDiagnostics } from "../e2e/project";
import { kubectl, useDevCluster } from "./helpers";
import { buildPackage } from "./pulumi-program";

// The provider plugin against a real kube-apiserver (the dev cluster, two workers, our operator
// process playing OpenShift's): a Pulumi YAML program whose KataConfig names the cluster by a
// kubeconfig from secret config, installs and removes kata; the kubeconfig stays a secret in the
// resource's inputs and outputs; `pulumi import` adopts the KataConfig by name with the kubeconfig
// given as the provider's configuration.

const env = useDevCluster();
const KATA = "cluster-runtime:index:KataConfig";
const up = ["up", "--yes", "--skip-preview"];

let root = "";
let tools = "";
let kubeconfig = "";
let failed = false;

function yamlProject(name: string, program: string): Workspace {
  const programDir = path.join(root, name, "program");
  fs.mkdirSync(programDir, { recursive: true });
  fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), program);
  return workspace(programDir, path.join(root, name, "state"), tools);
}

let ws: Workspace;

beforeAll(async () => {
  buildPackage();
  tools = toolsDir();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-apiserver-plugin-"));
  kubeconfig = fs.readFileSync(env.cluster.kubeconfigPath, "utf8");
  ws = yamlProject(
    "owner",
    `name: cluster-runtime-apiserver-plugin
runtime: yaml
config:
  kubeconfig:
    type: string
    secret: true
resources:
  sandboxed:
    type: ${KATA}
    properties:
      metadata:
        name: example-kataconfig
      cluster:
        kubeconfig: \${kubeconfig}
outputs:
  ready: \${sandboxed.status.kataNodes.readyNodeCount}
  runtimeClass: \${sandboxed.runtimeClassName}
`,
  );
  await selectStack(ws, "owner");
  await pulumi(ws, ["config", "set", "--secret", "kubeconfig", kubeconfig]);
});

beforeEach(({ onTestFailed }) => onTestFailed(() => void (failed = true)));

afterAll(() => {
  if (failed) process.stderr.write(`[apiserver plugin] programs and stacks kept in ${root}\n`);
  else if (root) fs.rmSync(root, { recursive: true, force: true });
});

const key = () => /client-key-data: (\S+)/.exec(kubeconfig)?.[1] ?? "(no client key in the kubeconfig)";

describe("the provider plugin against the dev cluster", () => {
  it("installs kata with a kubeconfig from secret config, progress on the resource's row; the kubeconfig stays a secret in inputs and outputs", async () => {
    const created = await pulumi(ws, up);
    const output = created.stdout + created.stderr;

    const row = rowDiagnostics(output, KATA, "sandboxed");
    expect(row.filter((line) => /^worker-\d: installed /.test(line)).map((line) => line.split(":")[0]).sort()).toEqual(["worker-0", "worker-1"]);
    expect(row.at(-1)).toBe('kata is ready on 2 node(s); RuntimeClass "kata" exists');
    expect(JSON.parse((await pulumi(ws, ["stack", "output", "--json"])).stdout)).toEqual({ ready: 2, runtimeClass: "kata" });
    const live = JSON.parse(await kubectl(env.cluster, "get", "kataconfig", "example-kataconfig", "-o", "json")) as KataConfig;
    expect(live.status?.kataNodes?.readyNodeCount).toBe(2);

    const exported = (await pulumi(ws, ["stack", "export"])).stdout;
    expect(exported).not.toContain(key());
    expect(exported).not.toContain(env.cluster.server);
    const kata = (JSON.parse(exported) as { deployment: { resources: Array<{ type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }> } }).deployment.resources.find((r) => r.type === KATA);
    expect(kata?.inputs.cluster).toMatchObject({ ciphertext: expect.any(String) });
    expect(kata?.outputs.cluster).toMatchObject({ ciphertext: expect.any(String) });
    expect(output).not.toContain(key());
  });

  it("pulumi import adopts the KataConfig by name, the cluster given as the provider's kubeconfig", async () => {
    const importer = yamlProject("importer", "name: cluster-runtime-apiserver-import\nruntime: yaml\n");
    await selectStack(importer, "importer");
    await pulumi(importer, ["config", "set", "--secret", "cluster-runtime:kubeconfig", kubeconfig]);

    const imported = await pulumi(importer, ["import", KATA, "adopted", "example-kataconfig", "--yes", "--protect=false"]);

    expect(imported.stdout + imported.stderr).toMatch(/Resources:\n\s+\+ 1 created\n\s+= 1 imported\n/);
    const exported = (await pulumi(importer, ["stack", "export"])).stdout;
    const kata = (JSON.parse(exported) as { deployment: { resources: Array<{ type: string; id?: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }> } }).deployment.resources.find((r) => r.type === KATA);
    expect(kata?.id).toBe("example-kataconfig");
    expect(kata?.inputs).toEqual({ metadata: { name: "example-kataconfig" }, spec: {} });
    expect((kata?.outputs.status as KataConfig["status"])?.kataNodes?.readyNodeCount).toBe(2);
    expect(exported).not.toContain(key());
    // Forget it again without deleting it: the first stack owns it.
    await pulumi(importer, ["stack", "rm", "--force", "--yes"]);
  });

  it("destroy removes kata from the cluster", async () => {
    const destroyed = await pulumi(ws, ["destroy", "--yes", "--skip-preview"]);

    expect(rowDiagnostics(destroyed.stdout + destroyed.stderr, KATA, "sandboxed").at(-1)).toBe("removed");
    expect(await kubectl(env.cluster, "get", "kataconfig", "-o", "name")).toBe("");
    expect(await kubectl(env.cluster, "get", "runtimeclass", "-o", "name")).not.toContain("runtimeclass.node.k8s.io/kata");
  });
});
