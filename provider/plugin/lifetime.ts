// The plugin lives as long as the engine that started it. The engine gives the plugin a stdin pipe
// and is its parent: stdin reaching its end, or the parent changing (the engine died and the plugin
// was re-parented), mean the engine is gone, even when it was killed with no chance to say so. The
// engine's own shutdown (SIGINT to the plugin's process group, then SIGKILL after 5 s) and SIGTERM
// end it too. Whatever the cause, `onGone` runs once.

export interface LifetimeOptions {
  onGone: (reason: string) => void;
  /** How often to look at the parent process (ms). */
  pollMs?: number;
  /** Watch stdin's end (the engine's pipe); off when stdin is not a pipe from the engine. */
  watchStdin?: boolean;
}

export function watchEngine(options: LifetimeOptions): () => void {
  let gone = false;
  const end = (reason: string) => {
    if (gone) return;
    gone = true;
    stop();
    options.onGone(reason);
  };

  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) end(`the engine (process ${parent}) is gone`);
  }, options.pollMs ?? 1000);
  timer.unref();

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
    clearInterval(timer);
    process.stdin.off("end", onStdinEnd);
    process.stdin.off("close", onStdinEnd);
    process.stdin.off("error", onStdinEnd);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return stop;
}
