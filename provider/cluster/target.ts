import * as fs from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import { goDurationSchema } from "../k8s/duration";
import { quoted } from "../k8s/quote";

// Which cluster a resource acts on. Choosing the embedded twin is explicit; with nothing chosen we
// use the ambient kubeconfig the way @pulumi/kubernetes does, and never fall back to the twin.

export const embeddedTargetSchema = z.strictObject({
  /** A fixture file (multi-document YAML), relative to the program or one the package ships: "fixtures/two-workers.yaml". */
  fixture: z.string().min(1, "must name a fixture file").optional().meta({ description: "Multi-document YAML of the cluster's objects (and a schedule of events); the package ships fixtures/two-workers.yaml and fixtures/capi-quickstart.yaml." }),
  /** Where the twin keeps its state between runs; default .state/twin/<fixture>.json in the program's directory. */
  stateFile: z.string().min(1).optional().meta({ description: "Where the twin keeps its state between runs. Default .state/twin/<fixture>.json in the program's directory." }),
  /** How much faster than the wall clock the twin's time runs (demo speed-up). */
  timeScale: z.number({ error: "must be a number" }).positive("must be greater than 0").max(100_000, "must be at most 100000").optional().meta({ description: "How much faster than the wall clock the twin's time runs. Default 60." }),
  /** Time moves only while a handler waits, so waits end at once (tests, CI); default: scaled wall-clock time. */
  virtualTime: z.boolean({ error: "must be true or false" }).optional().meta({ description: "Time moves only while a resource waits, so waits end at once (tests, CI)." }),
  /** How long the twin takes to move one node to a new machine config. */
  nodeUpdateTime: goDurationSchema().optional().meta({ description: "How long the twin takes to move one node to a new machine config (Go duration). Default 5m." }),
});
export type EmbeddedTarget = z.infer<typeof embeddedTargetSchema>;

export const kubeconfigTargetSchema = z.strictObject({
  /** Kubeconfig contents (YAML). A secret: never logged, kept secret in state. */
  kubeconfig: z.string().min(1, "must not be empty").optional().meta({ description: "Kubeconfig contents (YAML). Secret. Default: the ambient kubeconfig (KUBECONFIG, then ~/.kube/config)." }),
  context: z.string().min(1, "must not be empty").optional().meta({ description: "The kubeconfig context to use. Default: its current context." }),
});
export type KubeconfigTarget = z.infer<typeof kubeconfigTargetSchema>;

const embeddedClusterSchema = z.strictObject({ embedded: embeddedTargetSchema.meta({ description: "The embedded cluster twin: a local stand-in that plays the operators, for trying things without a cluster." }) });

export const clusterTargetSchema = z.union([embeddedClusterSchema, kubeconfigTargetSchema], {
  error: 'must be { embedded: { fixture } } for the embedded twin, or { kubeconfig?, context? } for a real cluster',
});
export type ClusterTarget = z.infer<typeof clusterTargetSchema>;

/**
 * The schema to check a `cluster` input with: the alternative its keys say is meant, so that every
 * problem inside it is reported (zod's union reports the other alternative's complaint when the meant
 * one has a wrong type: { embedded: { virtualTime: "yes" } } came out as "embedded is not a known field").
 */
export function clusterSchemaFor(value: unknown): z.ZodType<ClusterTarget> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const real = keys.includes("kubeconfig") || keys.includes("context");
    if (keys.includes("embedded") && !real) return embeddedClusterSchema;
    if (real && !keys.includes("embedded")) return kubeconfigTargetSchema;
  }
  return clusterTargetSchema;
}

/**
 * The provider plugin's configuration (`cluster-runtime:kubeconfig` in stack config, or the inputs of an
 * explicit provider resource): the cluster of every resource that does not name its own `cluster`.
 */
export const providerConfigSchema = z
  .strictObject({
    kubeconfig: kubeconfigTargetSchema.shape.kubeconfig.meta({ description: "Kubeconfig contents (YAML) of the cluster for resources that set no `cluster`. Secret. Default: the ambient kubeconfig (KUBECONFIG, then ~/.kube/config)." }),
    context: kubeconfigTargetSchema.shape.context.meta({ description: "The kubeconfig context to use. Default: its current context." }),
    embedded: embeddedTargetSchema.optional().meta({ description: "The embedded cluster twin instead of a kubeconfig, for resources that set no `cluster` (and for `pulumi import` on the twin)." }),
  })
  .refine((c) => !(c.embedded && (c.kubeconfig || c.context)), { error: "choose either embedded (the twin) or kubeconfig/context (a real cluster), not both", path: ["embedded"] });
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

/** The cluster a provider configuration names, or undefined for the ambient kubeconfig. */
export function targetOfProviderConfig(config: ProviderConfig): ClusterTarget | undefined {
  if (config.embedded) return { embedded: config.embedded };
  if (config.kubeconfig || config.context) return { ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}), ...(config.context ? { context: config.context } : {}) };
  return undefined;
}

export function isEmbedded(target: ClusterTarget | undefined): target is { embedded: EmbeddedTarget } {
  return Boolean(target && "embedded" in target);
}

let foundPackageRoot: string | undefined;

/** The package's own directory (fixtures ship there), from the source or the built files alike. */
export function packageRoot(): string {
  return (foundPackageRoot ??= findPackageRoot(__dirname));
}

function findPackageRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-cluster-runtime") return dir;
  }
  return path.resolve(from, "..", "..");
}

/** A fixture path as given, relative to the program's directory, else one the package ships. */
export function resolveFixture(fixture: string, cwd = process.cwd()): string {
  const { found, candidates } = findFixture(fixture, cwd);
  if (!found) throw new Error(`cluster.embedded.fixture: no fixture file ${quoted(fixture)} (looked in ${candidates.join(", ")})`);
  return found;
}

