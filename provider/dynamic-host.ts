import type { HandlerContext } from "./lifecycle/context";
import * as kata from "./kata/handlers";
import * as mhc from "./mhc/handlers";
import { connect } from "./wiring/connect";

// The handlers as the Node dynamic provider host calls them. That host has no engine connection:
// progress goes to stdout, which the engine shows as the stack's messages; it passes no timeouts and
// cannot cancel, so each wait stops by its own limit (the resource's `timeouts` input).

export const dynamicHostContext: HandlerContext = {
  connect,
  progress: (resource) => ({ line: (text) => console.log(`${resource}: ${text}`) }),
};

const context = dynamicHostContext;

export const providers = {
  kataConfig: {
    check: kata.check,
    diff: kata.diff,
    create: (inputs: kata.KataConfigInputs) => kata.create(context, inputs),
    read: (id: string, props: kata.KataConfigOutputs) => kata.read(context, id, props),
    update: (id: string, olds: kata.KataConfigOutputs, news: kata.KataConfigInputs) => kata.update(context, id, olds, news),
    delete: (id: string, props: kata.KataConfigOutputs) => kata.remove(context, id, props),
  },
  machineHealthCheck: {
    check: mhc.check,
    diff: (id: string, olds: mhc.MachineHealthCheckOutputs, news: mhc.MachineHealthCheckInputs) => mhc.diff(context, id, olds, news),
    create: (inputs: mhc.MachineHealthCheckInputs) => mhc.create(context, inputs),
    read: (id: string, props: mhc.MachineHealthCheckOutputs) => mhc.read(context, id, props),
    update: (id: string, olds: mhc.MachineHealthCheckOutputs, news: mhc.MachineHealthCheckInputs) => mhc.update(context, id, olds, news),
    delete: (id: string, props: mhc.MachineHealthCheckOutputs) => mhc.remove(context, id, props),
  },
};
