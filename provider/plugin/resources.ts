import type * as kata from "../kata/handlers";
import type { HandlerContext } from "../lifecycle/context";
import type { CheckResult, DiffResult } from "../lifecycle/inputs";
import { lazy } from "../lifecycle/lazy";
import type * as mhc from "../mhc/handlers";

// The resources the plugin serves, by their schema.json token, on the same handlers as the dynamic
// resources (provider/dynamic-host.ts): one implementation, two hosts. Each resource's code loads on
// first use, and check and diff need its models only: a plugin that answers GetSchema and a check
// loads no handler, twin or client.

export const PACKAGE = "cluster-runtime";

type Bag = Record<string, unknown>;

export interface PluginResource {
  /** The kind in owner keys and messages. */
  kind: string;
  check(olds: Bag, news: Bag): Promise<CheckResult>;
  diff(context: HandlerContext, id: string, olds: Bag, news: Bag): Promise<DiffResult>;
  create(context: HandlerContext, inputs: Bag): Promise<{ id: string; outs: Bag }>;
  /** With empty `props`: `pulumi import` by name; the result then carries the inputs too. */
  read(context: HandlerContext, id: string, props: Bag): Promise<{ id?: string; props?: Bag; inputs?: Bag }>;
  update(context: HandlerContext, id: string, olds: Bag, news: Bag): Promise<{ outs: Bag }>;
  remove(context: HandlerContext, id: string, props: Bag): Promise<void>;
}

const kataInputs = lazy(() => import("../kata/check"));
const kataHandlers = lazy(() => import("../kata/handlers"));

const kataConfig: PluginResource = {
  kind: "KataConfig",
  check: async (olds, news) => (await kataInputs()).check(olds, news),
  diff: async (_context, id, olds, news) => (await kataInputs()).diff(id, olds, news),
  create: async (context, inputs) => (await kataHandlers()).create(context, inputs as kata.KataConfigInputs),
  read: async (context, id, props) => (await kataHandlers()).read(context, id, props as kata.KataConfigOutputs),
  update: async (context, id, olds, news) => (await kataHandlers()).update(context, id, olds as kata.KataConfigOutputs, news as kata.KataConfigInputs),
  remove: async (context, id, props) => (await kataHandlers()).remove(context, id, props as kata.KataConfigOutputs),
};

const mhcInputs = lazy(() => import("../mhc/check"));
const mhcHandlers = lazy(() => import("../mhc/handlers"));

const machineHealthCheck: PluginResource = {
  kind: "MachineHealthCheck",
  check: async (olds, news) => (await mhcInputs()).check(olds, news),
  diff: async (context, id, olds, news) => (await mhcHandlers()).diff(context, id, olds as mhc.MachineHealthCheckOutputs, news as mhc.MachineHealthCheckInputs),
  create: async (context, inputs) => (await mhcHandlers()).create(context, inputs as mhc.MachineHealthCheckInputs),
  read: async (context, id, props) => (await mhcHandlers()).read(context, id, props as mhc.MachineHealthCheckOutputs),
  update: async (context, id, olds, news) => (await mhcHandlers()).update(context, id, olds as mhc.MachineHealthCheckOutputs, news as mhc.MachineHealthCheckInputs),
  remove: async (context, id, props) => (await mhcHandlers()).remove(context, id, props as mhc.MachineHealthCheckOutputs),
};

export const pluginResources: Record<string, PluginResource> = {
  [`${PACKAGE}:index:KataConfig`]: kataConfig,
  [`${PACKAGE}:index:MachineHealthCheck`]: machineHealthCheck,
};
