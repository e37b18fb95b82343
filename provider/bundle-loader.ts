import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";

// How a provider process loads its bundled code (bin/provider-entry/bundle.js, bin/plugin/bundle.js,
// made by tools/build/provider-bundle.ts): with the V8 code cache the build wrote beside the bundle
// (<bundle>.cache) after a warm-up that did what a provider does first (a check of each resource).
// Such a cache holds every function the warm-up compiled; the one Node's own compile cache keeps is
// made when a file is loaded, before any of its functions run, so a first check compiled most of its
// code again (zod, the models, the YAML parser) on every start. A cache made by another Node version
// is rejected by V8, and the bundle then compiles as usual: slower, never wrong.

const scripts = new Map<string, { script: vm.Script; cache: CodeCacheUse }>();

/** Whether a bundle was loaded with its code cache: "rejected" when V8 refused it (another Node). */
export type CodeCacheUse = "used" | "rejected" | "none";

/** Load a CommonJS bundle as `require` would, with its code cache when there is one; its exports. */
export function loadBundle<T>(file: string): T {
  const source = fs.readFileSync(file, "utf8");
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(`${file}.cache`);
  } catch {
    // no cache (not built with one): compile as usual
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  scripts.set(file, { script, cache: !cachedData ? "none" : script.cachedDataRejected ? "rejected" : "used" });
  const bundle = new Module(file, module);
  bundle.filename = file;
  bundle.loaded = true;
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  run.call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, path.dirname(file));
  return bundle.exports as T;
}

/**
 * The code cache of a bundle this process loaded, with every function it has compiled so far: what
 * the build's warm-up writes to <bundle>.cache once it has done its calls.
 */
export function codeCacheOf(file: string): Buffer {
  return loaded(file).script.createCachedData();
}

/** How a bundle this process loaded used its code cache. */
export function codeCacheUse(file: string): CodeCacheUse {
  return loaded(file).cache;
}

function loaded(file: string): { script: vm.Script; cache: CodeCacheUse } {
  const entry = scripts.get(file);
  if (!entry) throw new Error(`${file} was not loaded with loadBundle`);
  return entry;
}
