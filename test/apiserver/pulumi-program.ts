import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as yaml from "yaml";
import { repoRoot } from "../../tools/engine";

// An example program run by the real Pulumi CLI from a temp copy, so nothing the CLI writes
// (Pulumi.<stack>.yaml next to Pulumi.yaml, the file backend, PULUMI_HOME) lands in the repo.

export interface ProgramCopy {
  /** The temp dir holding both. */
  root: string;
  /** The copy of the example: its .ts files, its Pulumi.yaml, node_modules linked to the repo's. */
  programDir: string;
  /** For workspace(): the file backend and PULUMI_HOME. */
  stateDir: string;
  remove(): void;
}

/** Copy examples/<name> (its .ts files and Pulumi.yaml) into a temp dir that resolves modules from the repo. */
export function copyExample(name: string): ProgramCopy {
  const source = path.join(repoRoot, "examples", name);
  const root = fs.mkdtempSync(path.join(tmpdir(), `pulumi-${name}-`));
  const programDir = path.join(root, "program");
  const stateDir = path.join(root, "state");
  fs.mkdirSync(programDir);
  for (const file of fs.readdirSync(source)) {
    if (file.endsWith(".ts")) fs.copyFileSync(path.join(source, file), path.join(programDir, file));
  }
  // The example's tsconfig is relative to the example dir: make it absolute, it stays in the repo.
  const project = yaml.parse(fs.readFileSync(path.join(source, "Pulumi.yaml"), "utf8")) as { runtime?: { options?: { tsconfig?: string } } };
  const options = project.runtime?.options;
  if (options?.tsconfig) options.tsconfig = path.resolve(source, options.tsconfig);
  fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), yaml.stringify(project));
  // @pulumi/pulumi (the language host starts its cmd/run from here), pulumi-cluster-runtime (-> the
  // repo, bin/) and @pulumi/kubernetes resolve from the repo's node_modules, as in examples/<name>.
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(programDir, "node_modules"), "dir");
  // Without a package.json the program root is the program dir anyway, but @pulumi/pulumi warns.
  fs.writeFileSync(path.join(programDir, "package.json"), `${JSON.stringify({ name: `example-${name}`, private: true })}\n`);
  return { root, programDir, stateDir, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** `npm run build`: the program loads pulumi-cluster-runtime from bin/, which must match the sources. */
export function buildPackage(): void {
  execFileSync(path.join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", path.join(repoRoot, "tsconfig.json")], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
}
