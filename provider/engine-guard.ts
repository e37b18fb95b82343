// A provider process ends when the engine that started it does. The Pulumi CLI starts plugins in
// their own process groups, so a killed CLI (a CI runner's timeout, kill -9) sends them nothing: a
// provider would go on following its wait on the cluster, or writing the twin's state file, next to
// the `up` the user runs to recover. The guard notices the engine is gone two ways, checked every
// second: this process's parent changes (it was reparented), or the engine's gRPC port refuses
// connections. Then it aborts its signal (every wait stops), gives work in flight a moment to end
// (a twin releases its lock), and exits.
//
// Loaded with `node --require` by the dynamic provider's launcher (tools/pulumi), it guards a
// process even when no handler of ours ever runs there; the provider plugin starts one itself.

export interface EngineGuard {
  /** Aborted once the engine is gone. */
  readonly signal: AbortSignal;
  /** Work the process should finish (briefly) before it exits. */
  track<T>(work: Promise<T>): Promise<T>;
  stop(): void;
}

export interface EngineGuardOptions {
  /** The engine's gRPC address ("127.0.0.1:40123"), as the engine passes it to a plugin. */
  engineAddress: string;
  intervalMs?: number;
  /** How long work in flight may take to end once the engine is gone. */
  graceMs?: number;
  /** What happens at the end (tests); default: process.exit(1). */
  exit?: () => void;
  /** Default: silent. Nobody reads a provider's stdout or stderr once its engine is gone. */
  log?: (message: string) => void;
}

export function guardEngine(options: EngineGuardOptions): EngineGuard {
  const { engineAddress, intervalMs = 1000, graceMs = 5000 } = options;
  const exit = options.exit ?? (() => process.exit(1));
  const log = options.log ?? (() => undefined);
  const aborted = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const parent = process.ppid;
  const [host, portText] = splitAddress(engineAddress);
  let checking = false;

  const gone = (why: string) => {
    if (aborted.signal.aborted) return;
    clearInterval(timer);
    log(`the Pulumi engine that started this provider (${engineAddress}) is gone (${why}): stopping`);
    aborted.abort(new Error(`the Pulumi engine is gone (${why})`));
    const grace = setTimeout(exit, graceMs);
    grace.unref();
    void Promise.allSettled([...inFlight]).then(() => {
      clearTimeout(grace);
      exit();
    });
  };

  const timer = setInterval(() => {
    if (process.ppid !== parent) return gone(`this process's parent changed from ${parent} to ${process.ppid}`);
    if (checking || !portText) return;
    checking = true;
    // Loaded at the first probe, a second after the start: not on the way to a provider's first answer.
    const net = process.getBuiltinModule("node:net");
    const socket = net.connect({ host, port: Number(portText) });
    socket.setTimeout(intervalMs * 5);
    const done = () => {
      checking = false;
      socket.destroy();
    };
    socket.once("connect", done);
    socket.once("timeout", done); // a slow engine is not a gone one
    socket.once("error", (error: NodeJS.ErrnoException) => {
      done();
      if (error.code === "ECONNREFUSED") gone("its port refuses connections");
    });
  }, intervalMs);
  timer.unref(); // the guard never keeps a process alive by itself

  return {
    signal: aborted.signal,
    track: (work) => {
      inFlight.add(work);
      const settle = () => inFlight.delete(work);
      work.then(settle, settle);
      return work;
    },
    stop: () => clearInterval(timer),
  };
}

function splitAddress(address: string): [string, string | undefined] {
  const colon = address.lastIndexOf(":");
  if (colon < 0) return [address, undefined];
  return [address.slice(0, colon).replace(/^\[|\]$/g, "") || "127.0.0.1", address.slice(colon + 1)];
}

const GUARD = Symbol.for("pulumi-cluster-runtime.engine-guard");

/**
 * The guard of this process when it is @pulumi/pulumi's dynamic provider (started by the engine with
 * its address as the first argument), made once; undefined in any other process.
 */
export function dynamicProviderGuard(): EngineGuard | undefined {
  const holder = globalThis as { [GUARD]?: EngineGuard };
  if (holder[GUARD]) return holder[GUARD];
  const script = process.argv[1] ?? "";
  const engineAddress = process.argv[2] ?? "";
  if (!/cmd[\\/]dynamic-provider([\\/]index\.js)?$/.test(script) || !/:\d+$/.test(engineAddress)) return undefined;
  holder[GUARD] = guardEngine({ engineAddress });
  return holder[GUARD];
}

// Preloaded (`node --require .../engine-guard`): guard the process from its first moment.
dynamicProviderGuard();
