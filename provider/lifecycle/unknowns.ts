import type { CheckFailure } from "./check-failures";
import { propertyPath } from "../k8s/property-path";

// During preview the dynamic provider host passes a value that is not known yet as this string
// (rpc.unknownValue). It means "not known yet": never validate it as a value.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** The value with unknowns left out, and the property paths where they were. */
export function withoutUnknowns(value: unknown, path: PropertyKey[] = []): { value: unknown; unknownPaths: string[] } {
  if (isUnknown(value)) return { value: undefined, unknownPaths: [propertyPath(path)] };
  const unknownPaths: string[] = [];
  if (Array.isArray(value)) {
    const items = value.map((item, i) => {
      const inner = withoutUnknowns(item, [...path, i]);
      unknownPaths.push(...inner.unknownPaths);
      return inner.value;
    });
    return { value: items, unknownPaths };
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const inner = withoutUnknowns(item, [...path, key]);
      unknownPaths.push(...inner.unknownPaths);
      if (inner.value !== undefined) out[key] = inner.value;
    }
    return { value: out, unknownPaths };
  }
  return { value, unknownPaths };
}

/** Drop failures that are about a value not known yet (at, inside or around an unknown path). */
export function dropFailuresOnUnknowns(failures: CheckFailure[], unknownPaths: string[]): CheckFailure[] {
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return failures.filter((f) => !unknownPaths.some((u) => related(f.property, u) || related(u, f.property)));
}
