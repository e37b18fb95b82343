import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SHIPPED_FIXTURES_FILE, fixtureDigest } from "../provider/cluster/target";

// What `npm run build` makes for a provider process's start (tools/build/provider-bundle.ts): the
// provider entry and the plugin, each one file with a V8 code cache that this Node accepts, and the
// list of the fixtures the package ships that check need not parse again.

const root = path.join(__dirname, "..");
const bundles = { "provider entry": path.join(root, "bin", "provider-entry"), plugin: path.join(root, "bin", "plugin") };

describe("the built bundles", () => {
  it.each(Object.entries(bundles))("the %s loads with its code cache on this Node", (_what, dir) => {
    const bundle = path.join(dir, "bundle.js");
    expect(fs.statSync(`${bundle}.cache`).size).toBeGreaterThan(100_000);
    const probe = spawnSync(process.execPath, ["-e", `const l = require(${JSON.stringify(path.join(root, "bin", "provider", "bundle-loader.js"))}); l.loadBundle(${JSON.stringify(bundle)}); process.stdout.write(l.codeCacheUse(${JSON.stringify(bundle)}));`], { encoding: "utf8" });
    expect(probe.stderr).toBe("");
    expect(probe.stdout).toBe("used");
  });

  it("the provider entry answers a check from the bundle, as a serialized provider requires it", () => {
    const check = `require("pulumi-cluster-runtime/provider").providers.kataConfig
      .check({}, { metadata: { name: "Bad_Name" }, cluster: { embedded: { fixture: "two-workers" } } })
      .then((r) => process.stdout.write(JSON.stringify(r.failures)));`;
    const probe = spawnSync(process.execPath, ["-e", check], { cwd: path.join(root, "examples", "quickstart"), encoding: "utf8" });
    expect(probe.stderr).toBe("");
    expect(JSON.parse(probe.stdout)).toEqual([{ property: "", reason: expect.stringMatching(/^metadata\.name: must be a DNS subdomain/) }]);
  });

  it("lists every shipped fixture with the digest of its bytes as they are now", () => {
    const listed = JSON.parse(fs.readFileSync(path.join(root, SHIPPED_FIXTURES_FILE), "utf8")) as Record<string, string>;
    const shipped = fs.readdirSync(path.join(root, "fixtures")).filter((f) => /\.ya?ml$/.test(f)).sort();
    expect(Object.keys(listed).sort()).toEqual(shipped);
    for (const name of shipped) expect(listed[name], name).toBe(fixtureDigest(fs.readFileSync(path.join(root, "fixtures", name))));
  });
});
