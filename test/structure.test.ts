import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

// The layers of provider/ as the README's layout states them: imports go one way only. A new import
// that reaches up fails here with the file and what it imported.

const providerRoot = path.join(__dirname, "..", "provider");

/** Which folders each folder may import (besides itself and packages). */
const allowed: Record<string, string[]> = {
  k8s: [],
  crds: ["k8s", "kata", "mhc"],
  cluster: ["k8s"],
  kata: ["k8s", "cluster", "lifecycle"],
  mhc: ["k8s", "cluster", "lifecycle"],
  lifecycle: ["k8s", "cluster"],
  wiring: ["k8s", "cluster", "kata", "mhc"],
  // The hosts, at the top: the dynamic provider host (provider/*.ts, with the engine guard) and the
  // provider plugin, which uses that engine guard too.
  ".": ["k8s", "cluster", "kata", "mhc", "lifecycle", "wiring"],
  plugin: ["k8s", "cluster", "kata", "mhc", "lifecycle", "wiring", "."],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The top folder of provider/ a file is in ("." for provider/*.ts). */
function layerOf(file: string): string {
  const relative = path.relative(providerRoot, file);
  return relative.includes(path.sep) ? relative.split(path.sep)[0]! : ".";
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith(".")).map((s) => path.resolve(path.dirname(file), s));
}

describe("provider/ layers", () => {
  const files = sourceFiles(providerRoot);

  it("every folder imports only the folders below it", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const target of importsOf(file)) {
        if (!target.startsWith(providerRoot)) {
          violations.push(`${path.relative(providerRoot, file)} imports ${path.relative(providerRoot, target)} outside provider/`);
          continue;
        }
        const to = layerOf(`${target}.ts`);
        if (to !== from && !(allowed[from] ?? []).includes(to)) violations.push(`${path.relative(providerRoot, file)} (${from}) imports ${path.relative(providerRoot, target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("the simulated operators are used only by the wiring, never by what talks to a real cluster", () => {
    const simulated = (p: string) => p.split(path.sep).includes("simulated");
    const users = files.filter((file) => !simulated(path.dirname(file)) && importsOf(file).some(simulated));
    expect(users.map((file) => path.relative(providerRoot, file))).toEqual([path.join("wiring", "simulated-operators.ts")]);
  });

  it("knows every folder it checks", () => {
    expect([...new Set(files.map(layerOf))].sort()).toEqual(Object.keys(allowed).sort());
  });
});
