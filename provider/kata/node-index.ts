import type { Node } from "../k8s/core";
import {
  type DegradedNode,
  type DerivedStatus,
  deriveStatus,
  isKataLabelled,
  isListedWorker,
  isWorker,
  kataNodeLabel,
  type Placement,
  placementOf,
  placeNode,
} from "./derive";
import { type KataConfig, type KataNodeList, kataNodeLists, type KataNodes, type MachineConfig, type MachineConfigPool, MCO_REASON, MCO_STATE } from "./model";
import { isEligible, type KataNodeView, kataSelectorMatcher, nameOf, withKataLabels } from "./node-view";
import { SortedNames } from "./sorted-names";

// The operator's view of the nodes (KataNodeView) kept up to date one node change at a time, for the
// twin: what upstream's reconcile works out from every node (updateStatus, putNodeOnStatusList,
// updateNodeLabels, unlabelNodes, checkNodeEligibility) is held here as counts and sorted name lists,
// and each node change moves the node from the lists it was in to the ones it is in now. Everything
// that decides where a node goes besides the node itself (the kata selector, the pools' targets,
// whether the cluster is compact) is the index's basis: when it changes, every node is placed again.
// The answers are those of scanNodes on the same nodes; test/kata/node-index.test.ts checks it.

/** What the index knows of one node: where it counts. */
interface NodeFacts {
  node: Node;
  /** A listed worker (node-role.kubernetes.io/worker=""), the only nodes the status lists hold. */
  listed: boolean;
  labelled: boolean;
  matches: boolean;
  eligible: boolean;
  /** Carries the kata node label (kata-oc; master when compact) with an empty value: nodeCount. */
  counted: boolean;
  list?: KataNodeList;
  /** For a worker (any value of the role label): its share of the event handlers' digest. */
  digest?: [number, number];
}

export class KataNodeIndex implements KataNodeView {
  private basis: string | undefined;
  private matches: (node: Node) => boolean = () => false;
  private placement: Placement = { converged: false };
  private countLabel = kataNodeLabel(false);
  private pools: readonly MachineConfigPool[] = [];
  private machineConfigs: readonly MachineConfig[] = [];

  private readonly facts = new Map<string, NodeFacts>();
  private eligible = 0;
  private counted = 0;
  private readonly toLabel = new SortedNames();
  private readonly toUnlabel = new SortedNames();
  private readonly labelled = new SortedNames();
  private readonly lists = new Map<KataNodeList, SortedNames>(kataNodeLists.map((list) => [list, new SortedNames()]));
  private workers = 0;
  private digest: [number, number] = [0, 0];

  /**
   * What the answers depend on besides the nodes: the KataConfig's selector, the pools and (on a
   * compact cluster) the rendered MachineConfigs. When that changed, every node is placed again.
   */
  rebase(kataConfig: KataConfig, pools: readonly MachineConfigPool[], machineConfigs: readonly MachineConfig[], nodes: Iterable<Node>): void {
    this.pools = pools;
    this.machineConfigs = machineConfigs;
    const placement = placementOf(pools, machineConfigs);
    // What kataSelector reads, and the placement (which says whether the cluster is compact).
    const basis = JSON.stringify([kataConfig.spec?.kataConfigPoolSelector ?? null, kataConfig.spec?.checkNodeEligibility ?? false, placement]);
    if (basis === this.basis) return;
    this.basis = basis;
    this.placement = placement;
    this.matches = kataSelectorMatcher(kataConfig, placement.converged);
    this.countLabel = kataNodeLabel(placement.converged);
    for (const [name, facts] of [...this.facts]) {
      this.facts.delete(name);
      this.move(name, facts, undefined);
    }
    for (const node of nodes) this.update(undefined, node);
  }

  /** A node created (before undefined), changed, or deleted (after undefined). */
  update(before: Node | undefined, after: Node | undefined): void {
    const name = nameOf((after ?? before)!);
    const was = this.facts.get(name);
    const now = after && this.factsOf(after);
    if (now) this.facts.set(name, now);
    else this.facts.delete(name);
    this.move(name, was, now);
  }

  anyEligible(): boolean {
    return this.eligible > 0;
  }

  labelChanges(): { label: string[]; unlabel: string[] } {
    return { label: [...this.toLabel.snapshot()], unlabel: [...this.toUnlabel.snapshot()] };
  }

  labelledMatching(): string[] {
    return [...this.labelled.snapshot()];
  }

  status(label: readonly string[], unlabel: readonly string[]): DerivedStatus {
    if (label.length + unlabel.length > 0) {
      // The operator's own label changes, just made (all the workers at the start of an install or a
      // removal): work it out from every node, as upstream does.
      const nodes = [...this.facts.values()].map((f) => f.node).sort((a, b) => compareNames(nameOf(a), nameOf(b)));
      return deriveStatus({ nodes: withKataLabels(nodes, label, unlabel), pools: this.pools, machineConfigs: this.machineConfigs });
    }
    const kataNodes: KataNodes = { nodeCount: this.counted, readyNodeCount: this.lists.get("installed")!.size };
    for (const list of kataNodeLists) {
      const names = this.lists.get(list)!;
      if (names.size > 0) kataNodes[list] = names.snapshot() as string[];
    }
    return { kataNodes, degraded: this.degraded() };
  }

