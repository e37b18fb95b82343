import { dynamicProviderGuard } from "./engine-guard";
import type * as kataHandlers from "./kata/handlers";
import type { HandlerContext } from "./lifecycle/context";
import type * as mhcHandlers from "./mhc/handlers";
import type * as wiring from "./wiring/connect";

// The handlers as the Node dynamic provider host calls them. That host has no engine connection:
// progress goes to stdout, which the engine shows as the stack's messages; it passes no timeouts and
// its cancel does nothing, so each wait stops by its own limit (the resource's `timeouts` input) or
// when the engine that started the process goes away (the engine guard).
//
// Each resource's code, and the cluster backends, load on first use: a provider process that only
// checks a KataConfig's inputs loads neither MachineHealthCheck's models nor a twin nor a client.

const kata = lazy(() => require("./kata/handlers") as typeof kataHandlers);
const mhc = lazy(() => require("./mhc/handlers") as typeof mhcHandlers);
const connect: HandlerContext["connect"] = (target) => (require("./wiring/connect") as typeof wiring).connect(target);

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

function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

type KataInputs = kataHandlers.KataConfigInputs;
type KataOutputs = kataHandlers.KataConfigOutputs;
type MhcInputs = mhcHandlers.MachineHealthCheckInputs;
type MhcOutputs = mhcHandlers.MachineHealthCheckOutputs;

export const providers = {
  kataConfig: {
    check: (olds: Record<string, unknown>, news: Record<string, unknown>) => kata().check(olds, news),
    diff: (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => kata().diff(id, olds, news),
    create: tracked((inputs: KataInputs) => kata().create(context, inputs)),
    read: tracked((id: string, props: KataOutputs) => kata().read(context, id, props)),
    update: tracked((id: string, olds: KataOutputs, news: KataInputs) => kata().update(context, id, olds, news)),
    delete: tracked((id: string, props: KataOutputs) => kata().remove(context, id, props)),
  },
  machineHealthCheck: {
    check: (olds: Record<string, unknown>, news: Record<string, unknown>) => mhc().check(olds, news),
    diff: tracked((id: string, olds: MhcOutputs, news: MhcInputs) => mhc().diff(context, id, olds, news)),
    create: tracked((inputs: MhcInputs) => mhc().create(context, inputs)),
    read: tracked((id: string, props: MhcOutputs) => mhc().read(context, id, props)),
    update: tracked((id: string, olds: MhcOutputs, news: MhcInputs) => mhc().update(context, id, olds, news)),
    delete: tracked((id: string, props: MhcOutputs) => mhc().remove(context, id, props)),
  },
};
