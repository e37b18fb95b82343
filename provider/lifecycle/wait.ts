import { formatGoDuration } from "../k8s/duration";
import type { KubeObject } from "../k8s/meta";
import type { ClusterClient, ObjectRef } from "../cluster/client";
import { WaitTimeoutError } from "./errors";

// Waiting on an object until it reaches a state, driven by watch events, with a limit.
// Every event is evaluated in order (not just the latest), so progress that happens between two
// wake-ups is still reported. The object is read once; after that only the watch reports changes
// (the backends resync and relist on their own), so a long wait costs no requests of its own.

export type WaitVerdict<T> =
  | { state: "done"; value: T }
  | { state: "failed"; error: Error }
  | { state: "waiting"; progress: string };

export interface WaitOptions<T> {
  client: ClusterClient;
  ref: ObjectRef;
  /** What we wait for, for the timeout message: "KataConfig example-kataconfig to be installed". */
  what: string;
  limitMs: number;
  /** How often to wake without events, to check the limit (cluster time; on the twin, time moves then). */
  resyncMs?: number;
  evaluate(object: KubeObject | undefined): WaitVerdict<T> | Promise<WaitVerdict<T>>;
  /** The change to follow (apply, delete), made once the watch is in place so no transition is missed. */
  start?: () => Promise<unknown>;
}

export const DEFAULT_RESYNC_MS = 10_000;

export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const { client, ref, limitMs } = options;
  const clock = client.clock;
  const started = clock.now().getTime();
  const seen: Array<KubeObject | undefined> = [];
  let wake: (() => void) | undefined;
  const watch = await client.watch(ref, (event) => {
    seen.push(event.type === "DELETED" ? undefined : event.object);
    wake?.();
  });
  try {
    await options.start?.();
    seen.push(await client.get(ref));
    let lastProgress = "nothing yet";
    for (;;) {
      while (seen.length > 0) {
        const verdict = await options.evaluate(seen.shift());
        if (verdict.state === "done") return verdict.value;
        if (verdict.state === "failed") throw verdict.error;
        lastProgress = verdict.progress;
      }
      const remaining = started + limitMs - clock.now().getTime();
      if (remaining <= 0) throw new WaitTimeoutError(options.what, formatGoDuration(limitMs), lastProgress);
      const woken = new Promise<"event">((resolve) => (wake = () => resolve("event")));
      const timer = new AbortController();
      const slept = clock.sleep(Math.min(options.resyncMs ?? DEFAULT_RESYNC_MS, remaining), timer.signal).then(() => "timer" as const);
      await Promise.race([woken, slept]);
      wake = undefined;
      timer.abort(); // an event came first: no timer may keep the process alive after the wait
    }
  } finally {
    watch.close();
  }
}
