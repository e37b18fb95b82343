import { checkInputs, type CheckResult, diffInputs, type DiffResult } from "../lifecycle/inputs";
import { validateKataConfig } from "./validate";

// What the hosts answer about a KataConfig's inputs without its cluster: check (at every preview) and
// diff. Apart from the handlers that act on a cluster (handlers.ts), so that a provider process that
// only checks loads the models and nothing more.

export const inputKeys = ["metadata", "spec", "timeouts"];

export function check(_olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  return checkInputs(news, validateKataConfig);
}

export function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  return diffInputs(olds, news, inputKeys, { "metadata.name": "a KataConfig cannot be renamed: the new one is created after the old one is deleted (a cluster admits one)" });
}
