import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as yaml from "yaml";
import type { AccessNeed } from "../../provider/cluster/client";
import { knownApiType } from "../../provider/k8s/api-types";
import type { KubeObject } from "../../provider/k8s/meta";
import { kataAccess } from "../../provider/kata/access";
import { mhcAccess } from "../../provider/mhc/access";
import { makePki } from "../../tools/dev-cluster/certs";
import { freePort } from "../../tools/dev-cluster/ports";
import type { ResourceSetting } from "../e2e/program/resources";
import { type CliResult, KATA_TYPE, MHC_TYPE, type Project, useProjects } from "../e2e/project";
import { kubectl, useDevCluster } from "./helpers";

// What goes wrong against a real API server (the dev cluster, RBAC authorization on), through the
// real Pulumi CLI and the dynamic resources: identities with too few rights, a server that is not
// there, a CA that is not the cluster's, and the secrets of a kubeconfig (a client key, a bearer token)
// that must never show: not in the stack, the CLI's output, error messages, logs or the twin's state.

const env = useDevCluster();
const { newProject } = useProjects();
const up = ["up", "--yes", "--skip-preview"];
const RBAC = "rbac.authorization.k8s.io/v1";

/** Every CLI output of this file, for the secrets check at the end. */
const outputs: string[] = [];
async function run(project: Project, args: string[]): Promise<CliResult> {
  const result = await project.pulumi(args, { allowFailure: true });
  outputs.push(result.output);
  return result;
}

/** A ClusterRole with these rules bound to `user`. */
async function grant(user: string, rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>): Promise<void> {
  const name = `faults-${user}`;
  await env.client.apply({ apiVersion: RBAC, kind: "ClusterRole", metadata: { name }, rules } as KubeObject);
  await env.client.apply({
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name },
    subjects: [{ kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }],
    roleRef: { kind: "ClusterRole", name, apiGroup: "rbac.authorization.k8s.io" },
  } as KubeObject);
}

/** RBAC rules for what an operation needs (its access list), but what `missing` picks out. */
function rulesFor(needs: AccessNeed[], missing: (need: AccessNeed) => boolean = () => false) {
  return needs
    .filter((need) => !missing(need))
    .map((need) => {
      const type = knownApiType(need.apiVersion, need.kind)!;
      return { apiGroups: [type.group], resources: [type.plural], verbs: [need.verb] };
    });
}
const kataNeeds = [...kataAccess.create, ...kataAccess.delete];
const isKind = (kind: string, verb: string) => (need: AccessNeed) => need.kind === kind && need.verb === verb;
const kataConfig = (timeouts?: Record<string, string>): ResourceSetting => ({
  kind: "KataConfig",
  name: "sandboxed",
  args: { metadata: { name: "example-kataconfig" }, ...(timeouts ? { timeouts } : {}) },
  kubeconfigFromConfig: true,
});
const healthCheck: ResourceSetting = {
  kind: "MachineHealthCheck",
  name: "workers",
  args: { metadata: { name: "workers", namespace: "default" }, spec: { clusterName: "capi-quickstart", selector: { matchLabels: { nodepool: "nodepool-0" } }, unhealthyConditions: [{ type: "Ready", status: "False", timeout: "300s" }] } },
  kubeconfigFromConfig: true,
};

async function projectAs(kubeconfig: string, resources: ResourceSetting[]): Promise<Project> {
  const project = await newProject({ resources });
  await project.pulumi(["config", "set", "--secret", "kubeconfig", kubeconfig]);
  return project;
}

const stackIds = async (project: Project, type: string) => (await project.resources()).filter((r) => r.type === type).map((r) => r.id);
const kataConfigsInCluster = async () => (await kubectl(env.cluster, "get", "kataconfigs", "-o", "name")).trim();

