// Values that nobody may change: deep-frozen. The twin's store keeps such a value as it is instead of
// copying it, so that a write that changes one field of a large object (a KataConfig status holding
// thousands of node names, a node patched in one annotation) costs what changed, not the size of the
// whole. A controller can hand the store values it will never change again (a list it built once) the
// same way.
//
// The rule that makes this cheap: a frozen object or array is taken to be frozen all the way down, as
// everything frozen here is. Never hand the twin an object frozen only at the top whose insides you
// go on changing.

/** Deep-freeze `value`; parts already frozen are left as they are (and cost nothing). */
export function immutable<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) immutable(item);
    }
  } else {
    for (const key in value) {
      const item: unknown = (value as Record<string, unknown>)[key];
      if (typeof item === "object" && item !== null) immutable(item);
    }
  }
  return Object.freeze(value);
}

/** immutable() for a list of plain values (names, numbers): nothing inside needs looking at. */
export function immutableList<T extends string | number | boolean>(items: T[]): readonly T[] {
  return Object.freeze(items);
}

/**
 * An immutable copy of a JSON-like value that shares the parts already immutable (they cannot change,
 * so sharing them is the same as copying them). Anything but plain objects and arrays is cloned.
 */
export function immutableCopy<T>(value: T): T {
  return immutable(copyMutableParts(value));
}

function copyMutableParts<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyMutableParts(value[i]);
    return copy as T;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    const item = copyMutableParts((value as Record<string, unknown>)[key]);
    // A "__proto__" key (JSON.parse makes it an own property) stays a property, as structuredClone keeps it.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}
