import { formatGoDuration } from "../k8s/duration";
import type { KubeObject } from "../k8s/meta";
import type { ClusterClient, ObjectRef } from "../cluster/client";
import type { KindRef } from "../k8s/api-types";
import { KindMirrors } from "./kind-mirror";
import { WaitCancelledError, WaitTimeoutError } from "./errors";

// Waiting on an object until it reaches a state, driven by watch events, with a limit.
// Every event is evaluated in order (not just the latest), so progress that happens between two
// wake-ups is still reported. The object is read once; after that only the watch reports changes
// (the backends resync and relist on their own), so a long wait costs no requests of its own. What
// else the verdict depends on (other kinds) is mirrored by watches too, and a change there has the
// object judged again.

export type WaitVerdict<T> =
  | { state: "done"; value: T }
  | { state: "failed"; error: Error }
  /** recheckAfterMs: look at the object again after this long (cluster time) even if nothing changes it (a grace period, other objects). */
  | { state: "waiting"; progress: string; recheckAfterMs?: number };

export interface WaitOptions<T> {
  client: ClusterClient;
  ref: ObjectRef;
  /** What we wait for, for the timeout message: "KataConfig example-kataconfig to be installed". */
  what: string;
  limitMs: number;
  /** How often to wake without events, to check the limit (cluster time; on the twin, time moves then). */
  resyncMs?: number;
  evaluate(object: KubeObject | undefined, mirrors: KindMirrors): WaitVerdict<T> | Promise<WaitVerdict<T>>;
  /** Other kinds the verdict reads, kept in `mirrors` for the whole wait; any change of theirs is judged too. */
  mirror?: readonly KindRef[];
  /** The change to follow (apply, delete), made once the watch is in place so no transition is missed. */
  start?: (mirrors: KindMirrors) => Promise<unknown>;
  /** The engine cancelled the operation: stop waiting at once. */
  signal?: AbortSignal;
  /** Told what the wait waits for whenever that changes (a host's ephemeral status line). */
  onProgress?: (progress: string) => void;
}

export const DEFAULT_RESYNC_MS = 10_000;

export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const { client, ref, limitMs } = options;
  const clock = client.clock;
  const started = clock.now().getTime();
  const seen: Array<KubeObject | undefined> = [];
  let wake: (() => void) | undefined;
  /** A mirrored kind changed since the object was last judged. */
  let othersChanged = false;
  const watch = await client.watch(ref, (event) => {
    seen.push(event.type === "DELETED" ? undefined : event.object);
    wake?.();
  });
  let mirrors: KindMirrors;
  try {
    mirrors = await KindMirrors.open(client, options.mirror ?? [], () => {
      othersChanged = true;
      wake?.();
    });
  } catch (error) {
    watch.close();
    throw error;
  }
  const cancelled = () => new WaitCancelledError(options.what, lastProgress);
  let lastProgress = "nothing yet";
  let lastObject: KubeObject | undefined;
  let recheckAt: number | undefined;
  try {
    if (options.signal?.aborted) throw cancelled();
    await options.start?.(mirrors);
    seen.push(await client.get(ref));
    for (;;) {
      if (seen.length === 0 && othersChanged) seen.push(lastObject);
      while (seen.length > 0) {
        lastObject = seen.shift();
        othersChanged = false;
        const verdict = await options.evaluate(lastObject, mirrors);
        if (verdict.state === "done") return verdict.value;
        if (verdict.state === "failed") throw verdict.error;
        if (verdict.progress !== lastProgress) options.onProgress?.(verdict.progress);
        lastProgress = verdict.progress;
        recheckAt = verdict.recheckAfterMs === undefined ? undefined : clock.now().getTime() + verdict.recheckAfterMs;
      }
      if (options.signal?.aborted) throw cancelled();
      const remaining = started + limitMs - clock.now().getTime();
      if (remaining <= 0) throw new WaitTimeoutError(options.what, formatGoDuration(limitMs), lastProgress);
      if (othersChanged) continue; // changed while the object was judged: judge it again first
      // An event, the engine's cancel or the timer ends the sleep; the timer never outlives the wait.
      const timer = new AbortController();
      const stop = () => timer.abort();
      wake = stop;
      options.signal?.addEventListener("abort", stop, { once: true });
      // On virtual time nothing happens between the twin's wake-ups, and its sleep returns at the first
      // one that brings an event: sleep to the limit instead of in resync steps.
      let step = clock.virtual ? remaining : Math.min(options.resyncMs ?? DEFAULT_RESYNC_MS, remaining);
      if (recheckAt !== undefined) step = Math.max(0, Math.min(step, recheckAt - clock.now().getTime()));
      await clock.sleep(step, timer.signal);
      wake = undefined;
      options.signal?.removeEventListener("abort", stop);
      timer.abort();
      if (seen.length === 0 && recheckAt !== undefined && clock.now().getTime() >= recheckAt) seen.push(lastObject);
    }
  } finally {
    watch.close();
    mirrors.close();
  }
}