describe("too few rights: refused before any change, naming the verb, the resource, the namespace, the identity and the grant", () => {
  it("no create on kataconfigs: up refuses, nothing in the cluster or the stack", async () => {
    await grant("alice", rulesFor(kataNeeds, isKind("KataConfig", "create")));
    const project = await projectAs(await env.cluster.kubeconfigFor("alice"), [kataConfig()]);

    const refused = await run(project, up);

    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`KataConfig example-kataconfig: nothing was changed: the kubeconfig's user "alice" may not create kataconfigs (API group kataconfiguration.openshift.io) at the cluster scope on cluster ${env.cluster.server}`);
    expect(refused.output).toContain("kubectl create clusterrole pulumi-cluster-runtime-kataconfigs --verb=create --resource=kataconfigs.kataconfiguration.openshift.io");
    expect(refused.output).toContain("kubectl create clusterrolebinding pulumi-cluster-runtime-kataconfigs --clusterrole=pulumi-cluster-runtime-kataconfigs --user=alice");
    expect(await kataConfigsInCluster()).toBe("");
    expect(await stackIds(project, KATA_TYPE)).toEqual([]);
  });

  it("no list on pods: destroy refuses before asking for the deletion; the KataConfig stays in the cluster and the stack", async () => {
    await grant("bob", rulesFor(kataNeeds, isKind("Pod", "list")));
    const project = await projectAs(await env.cluster.kubeconfigFor("bob"), [kataConfig()]);
    expect((await run(project, up)).code).toBe(0);

    const refused = await run(project, ["destroy", "--yes", "--skip-preview"]);

    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('KataConfig example-kataconfig: nothing was changed: the kubeconfig\'s user "bob" may not list pods (core API group) in all namespaces');
    expect(refused.output).toContain("kubectl create clusterrole pulumi-cluster-runtime-pods --verb=list --resource=pods");
    expect(await stackIds(project, KATA_TYPE)).toEqual(["example-kataconfig"]);
    const live = JSON.parse(await kubectl(env.cluster, "get", "kataconfig", "example-kataconfig", "-o", "json")) as KubeObject;
    expect(live.metadata.deletionTimestamp).toBeUndefined();

    // Granted what the message said, destroy completes.
    await grant("bob", rulesFor(kataNeeds));
    expect((await run(project, ["destroy", "--yes", "--skip-preview"])).code).toBe(0);
    expect(await kataConfigsInCluster()).toBe("");
  });

  it("no read of machines: up refuses the MachineHealthCheck; none in the cluster or the stack", async () => {
    await grant("carol", rulesFor(mhcAccess("default").create, isKind("Machine", "list")));
    const project = await projectAs(await env.cluster.kubeconfigFor("carol"), [healthCheck]);

    const refused = await run(project, up);

    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('MachineHealthCheck default/workers: nothing was changed: the kubeconfig\'s user "carol" may not list machines (API group cluster.x-k8s.io) in namespace default');
    expect(refused.output).toContain("kubectl create role pulumi-cluster-runtime-machines -n default --verb=list --resource=machines.cluster.x-k8s.io");
    expect(refused.output).toContain("kubectl create rolebinding pulumi-cluster-runtime-machines -n default --role=pulumi-cluster-runtime-machines --user=carol");
    expect((await kubectl(env.cluster, "get", "machinehealthchecks", "-A", "-o", "name")).trim()).toBe("");
    expect(await stackIds(project, MHC_TYPE)).toEqual([]);
  });
});

describe("no API server: preview and up say so within seconds, naming the server and the cause", () => {
  let admin: string;
  beforeAll(() => void (admin = fs.readFileSync(env.cluster.kubeconfigPath, "utf8")));

  /** The admin kubeconfig with one change. */
  const edited = (change: (cluster: Record<string, unknown>) => void) => {
    const config = yaml.parse(admin) as { clusters: Array<{ cluster: Record<string, unknown> }> };
    change(config.clusters[0]!.cluster);
    return yaml.stringify(config);
  };

  it.each([
    ["a closed port", async () => {
      const port = await freePort();
      return { kubeconfig: edited((c) => void (c.server = `https://127.0.0.1:${port}`)), server: `https://127.0.0.1:${port}`, cause: /did not answer in 10s of trying \(ECONNREFUSED: nothing listens on that port\)/ };
    }],
    ["a CA that is not the cluster's", async () => {
      const other = await makePki(fs.mkdtempSync(path.join(os.tmpdir(), "pcr-other-ca-")));
      const kubeconfig = edited((c) => void (c["certificate-authority-data"] = fs.readFileSync(other.caCert).toString("base64")));
      return { kubeconfig, server: env.cluster.server, cause: /the TLS handshake with the Kubernetes API server of cluster \S+ \(context [^)]+\) failed: the server's certificate is not signed by the kubeconfig's certificate authority/ };
    }],
  ])("%s", async (_what, make) => {
    const { kubeconfig, server, cause } = await make();
    const project = await projectAs(kubeconfig, [kataConfig()]);
    for (const command of [["preview"], up]) {
      const started = Date.now();
      const result = await run(project, command);
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write(`[faults] ${_what}: pulumi ${command[0]} failed after ${seconds.toFixed(1)} s\n`);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`cluster: `);
      expect(result.output).toContain(server);
      expect(result.output).toMatch(cause);
      // A bound, not a timing: the CLI's own start-up is most of it; the provider gives up after at most 10 s,
      // where a wait to the resource's time limit would be 60 minutes.
      expect(seconds).toBeLessThan(60);
    }
    expect(await stackIds(project, KATA_TYPE)).toEqual([]);
    expect(await kataConfigsInCluster()).toBe("");
  });
});

