#!/usr/bin/env node
// pulumi-resource-cluster-runtime: the provider plugin that serves schema.json (KataConfig and
// MachineHealthCheck) to every Pulumi language. The engine starts it with its own gRPC address as
// the argument (after optional --logtostderr, -v=N, --tracing <endpoint>), reads the port printed on
// stdout, and talks gRPC to it. It ends with the engine: the engine guard, stdin's end, the engine's
// signals, or its log service unreachable; every wait in progress is stopped first.

import { guardEngine } from "../engine-guard";
import { watchStdinAndSignals } from "./lifetime";
import { grpc, providerRpc } from "./rpc";
import { ProviderPlugin } from "./server";

/** How long the waits in progress get to stop by themselves once the engine is gone. */
const SHUTDOWN_GRACE_MS = 3000;

export function engineAddressOf(args: string[]): string | undefined {
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--tracing") i++;
    else if (arg === "--logtostderr" || arg.startsWith("-v=")) continue;
    else positional.push(arg);
  }
  return positional[0];
}

export async function main(args: string[]): Promise<void> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  const engineAddress = engineAddressOf(args);
  const plugin = new ProviderPlugin({ engineAddress, onEngineUnreachable: (reason) => leave(reason) });
  // The engine guard notices a killed engine (this process re-parented, the engine's port closed);
  // it only tells: leave() stops the waits and ends the process.
  const guard = engineAddress ? guardEngine({ engineAddress, exit: () => undefined }) : undefined;
  guard?.signal.addEventListener("abort", () => leave(String((guard.signal.reason as Error | undefined)?.message)));
  const stopWatching = watchStdinAndSignals({ onGone: (reason) => leave(reason), watchStdin: !process.stdin.isTTY });
  let leaving = false;
  function leave(reason: string): void {
    if (leaving) return;
    leaving = true;
    stopWatching();
    guard?.stop();
    plugin.cancelAll(`stopped: ${reason}`);
    server.forceShutdown();
    plugin.close();
    // Waits stop at once on the abort; give their clean-up (closing a twin, a watch) a moment.
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    setInterval(() => {
      if (plugin.inFlight === 0 || Date.now() > deadline) process.exit(0);
    }, 50).unref();
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  }

  server.addService(providerRpc.ResourceProviderService, plugin.service());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  // The engine reads this one line to connect.
  process.stdout.write(`${port}\n`);
}

/** The process's entry (bin/plugin/main.js): main, and a failure to start said on stderr. */
export function start(args: string[]): void {
  main(args).catch((error: unknown) => {
    process.stderr.write(`pulumi-resource-cluster-runtime: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}

if (require.main === module) start(process.argv.slice(2));
