import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import * as z from "zod";
import { describeRef, refOf } from "../client";
import { goDurationSchema, parseGoDuration } from "../../k8s/duration";
import { toKubeTime, type KubeObject } from "../../k8s/meta";
import { formatIssues } from "../../k8s/property-path";
import { ClusterError } from "../errors";
import { actionsShape, exactlyOneAction, objectDocumentSchema, type ScheduleAction, type Schedule } from "./schedule";
import type { ObjectStore } from "./store";

// Fixtures: the cluster a twin starts from, as a multi-document YAML file of ordinary Kubernetes
// objects plus optional Schedule documents of timed events. Errors name the file, the document
// (counted from 1) with its line, and the field.

export const scheduleApiVersion = "twin.pulumi-cluster-runtime.dev/v1";

export interface FixtureObject {
  object: KubeObject;
  /** "fixtures/x.yaml: document 3 (line 40, Node worker-0)", for errors. */
  where: string;
}

export interface FixtureEvent {
  /** Milliseconds after the fixture is loaded. */
  afterMs: number;
  action: ScheduleAction;
  /** "fixtures/x.yaml document 9 events[2]" */
  source: string;
}

export interface Fixture {
  source: string;
  objects: FixtureObject[];
  events: FixtureEvent[];
}

export class FixtureError extends Error {
  override readonly name = "FixtureError";
}

// YAML reads an unquoted 90 as a number: say so before the duration rule.
const goDuration = z
  .string({ error: "must be a Go duration such as 0s, 90s, 6m or 1h30m (a bare number is not one)" })
  .pipe(goDurationSchema())
  .transform((text) => parseGoDuration(text)!);

const fixtureEventSchema = z.strictObject({ at: goDuration, ...actionsShape }).superRefine(exactlyOneAction);

const scheduleDocumentSchema = z.strictObject({
  apiVersion: z.literal(scheduleApiVersion),
  kind: z.literal("Schedule", { error: `the only kind in ${scheduleApiVersion} is Schedule` }),
  metadata: z.looseObject({ name: z.string().optional() }).optional(),
  events: z.array(fixtureEventSchema),
});

export function parseFixture(text: string, source: string): Fixture {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  const fixture: Fixture = { source, objects: [], events: [] };
  if (!Array.isArray(documents)) return fixture; // an empty file: an empty cluster
  documents.forEach((document, i) => {
    const line = lineCounter.linePos(document.contents?.range[0] ?? document.range[0]).line;
    const label = (what?: string) => `${source}: document ${i + 1} (line ${line}${what ? `, ${what}` : ""})`;
    const where = label();
    const syntax = document.errors[0];
    if (syntax) throw new FixtureError(`${where}: ${syntax.message.split("\n")[0]}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return; // a stray "---"
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new FixtureError(`${where}: must be a mapping (a Kubernetes object, or a ${scheduleApiVersion} Schedule)`);
    }
    if ((value as { apiVersion?: unknown }).apiVersion === scheduleApiVersion) {
      const parsed = scheduleDocumentSchema.safeParse(value);
      if (!parsed.success) throw new FixtureError(`${where}, Schedule: ${formatIssues(parsed.error)}`);
      parsed.data.events.forEach(({ at, ...action }, j) => {
        fixture.events.push({ afterMs: at, action, source: `${source} document ${i + 1} events[${j}]` });
      });
      return;
    }
    const parsed = objectDocumentSchema.safeParse(value);
    if (!parsed.success) throw new FixtureError(`${where}: ${formatIssues(parsed.error)}`);
    const object = parsed.data as KubeObject;
    fixture.objects.push({ object, where: label(describeRef(refOf(object))) });
  });
  return fixture;
}

/** A path to a YAML file, or the name of a fixture shipped with the package ("two-workers"). */
export function readFixture(pathOrName: string): Fixture {
  const path = isBundledName(pathOrName) ? bundledFixturePath(pathOrName) : pathOrName;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(error as Error).message})`;
    throw new FixtureError(`fixture file ${path} ${reason}`);
  }
  return parseFixture(text, path);
}

export function bundledFixturePath(name: string): string {
  const dir = bundledFixturesDir();
  const path = join(dir, `${name}.yaml`);
  if (existsSync(path)) return path;
  const known = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length));
  throw new FixtureError(`no bundled twin fixture named "${name}": the bundled ones are ${known.join(", ")} (give a path with a slash or a .yaml extension for your own)`);
}

/**
 * Put the fixture into a store as loaded at `loadTime`: objects get creationTimestamp and condition
 * lastTransitionTimes of the load time unless given, owner references naming an object of the fixture
 * get its uid, and the events join the schedule at load time + at.
 */
export function seedFixture(store: ObjectStore, schedule: Schedule, fixture: Fixture, loadTime: Date): void {
  const time = toKubeTime(loadTime);
  const uids = new Map<string, string>();
  const prepared = fixture.objects.map(({ object, where }) => {
    const copy = structuredClone(object);
    copy.metadata.uid ??= randomUUID();
    copy.metadata.creationTimestamp ??= time;
    fillTransitionTimes(copy, time);
    uids.set(identity(copy.apiVersion, copy.kind, copy.metadata.namespace, copy.metadata.name), copy.metadata.uid);
    return { object: copy, where };
  });
  for (const { object, where } of prepared) {
    object.metadata.ownerReferences?.forEach((owner, k) => {
      if (owner.uid !== undefined) return;
      const uid =
        uids.get(identity(owner.apiVersion, owner.kind, object.metadata.namespace, owner.name)) ??
        uids.get(identity(owner.apiVersion, owner.kind, undefined, owner.name));
      if (!uid) {
        throw new FixtureError(
          `${where}: metadata.ownerReferences[${k}] names ${owner.kind} ${owner.name} (${owner.apiVersion}), which is not in the fixture: add it, or give the reference a uid`,
        );
      }
      owner.uid = uid;
    });
    try {
      store.create(object, { seed: true });
    } catch (error) {
      if (error instanceof ClusterError) throw new FixtureError(`${where}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  schedule.add(
    fixture.events.map(({ afterMs, action, source }) => ({
      at: new Date(loadTime.getTime() + afterMs).toISOString(),
      source,
      ...action,
    })),
  );
}

function identity(apiVersion: string, kind: string, namespace: string | undefined, name: string | undefined): string {
  return `${apiVersion}|${kind}|${namespace ?? ""}|${name ?? ""}`;
}

function fillTransitionTimes(object: KubeObject, time: string): void {
  const status = object.status as { conditions?: unknown } | undefined;
  if (!status || !Array.isArray(status.conditions)) return;
  for (const condition of status.conditions as Record<string, unknown>[]) {
    if (typeof condition === "object" && condition !== null) condition.lastTransitionTime ??= time;
  }
}

function isBundledName(text: string): boolean {
  return /^[a-z0-9][a-z0-9-]*$/.test(text);
}

/** The package's fixtures directory, found from this file both in the source tree and in bin/. */
function bundledFixturesDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "fixtures"))) return join(dir, "fixtures");
    if (dirname(dir) === dir) throw new FixtureError(`the bundled twin fixtures directory was not found above ${__dirname}`);
  }
}
