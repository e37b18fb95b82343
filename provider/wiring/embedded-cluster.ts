import { TwinCluster, type TwinClusterOptions } from "../cluster/twin";
import { type OperatorTimings, simulatedOperators } from "./simulated-operators";

// The embedded cluster twin as users open it: the twin's mechanism playing the operators and webhooks
// of both resources by default.

export interface EmbeddedClusterOptions extends TwinClusterOptions {
  /**
   * The simulated operators and webhooks (default: on, with the default timings). false: a bare
   * store with Kubernetes semantics. Controllers given in `controllers` run after them.
   */
  operators?: boolean | Partial<OperatorTimings>;
}

export type EmbeddedCluster = TwinCluster;

export const EmbeddedCluster = {
  /** Open the twin (its state file if it exists, else a new one from the fixture). */
  open(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
    const { operators = true, ...rest } = options;
    if (operators === false) return TwinCluster.open(rest);
    const simulated = simulatedOperators(operators === true ? {} : operators);
    return TwinCluster.open({
      ...rest,
      controllers: [...simulated.controllers, ...(rest.controllers ?? [])],
      admission: [...simulated.admission, ...(rest.admission ?? [])],
      fixtureChecks: [...(simulated.fixtureChecks ?? []), ...(rest.fixtureChecks ?? [])],
    });
  },
};
