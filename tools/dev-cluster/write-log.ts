import { appendFileSync } from "node:fs";
import { describeRef, refOf, type ClusterClient, type ObjectRef } from "../../provider/cluster/client";

// Every write the operator makes, one JSON line each, with the wall-clock time it was sent and the time
// the API server confirmed it. The benchmark reads it to know when a status became final.

export interface WriteRecord {
  op: "apply" | "patch" | "patchStatus" | "delete";
  ref: ObjectRef;
  /** Epoch ms when the request was sent, and when its answer arrived (to the microsecond: wallClockMs). */
  sentAt: number;
  doneAt: number;
  status?: unknown;
}

/** The wall clock in epoch ms with a fraction, comparable across processes (Date.now() is whole ms). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function recordWrites(client: ClusterClient, file: string): ClusterClient {
  async function recorded<T>(op: WriteRecord["op"], ref: ObjectRef, write: () => Promise<T>, status?: unknown): Promise<T> {
    const sentAt = wallClockMs();
    const result = await write();
    const record: WriteRecord = { op, ref, sentAt, doneAt: wallClockMs(), ...(status !== undefined ? { status } : {}) };
    appendFileSync(file, `${JSON.stringify(record)}\n`);
    return result;
  }
  return {
    get description() {
      return client.description;
    },
    clock: client.clock,
    get: (ref) => client.get(ref),
    list: (ref, options) => client.list(ref, options),
    watch: (ref, onEvent) => client.watch(ref, onEvent),
    close: () => client.close(),
    apply: (object) => recorded("apply", refOf(object), () => client.apply(object)),
    patch: (ref, patch) => recorded("patch", ref, () => client.patch(ref, patch)),
    patchStatus: (ref, status) => recorded("patchStatus", ref, () => client.patchStatus(ref, status), status),
    delete: (ref) => recorded("delete", ref, () => client.delete(ref)),
  } as ClusterClient;
}

export function describeWrite(record: WriteRecord): string {
  return `${record.op} ${describeRef(record.ref)}`;
}