  /**
   * A digest of what the operator's node event handler looks at on every worker (its daemon state,
   * and whether the kata selector matches it): the twin's simulated operator compares it with the one
   * at the last reconcile to decide whether a node event happened since. A sum of per-node hashes, so
   * that a node change updates it; the node's name is in its hash, so a node created or deleted
   * changes it too.
   */
  eventDigest(): string {
    return `${this.workers}:${this.digest[0]}:${this.digest[1]}`;
  }

  private factsOf(node: Node): NodeFacts {
    const listed = isListedWorker(node);
    const matches = this.matches(node);
    return {
      node,
      listed,
      labelled: isKataLabelled(node),
      matches,
      eligible: isEligible(node),
      counted: node.metadata.labels?.[this.countLabel] === "",
      ...(listed ? { list: placeNode(node, this.placement) } : {}),
      ...(isWorker(node) ? { digest: workerDigest(nameOf(node), node.metadata.annotations?.[MCO_STATE], matches) } : {}),
    };
  }

  /** Move a node from where it counted (was) to where it counts now; a list it stays in is left as it is. */
  private move(name: string, was: NodeFacts | undefined, now: NodeFacts | undefined): void {
    const member = (names: SortedNames, before: boolean, after: boolean) => {
      if (before === after) return;
      if (after) names.add(name);
      else names.delete(name);
    };
    const flag = (facts: NodeFacts | undefined, of: (f: NodeFacts) => boolean) => (facts ? of(facts) : false);
    this.eligible += Number(flag(now, (f) => f.eligible)) - Number(flag(was, (f) => f.eligible));
    this.counted += Number(flag(now, (f) => f.counted)) - Number(flag(was, (f) => f.counted));
    const toLabel = (f: NodeFacts) => f.listed && f.matches && !f.labelled;
    const toUnlabel = (f: NodeFacts) => f.listed && !f.matches && f.labelled;
    const labelled = (f: NodeFacts) => f.labelled && f.matches;
    member(this.toLabel, flag(was, toLabel), flag(now, toLabel));
    member(this.toUnlabel, flag(was, toUnlabel), flag(now, toUnlabel));
    member(this.labelled, flag(was, labelled), flag(now, labelled));
    if (was?.list !== now?.list) {
      if (was?.list) this.lists.get(was.list)!.delete(name);
      if (now?.list) this.lists.get(now.list)!.add(name);
    }
    for (const [facts, sign] of [[was, -1], [now, 1]] as const) {
      if (!facts?.digest) continue;
      this.workers += sign;
      this.digest = [(this.digest[0] + sign * facts.digest[0]) >>> 0, (this.digest[1] + sign * facts.digest[1]) >>> 0];
    }
  }

  /** The Degraded nodes of the two failed lists, by name, as deriveStatus lists them. */
  private degraded(): DegradedNode[] {
    const installing = this.lists.get("failedToInstall")!.snapshot();
    const removing = this.lists.get("failedToUninstall")!.snapshot();
    if (installing.length + removing.length === 0) return [];
    const reason = (name: string) => this.facts.get(name)?.node.metadata.annotations?.[MCO_REASON] ?? "";
    const degraded: DegradedNode[] = [];
    let i = 0;
    let j = 0;
    while (i < installing.length || j < removing.length) {
      const fromInstalling = j >= removing.length || (i < installing.length && installing[i]! < removing[j]!);
      const name = fromInstalling ? installing[i++]! : removing[j++]!;
      degraded.push({ name, reason: reason(name), installing: fromInstalling });
    }
    return degraded;
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Two independent 32-bit hashes of a worker's name, daemon state and selector match, each mixed so
 * that every input bit moves every output bit: the digest adds them up, and FNV-1a alone changes by
 * the same amount, one way or the other, when the last character does (two nodes whose match flips
 * in opposite ways would cancel out).
 */
function workerDigest(name: string, state: string | undefined, matches: boolean): [number, number] {
  const text = `${name}\u0000${stateLetter(state)}${matches ? "1" : "0"}`;
  return [mix(fnv1a(text)), mix(fnv1a(text, 0x01234567))];
}

/** MurmurHash3's finalizer (fmix32). */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The daemon states the event handler tells apart (any other counts as one "unknown" state). */
function stateLetter(state: string | undefined): string {
  switch (state) {
    case "Done":
      return "D";
    case "Working":
      return "W";
    case "Degraded":
      return "G";
    case "Unreconcilable":
      return "U";
    case undefined:
      return "-";
    default:
      return "?";
  }
}

/** 32-bit FNV-1a (with another offset basis for a second, independent hash). */
function fnv1a(text: string, basis = 0x811c9dc5): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