function findFixture(fixture: string, cwd: string): { found?: string; candidates: string[] } {
  const names = /\.ya?ml$/.test(fixture) ? [fixture] : [fixture, `${fixture}.yaml`];
  const candidates = names.flatMap((name) => [path.resolve(cwd, name), path.resolve(packageRoot(), name), path.resolve(packageRoot(), "fixtures", name)]);
  const found = candidates.find((c) => fs.existsSync(c));
  return found ? { found, candidates } : { candidates };
}

const checkedFixtures = new Map<string, string | undefined>();

/**
 * Why `cluster.embedded.fixture` cannot be used, or undefined. A fixture is a file inside the program's
 * directory or one the package ships (links followed), and a fixture: a program's input never makes
 * the provider read, and echo in its errors, some other file of the machine. The YAML parser is
 * loaded only for a fixture that has to be parsed.
 */
export async function fixtureProblem(fixture: string, cwd = process.cwd()): Promise<string | undefined> {
  const { found, candidates } = findFixture(fixture, cwd);
  if (!found) return `no fixture file ${quoted(fixture)} (looked in ${candidates.join(", ")})`;
  let real: string;
  let stat: fs.Stats;
  try {
    real = fs.realpathSync(found);
    stat = fs.statSync(real);
  } catch (error) {
    return `the fixture file ${found} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const shipped = path.join(packageRoot(), "fixtures");
  if (!within(real, realDir(cwd)) && !within(real, realDir(shipped))) {
    return `must be a file inside the program's directory (${cwd}) or a fixture the package ships (${shippedFixtures(shipped)}); ${quoted(fixture)} is ${real}`;
  }
  if (!stat.isFile()) return `${real} is not a file`;
  if (shippedAsBuilt(real, shipped)) return undefined;
  const key = `${real}:${stat.size}:${stat.mtimeMs}`;
  if (!checkedFixtures.has(key)) {
    let problem: string | undefined;
    try {
      (await import("./twin/fixture")).readFixture(real);
    } catch (error) {
      problem = `is not a fixture the twin can load: ${(error as Error).message}`;
    }
    checkedFixtures.set(key, problem);
  }
  return checkedFixtures.get(key);
}

/** Where the build lists the fixtures the package ships, each with the digest of its bytes: all load. */
export const SHIPPED_FIXTURES_FILE = path.join("bin", "shipped-fixtures.json");

/**
 * A digest of a file's bytes that tells an edited file from the one the build checked: two 32-bit
 * FNV-1a hashes of the bytes, with the length. Not node:crypto, whose first use costs a check more
 * than the rest of it; no one gains by forging a fixture, which still has to load when the twin opens.
 */
export function fixtureDigest(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x01234567;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193) >>> 0;
    b = Math.imul(b ^ bytes[i]!, 0x01000193) >>> 0;
  }
  return `${bytes.length}-${a.toString(16)}-${b.toString(16)}`;
}

let shippedDigests: Record<string, string> | undefined;

/**
 * A fixture the package ships, unchanged since the build checked that it loads: not parsed again at
 * every check (each provider process checks afresh, and parsing YAML cold costs more than Node's own
 * start-up). Any other file, or one changed since, is parsed.
 */
function shippedAsBuilt(real: string, shippedDir: string): boolean {
  if (path.dirname(real) !== realDir(shippedDir)) return false;
  if (!shippedDigests) {
    try {
      shippedDigests = JSON.parse(fs.readFileSync(path.join(packageRoot(), SHIPPED_FIXTURES_FILE), "utf8")) as Record<string, string>;
    } catch {
      shippedDigests = {}; // not built: every fixture is parsed
    }
  }
  const expected = shippedDigests[path.basename(real)];
  return expected !== undefined && fixtureDigest(fs.readFileSync(real)) === expected;
}

function within(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

function shippedFixtures(dir: string): string {
  try {
    return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => `fixtures/${f}`).join(", ");
  } catch {
    return "none found";
  }
}

export function defaultStateFile(target: EmbeddedTarget, cwd = process.cwd()): string {
  const base = target.fixture ? path.basename(target.fixture).replace(/\.ya?ml$/, "") : "empty";
  return path.resolve(cwd, ".state", "twin", `${base}.json`);
}

/** What identifies the cluster: a change of it means the object lives elsewhere (replace). */
export function clusterIdentity(target: ClusterTarget | undefined, cwd = process.cwd()): string {
  if (isEmbedded(target)) return `embedded:${path.resolve(cwd, target.embedded.stateFile ?? defaultStateFile(target.embedded, cwd))}`;
  return `kubeconfig:${target?.context ?? "(current context)"}:${serverOf(target?.kubeconfig, target?.context) ?? "(ambient)"}`;
}

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: Array<{ name: string; context?: { cluster?: string } }>;
  clusters?: Array<{ name: string; cluster?: { server?: string } }>;
}

/** The API server URL a kubeconfig's context points at. */
function serverOf(kubeconfig: string | undefined, context: string | undefined): string | undefined {
  if (!kubeconfig) return undefined;
  let file: KubeconfigFile;
  try {
    // Loaded here only: a process that never compares kubeconfigs does not load a YAML parser.
    file = ((require("yaml") as typeof import("yaml")).parse(kubeconfig) ?? {}) as KubeconfigFile;
  } catch {
    return undefined;
  }
  const contextName = context ?? file["current-context"];
  const clusterName = file.contexts?.find((c) => c.name === contextName)?.context?.cluster;
  return file.clusters?.find((c) => c.name === clusterName)?.cluster?.server;
}