describe("secrets: a client key and a bearer token never show", () => {
  it("not in the stack, the CLI's output at the README's verbosity, errors, logs or the twin's state", async () => {
    await kubectl(env.cluster, "create", "serviceaccount", "deployer", "-n", "default");
    const token = (await kubectl(env.cluster, "create", "token", "deployer", "-n", "default", "--duration=1h")).trim();
    await env.client.apply({
      apiVersion: RBAC,
      kind: "ClusterRoleBinding",
      metadata: { name: "faults-deployer" },
      subjects: [{ kind: "ServiceAccount", name: "deployer", namespace: "default" }],
      roleRef: { kind: "ClusterRole", name: "cluster-admin", apiGroup: "rbac.authorization.k8s.io" },
    } as KubeObject);
    const withKey = await env.cluster.kubeconfigFor("erin");
    const key = (yaml.parse(withKey) as { users: Array<{ user: Record<string, string> }> }).users[0]!.user["client-key-data"]!;
    const withToken = yaml.stringify({
      ...(yaml.parse(withKey) as object),
      users: [{ name: "dev-cluster-erin", user: { token } }],
    });
    const secrets = { "client key (base64)": key, "client key (PEM body)": Buffer.from(key, "base64").toString("utf8").split("\n")[1]!, token };

    // The token (cluster-admin through its service account): an install that runs out of time keeps
    // partial state with the kubeconfig in it; a debug-verbosity up; a refresh; destroy.
    const tokenProject = await projectAs(withToken, [kataConfig({ create: "1s" }), { kind: "MachineHealthCheck", name: "twin", args: { ...healthCheck.args, cluster: { embedded: { fixture: "fixtures/capi-quickstart.yaml", virtualTime: true } } } }]);
    const partial = await run(tokenProject, up);
    expect(partial.output).toMatch(/gave up waiting for KataConfig example-kataconfig/);
    expect(await stackIds(tokenProject, KATA_TYPE)).toEqual(["example-kataconfig"]);
    // The most the README suggests: -v=9 would be the engine's own log of every property it sends a
    // provider, decrypted secrets included (upstream behaviour; the README warns about it).
    await run(tokenProject, [...up, "--debug", "-v=8", "--logtostderr"]);
    await run(tokenProject, ["refresh", "--yes", "--skip-preview"]);
    outputs.push((await tokenProject.pulumi(["stack", "export"])).output);
    await run(tokenProject, ["destroy", "--yes", "--skip-preview"]);

    // The client key: refused by RBAC (erin has no rights), and a TLS failure with the key in hand.
    const keyProject = await projectAs(withKey, [kataConfig()]);
    await run(keyProject, up);
    const otherCa = await makePki(fs.mkdtempSync(path.join(os.tmpdir(), "pcr-other-ca-")));
    const wrongCa = yaml.parse(withKey) as { clusters: Array<{ cluster: Record<string, string> }> };
    wrongCa.clusters[0]!.cluster["certificate-authority-data"] = fs.readFileSync(otherCa.caCert).toString("base64");
    await keyProject.pulumi(["config", "set", "--secret", "kubeconfig", yaml.stringify(wrongCa)]);
    await run(keyProject, [...up, "--debug"]);
    outputs.push((await keyProject.pulumi(["stack", "export"])).output);

    const leaks: string[] = [];
    const look = (where: string, text: string) => {
      for (const [what, secret] of Object.entries(secrets)) if (text.includes(secret)) leaks.push(`${what} in ${where}`);
    };
    outputs.forEach((text, i) => look(`CLI output ${i}`, text));
    // Every file the runs left: the backends, PULUMI_HOME (logs included), the programs, the twin's state.
    // The stack config (Pulumi.e2e.yaml) holds the kubeconfig encrypted, as `config set --secret` does.
    for (const project of [tokenProject, keyProject]) {
      for (const file of filesUnder(project.dir)) look(path.relative(project.dir, file), fs.readFileSync(file, "latin1"));
    }
    expect(filesUnder(tokenProject.dir).some((f) => f.endsWith(".json") && f.includes(`${path.sep}twin${path.sep}`))).toBe(true);
    expect(leaks).toEqual([]);
    // And the outputs did hold what a leak would look like: the refusals and the TLS failure are there.
    expect(outputs.join("\n")).toMatch(/service account default\/deployer|user "erin" may not/);
    expect(outputs.join("\n")).toMatch(/TLS handshake/);
  });
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) return [];
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}
