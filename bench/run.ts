import * as fs from "node:fs";
import * as path from "node:path";
import type { Figure } from "./timing";

// Runs every benchmark module (bench/*.ts exporting `run`) and prints a table, with how each
// figure grows against the smallest size of the same benchmark (linear growth keeps ms/size flat).

async function main(): Promise<void> {
  const only = process.argv[2];
  const modules = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".ts") && !["run.ts", "timing.ts"].includes(f))
    .filter((f) => !only || f.includes(only))
    .sort();
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  for (const file of modules) {
    const mod = (await import(path.join(__dirname, file))) as { run?: () => Promise<Figure[]> };
    if (!mod.run) continue;
    const figures = await mod.run();
    console.log(`\n${file}`);
    const base = new Map<string, Figure>();
    for (const f of figures) {
      const first = base.get(f.name) ?? f;
      base.set(f.name, first);
      const perItem = (f.ms / f.size) * 1000;
      const growth = f.ms / first.ms / (f.size / first.size);
      console.log(`  ${f.name.padEnd(36)} ${String(f.size).padStart(7)}  ${f.ms.toFixed(2).padStart(10)} ms  ${perItem.toFixed(2).padStart(8)} µs/item  growth vs linear ${growth.toFixed(2)}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
