import { dynamicProviderGuard } from "./engine-guard";
import type { HandlerContext } from "./lifecycle/context";
import * as kata from "./kata/handlers";
import { checkClusterReachable, checkResultForEngine } from "./lifecycle/reachable";
import * as mhc from "./mhc/handlers";
import { connect } from "./wiring/connect";

// The handlers as the Node dynamic provider host calls them. That host has no engine connection:
// progress goes to stdout, which the engine shows as the stack's messages; it passes no timeouts and
// its cancel does nothing, so each wait stops by its own limit (the resource's `timeouts` input) or
// when the engine that started the process goes away (the engine guard). Check also proves a real
// cluster can be used, and hands the engine its failures in the form it prints safely.

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

export const providers = {
  kataConfig: {
    check: async (olds: Record<string, unknown>, news: Record<string, unknown>) => checkResultForEngine(await checkClusterReachable(context, kata.check(olds, news))),
    diff: kata.diff,
    create: tracked((inputs: kata.KataConfigInputs) => kata.create(context, inputs)),
    read: tracked((id: string, props: kata.KataConfigOutputs) => kata.read(context, id, props)),
    update: tracked((id: string, olds: kata.KataConfigOutputs, news: kata.KataConfigInputs) => kata.update(context, id, olds, news)),
    delete: tracked((id: string, props: kata.KataConfigOutputs) => kata.remove(context, id, props)),
  },
  machineHealthCheck: {
    check: async (olds: Record<string, unknown>, news: Record<string, unknown>) => checkResultForEngine(await checkClusterReachable(context, mhc.check(olds, news))),
    diff: tracked((id: string, olds: mhc.MachineHealthCheckOutputs, news: mhc.MachineHealthCheckInputs) => mhc.diff(context, id, olds, news)),
    create: tracked((inputs: mhc.MachineHealthCheckInputs) => mhc.create(context, inputs)),
    read: tracked((id: string, props: mhc.MachineHealthCheckOutputs) => mhc.read(context, id, props)),
    update: tracked((id: string, olds: mhc.MachineHealthCheckOutputs, news: mhc.MachineHealthCheckInputs) => mhc.update(context, id, olds, news)),
    delete: tracked((id: string, props: mhc.MachineHealthCheckOutputs) => mhc.remove(context, id, props)),
  },
};
