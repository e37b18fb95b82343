import { dynamicProviderGuard } from "./engine-guard";
import type * as kataHandlers from "./kata/handlers";
import type { HandlerContext } from "./lifecycle/context";
import type { CheckResult } from "./lifecycle/inputs";
import { lazy } from "./lifecycle/lazy";
import type * as mhcHandlers from "./mhc/handlers";

// The handlers as the Node dynamic provider host calls them. That host has no engine connection:
// progress goes to stdout, which the engine shows as the stack's messages; it passes no timeouts and
// its cancel does nothing, so each wait stops by its own limit (the resource's `timeouts` input) or
// when the engine that started the process goes away (the engine guard). Check also proves a real
// cluster can be used, and hands the engine its failures in the form it prints safely.
//
// Each resource's code, and the cluster backends, load on first use: a provider process that only
// checks a KataConfig's inputs loads its models, and neither its handlers nor MachineHealthCheck's
// models nor a twin nor a client.

const kata = lazy(() => import("./kata/handlers"));
const mhc = lazy(() => import("./mhc/handlers"));
// Check and diff need the models only: a process that only checks (every preview) loads no more.
const kataInputs = lazy(() => import("./kata/check"));
const mhcInputs = lazy(() => import("./mhc/check"));
const reachable = lazy(() => import("./lifecycle/reachable"));
const connect: HandlerContext["connect"] = async (target) => (await import("./wiring/connect")).connect(target);

/** A check result as the engine gets it: a real cluster proved usable, failures path-first. */
async function engineCheck(result: CheckResult): Promise<CheckResult> {
  const { checkClusterReachable, checkFixture, checkResultForEngine } = await reachable();
  return checkResultForEngine(await checkClusterReachable(context, await checkFixture(result)));
}

const guard = dynamicProviderGuard();

export const dynamicHostContext: HandlerContext = {
  connect,
  progress: (resource) => ({ line: (text) => console.log(`${resource}: ${text}`) }),
  ...(guard ? { signal: guard.signal } : {}),
};

const context = dynamicHostContext;

/** A handler call the process finishes (briefly) before it exits when the engine goes away. */
function tracked<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => (guard ? guard.track(handler(...args)) : handler(...args));
}

type KataInputs = kataHandlers.KataConfigInputs;
type KataOutputs = kataHandlers.KataConfigOutputs;
type MhcInputs = mhcHandlers.MachineHealthCheckInputs;
type MhcOutputs = mhcHandlers.MachineHealthCheckOutputs;

export const providers = {
  kataConfig: {
    check: (olds: Record<string, unknown>, news: Record<string, unknown>) => kataInputs().then((inputs) => engineCheck(inputs.check(olds, news))),
    diff: (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => kataInputs().then((inputs) => inputs.diff(id, olds, news)),
    create: tracked((inputs: KataInputs) => kata().then((handlers) => handlers.create(context, inputs))),
    read: tracked((id: string, props: KataOutputs) => kata().then((handlers) => handlers.read(context, id, props))),
    update: tracked((id: string, olds: KataOutputs, news: KataInputs) => kata().then((handlers) => handlers.update(context, id, olds, news))),
    delete: tracked((id: string, props: KataOutputs) => kata().then((handlers) => handlers.remove(context, id, props))),
  },
  machineHealthCheck: {
    check: (olds: Record<string, unknown>, news: Record<string, unknown>) => mhcInputs().then((inputs) => engineCheck(inputs.check(olds, news))),
    diff: tracked((id: string, olds: MhcOutputs, news: MhcInputs) => mhc().then((handlers) => handlers.diff(context, id, olds, news))),
    create: tracked((inputs: MhcInputs) => mhc().then((handlers) => handlers.create(context, inputs))),
    read: tracked((id: string, props: MhcOutputs) => mhc().then((handlers) => handlers.read(context, id, props))),
    update: tracked((id: string, olds: MhcOutputs, news: MhcInputs) => mhc().then((handlers) => handlers.update(context, id, olds, news))),
    delete: tracked((id: string, props: MhcOutputs) => mhc().then((handlers) => handlers.remove(context, id, props))),
  },
};
