import { immutableList } from "../cluster/immutable";

/**
 * Names in order (the order of Array.prototype.sort, as the status lists have it), with an immutable
 * copy for readers made once per change: a status that holds it is stored without another copy, and
 * compares with the last one by identity while the list has not changed.
 *
 * A rollout takes nodes in order, so most names leave from the front and arrive at the back: both
 * cost nothing here (the front is an offset into the array, given back now and then), whatever the
 * length of the list.
 */
export class SortedNames {
  private names: string[] = [];
  /** Where the names start in `names` (the ones before were taken from the front). */
  private head = 0;
  private copy: readonly string[] | undefined;

  get size(): number {
    return this.names.length - this.head;
  }

  add(name: string): void {
    const at = this.search(name);
    if (this.names[at] === name) return;
    if (at === this.names.length) this.names.push(name);
    else if (at === this.head && this.head > 0) this.names[--this.head] = name;
    else this.names.splice(at, 0, name);
    this.copy = undefined;
  }

  delete(name: string): void {
    const at = this.search(name);
    if (at >= this.names.length || this.names[at] !== name) return;
    if (at === this.names.length - 1) this.names.pop();
    else if (at === this.head) this.head++;
    else this.names.splice(at, 1);
    if (this.head > 64 && this.head * 2 > this.names.length) {
      this.names = this.names.slice(this.head);
      this.head = 0;
    }
    this.copy = undefined;
  }

  snapshot(): readonly string[] {
    return (this.copy ??= immutableList(this.names.slice(this.head)));
  }

  /** The first `count` names. */
  first(count: number): string[] {
    return this.names.slice(this.head, this.head + count);
  }

  /** The first place, from the head, whose name is not before `name`. */
  private search(name: string): number {
    let low = this.head;
    let high = this.names.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.names[mid]! < name) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
