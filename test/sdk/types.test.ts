import type * as pulumi from "@pulumi/pulumi";
import { describe, expectTypeOf, it } from "vitest";
import type * as z from "zod";
import type * as sdk from "../../sdk";
import type { clusterTargetSchema } from "../../provider/cluster/target";
import type { kataConfigStatusOutputSchema } from "../../provider/kata/outputs";
import type { timeoutsSchema } from "../../provider/lifecycle/timeouts";
import type { evaluationSchema } from "../../provider/mhc/report-schema";
import type { machineHealthCheckStatusOutputSchema } from "../../provider/mhc/outputs";

// What a user's typed program relies on (checked by `npm run typecheck`, which `npm test` runs):
// every output has its real type, no `unknown` or `any`, and the SDK's types are the models' types.

type Lifted<R, K extends keyof R> = R[K] extends pulumi.Output<infer T> ? T : never;

describe("the types a user's program sees", () => {
  it("types every KataConfig output", () => {
    type K = sdk.KataConfig;
    expectTypeOf<Lifted<K, "runtimeClassName">>().toEqualTypeOf<string>();
    expectTypeOf<Lifted<K, "status">>().toEqualTypeOf<sdk.KataConfigStatus>();
    expectTypeOf<K["status"]>().toHaveProperty("kataNodes");
    expectTypeOf<sdk.KataConfigStatus["kataNodes"]["readyNodeCount"]>().toEqualTypeOf<number>();
    expectTypeOf<sdk.KataConfigStatus["kataNodes"]["installed"]>().toEqualTypeOf<string[]>();
    expectTypeOf<sdk.KataConfigStatus["conditions"][number]["reason"]>().toEqualTypeOf<string>();
    expectTypeOf<sdk.KataConfigStatus["runtimeClasses"]>().toEqualTypeOf<string[]>();
    expectTypeOf<Lifted<K, "metadata">["name"]>().toEqualTypeOf<string>();
    expectTypeOf<Lifted<K, "spec">["logLevel"]>().toEqualTypeOf<"trace" | "debug" | "info" | "warn" | "error" | "fatal" | "panic" | undefined>();
  });

  it("lifts nested outputs to their own types (what z.looseObject used to break)", () => {
    expectTypeOf<sdk.KataConfig["status"]["kataNodes"]["readyNodeCount"]>().toEqualTypeOf<pulumi.Output<number>>();
    expectTypeOf<sdk.MachineHealthCheck["status"]["expectedMachines"]>().toEqualTypeOf<pulumi.Output<number>>();
    expectTypeOf<sdk.MachineHealthCheck["status"]["targets"]>().toEqualTypeOf<pulumi.Output<string[]>>();
  });

  it("types every MachineHealthCheck output, the report as what it can be", () => {
    type M = sdk.MachineHealthCheck;
    expectTypeOf<Lifted<M, "status">>().toEqualTypeOf<sdk.MachineHealthCheckStatus>();
    expectTypeOf<sdk.MachineHealthCheckStatus["conditions"][number]["severity"]>().toEqualTypeOf<string>();
    expectTypeOf<Lifted<M, "report">>().toEqualTypeOf<sdk.MachineHealthCheckReport | undefined>();
    expectTypeOf<sdk.MachineHealthCheckReport["machines"][number]["state"]>().toEqualTypeOf<"healthy" | "unhealthy" | "pending" | "skipped">();
    expectTypeOf<sdk.MachineHealthCheckReport["machines"][number]["remediatedBy"]>().toEqualTypeOf<"MachineSet" | "KubeadmControlPlane" | "external" | "none">();
    expectTypeOf<Lifted<M, "metadata">["namespace"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Lifted<M, "spec">["maxUnhealthy"]>().toEqualTypeOf<number | string | undefined>();
  });

  it("generates the SDK's types from the models: the same shapes as the zod schemas", () => {
    expectTypeOf<sdk.KataConfigStatus>().toEqualTypeOf<z.output<typeof kataConfigStatusOutputSchema>>();
    expectTypeOf<sdk.MachineHealthCheckStatus>().toEqualTypeOf<z.output<typeof machineHealthCheckStatusOutputSchema>>();
    expectTypeOf<sdk.MachineHealthCheckReport>().toEqualTypeOf<z.output<typeof evaluationSchema>>();
    expectTypeOf<sdk.MachineHealthCheckReport>().toEqualTypeOf<sdk.Evaluation>();
    expectTypeOf<sdk.Timeouts>().toEqualTypeOf<z.input<typeof timeoutsSchema>>();
    expectTypeOf<sdk.ClusterArgs>().toEqualTypeOf<z.input<typeof clusterTargetSchema>>();
  });
});
