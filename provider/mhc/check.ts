import { checkInputs, type CheckResult } from "../lifecycle/inputs";
import { validateMachineHealthCheck } from "./validate";

// What the hosts answer about a MachineHealthCheck's inputs without its cluster: check, at every
// preview. Apart from the handlers that act on a cluster (handlers.ts), so that a provider process
// that only checks loads the models and nothing more.

export function check(_olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  return checkInputs(news, validateMachineHealthCheck);
}
