// What ends the plugin besides the engine guard (provider/engine-guard.ts: its parent changes, the
// engine's port refuses connections): the engine's stdin pipe reaching its end (the engine is gone,
// even when it was killed with no chance to say so), and the engine's own shutdown (SIGINT to the
// plugin's process group, then SIGKILL after 5 s) or a SIGTERM. `onGone` runs once.

export interface LifetimeOptions {
  onGone: (reason: string) => void;
  /** Watch stdin's end (the engine's pipe); off when stdin is not a pipe from the engine. */
  watchStdin?: boolean;
}

export function watchStdinAndSignals(options: LifetimeOptions): () => void {
  let gone = false;
  const end = (reason: string) => {
    if (gone) return;
    gone = true;
    stop();
    options.onGone(reason);
  };

  const onStdinEnd = () => end("the engine closed the plugin's stdin");
  if (options.watchStdin ?? true) {
    process.stdin.on("end", onStdinEnd);
    process.stdin.on("close", onStdinEnd);
    process.stdin.on("error", onStdinEnd);
    // Read (and drop) whatever arrives, so that the end is seen; never keeps the process alive.
    process.stdin.on("data", () => undefined);
    process.stdin.resume();
    (process.stdin as { unref?: () => void }).unref?.();
  }

  const onSignal = (signal: NodeJS.Signals) => end(`${signal} from the engine`);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  function stop(): void {
    process.stdin.off("end", onStdinEnd);
    process.stdin.off("close", onStdinEnd);
    process.stdin.off("error", onStdinEnd);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return stop;
}
