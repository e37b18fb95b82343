import type { ClusterClient } from "../cluster/client";
import { type ClusterTarget, fixtureProblem, isEmbedded } from "../cluster/target";
import { failuresForEngine } from "./check-failures";
import type { HandlerContext } from "./context";
import { type CheckResult, embeddedFixtureOf } from "./inputs";
import { containsUnknown } from "./unknowns";

/**
 * At check, so at preview: the fixture an embedded twin names must be one the twin can load, beside
 * whatever else check found (a twin is never opened at check). Both hosts run this after the
 * resource's own check, and before checkClusterReachable.
 */
export async function checkFixture(result: CheckResult): Promise<CheckResult> {
  const fixture = embeddedFixtureOf(result.inputs.cluster);
  const problem = fixture === undefined ? undefined : await fixtureProblem(fixture);
  return problem ? { ...result, failures: [...result.failures, { property: "cluster.embedded.fixture", reason: problem }] } : result;
}

/**
 * At check, so at preview: a resource on a real cluster says at once that the cluster cannot be used
 * (no kubeconfig, a server that does not answer, a TLS handshake that fails, credentials refused),
 * naming the server and the cause, instead of at the first request of `up` or after a time limit.
 * One read-only request (who the server takes the user for); a twin is never opened at check.
 */
export async function checkClusterReachable(context: HandlerContext, result: CheckResult): Promise<CheckResult> {
  if (result.failures.length > 0) return result;
  const cluster = result.inputs.cluster as ClusterTarget | undefined;
  if (containsUnknown(cluster) || isEmbedded(cluster)) return result;
  let client: ClusterClient | undefined;
  try {
    client = await context.connect(cluster);
    await client.identity?.();
    return result;
  } catch (error) {
    return { ...result, failures: [{ property: "cluster", reason: (error as Error).message }] };
  } finally {
    await client?.close();
  }
}

/** A check result as the engine should get it (see failuresForEngine). */
export function checkResultForEngine(result: CheckResult): CheckResult {
  return { inputs: result.inputs, failures: failuresForEngine(result.failures) };
}
