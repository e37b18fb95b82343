import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { generatedFiles, schemaText } from "../tools/schema/generate";

describe("schema.json and the SDK's types", () => {
  it.each(Object.keys(generatedFiles))("%s is the one generated from the models (run `npm run schema` after changing them)", (file) => {
    const committed = fs.readFileSync(path.join(__dirname, "..", file), "utf8");
    expect(committed).toBe(generatedFiles[file]!());
  });

  it("describes both resources with their inputs and outputs, the kubeconfig as a secret", () => {
    const schema = JSON.parse(schemaText());
    const kata = schema.resources["cluster-runtime:index:KataConfig"];
    const mhc = schema.resources["cluster-runtime:index:MachineHealthCheck"];
    expect(Object.keys(kata.inputProperties).sort()).toEqual(["cluster", "metadata", "spec", "timeouts"]);
    expect(Object.keys(kata.properties)).toEqual(expect.arrayContaining(["status", "runtimeClassName"]));
    expect(Object.keys(mhc.properties)).toEqual(expect.arrayContaining(["status", "report"]));
    expect(kata.inputProperties.cluster.secret).toBe(true);
    const spec = schema.types["cluster-runtime:index:MachineHealthCheckSpec"];
    expect(spec.properties.maxUnhealthy.oneOf).toEqual([{ type: "integer" }, { type: "string" }]);
    expect(spec.required).toEqual(["clusterName", "selector"]);
    for (const type of Object.values<{ properties: Record<string, { description?: string }> }>(schema.types)) expect(type.properties).toBeDefined();
  });
});
