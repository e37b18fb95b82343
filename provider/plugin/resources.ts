import * as kata from "../kata/handlers";
import type { HandlerContext } from "../lifecycle/context";
import type { CheckResult, DiffResult } from "../lifecycle/inputs";
import * as mhc from "../mhc/handlers";

// The resources the plugin serves, by their schema.json token, on the same handlers as the dynamic
// resources (provider/dynamic-host.ts): one implementation, two hosts.

export const PACKAGE = "cluster-runtime";

type Bag = Record<string, unknown>;

export interface PluginResource {
  /** The kind in owner keys and messages. */
  kind: string;
  check(olds: Bag, news: Bag): CheckResult;
  diff(context: HandlerContext, id: string, olds: Bag, news: Bag): Promise<DiffResult>;
  create(context: HandlerContext, inputs: Bag): Promise<{ id: string; outs: Bag }>;
  /** With empty `props`: `pulumi import` by name; the result then carries the inputs too. */
  read(context: HandlerContext, id: string, props: Bag): Promise<{ id?: string; props?: Bag; inputs?: Bag }>;
  update(context: HandlerContext, id: string, olds: Bag, news: Bag): Promise<{ outs: Bag }>;
  remove(context: HandlerContext, id: string, props: Bag): Promise<void>;
}

const kataConfig: PluginResource = {
  kind: "KataConfig",
  check: kata.check,
  diff: async (_context, id, olds, news) => kata.diff(id, olds, news),
  create: (context, inputs) => kata.create(context, inputs as kata.KataConfigInputs),
  read: (context, id, props) => kata.read(context, id, props as kata.KataConfigOutputs),
  update: (context, id, olds, news) => kata.update(context, id, olds as kata.KataConfigOutputs, news as kata.KataConfigInputs),
  remove: (context, id, props) => kata.remove(context, id, props as kata.KataConfigOutputs),
};

const machineHealthCheck: PluginResource = {
  kind: "MachineHealthCheck",
  check: mhc.check,
  diff: (context, id, olds, news) => mhc.diff(context, id, olds as mhc.MachineHealthCheckOutputs, news as mhc.MachineHealthCheckInputs),
  create: (context, inputs) => mhc.create(context, inputs as mhc.MachineHealthCheckInputs),
  read: (context, id, props) => mhc.read(context, id, props as mhc.MachineHealthCheckOutputs),
  update: (context, id, olds, news) => mhc.update(context, id, olds as mhc.MachineHealthCheckOutputs, news as mhc.MachineHealthCheckInputs),
  remove: (context, id, props) => mhc.remove(context, id, props as mhc.MachineHealthCheckOutputs),
};

export const pluginResources: Record<string, PluginResource> = {
  [`${PACKAGE}:index:KataConfig`]: kataConfig,
  [`${PACKAGE}:index:MachineHealthCheck`]: machineHealthCheck,
};
