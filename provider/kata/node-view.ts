import type { Node } from "../k8s/core";
import { type LabelSelector, selectorMatcher } from "../k8s/labels";
import { type DerivedStatus, deriveStatus, isKataLabelled, isListedWorker } from "./derive";
import { isConvergedCluster } from "./machine-config";
import { KATA_ELIGIBLE_LABEL, KATA_NODE_ROLE_LABEL, type KataConfig, type MachineConfig, type MachineConfigPool, MASTER_ROLE_LABEL } from "./model";

// What one reconcile of the sandboxed containers operator reads from the nodes. Upstream lists every
// node on each reconcile and works it out afresh (scanNodes does the same); the twin keeps the answers
// in an index brought up to date one node change at a time (KataNodeIndex, node-index.ts), so that a
// reconcile on a cluster of thousands of nodes costs what changed. Both answer the same questions
// with the same results; test/kata/node-index.test.ts checks it on random histories.

export interface KataNodeView {
  /** checkNodeEligibility: some node has the NFD label runtime.kata=true. */
  anyEligible(): boolean;
  /**
   * updateNodeLabels (not on a compact cluster): the listed workers the kata selector matches that
   * lack the kata-oc label, and the labelled ones it no longer matches, each by name.
   */
  labelChanges(): { label: string[]; unlabel: string[] };
  /** unlabelNodes: the kata-labelled nodes of any role the kata selector matches, by name. */
  labelledMatching(): string[];
  /** updateStatus over the nodes as they are once these label changes (the operator's own) are made. */
  status(label: readonly string[], unlabel: readonly string[]): DerivedStatus;
}

export interface NodeViewInput {
  kataConfig: KataConfig;
  nodes: readonly Node[];
  pools: readonly MachineConfigPool[];
  machineConfigs: readonly MachineConfig[];
}

/** Every question answered from the whole node list, as upstream's reconcile does. */
export function scanNodes({ kataConfig, nodes, pools, machineConfigs }: NodeViewInput): KataNodeView {
  const matches = kataSelectorMatcher(kataConfig, isConvergedCluster(pools));
  return {
    anyEligible: () => nodes.some(isEligible),
    labelChanges: () => {
      const label: string[] = [];
      const unlabel: string[] = [];
      for (const node of nodes) {
        if (!isListedWorker(node)) continue;
        const matching = matches(node);
        if (matching && !isKataLabelled(node)) label.push(nameOf(node));
        if (!matching && isKataLabelled(node)) unlabel.push(nameOf(node));
      }
      return { label, unlabel };
    },
    labelledMatching: () => nodes.filter((n) => isKataLabelled(n) && matches(n)).map(nameOf),
    status: (label, unlabel) => deriveStatus({ nodes: withKataLabels(nodes, label, unlabel), pools, machineConfigs }),
  };
}

/** A node list, or a view of one: what the operator step takes. */
export function isNodeView(nodes: readonly Node[] | KataNodeView): nodes is KataNodeView {
  return !Array.isArray(nodes);
}

/** The NFD label checkNodeEligibility looks for. */
export function isEligible(node: Node): boolean {
  return node.metadata.labels?.[KATA_ELIGIBLE_LABEL] === "true";
}

/**
 * getKataConfigNodeSelectorAsLabelSelector: the user's selector (none: every worker) plus the NFD
 * label when checkNodeEligibility is set; the master role on a compact cluster, where the user's
 * selector is ignored.
 */
export function kataSelector(kataConfig: KataConfig, converged: boolean): LabelSelector {
  if (converged) return { matchLabels: { [MASTER_ROLE_LABEL]: "" } };
  const selector: LabelSelector = structuredClone(kataConfig.spec?.kataConfigPoolSelector ?? {});
  if (kataConfig.spec?.checkNodeEligibility) selector.matchLabels = { ...(selector.matchLabels ?? {}), [KATA_ELIGIBLE_LABEL]: "true" };
  return selector;
}

/** Whether a node matches the kata selector (nodeMatchesKataSelector), the selector read once. */
export function kataSelectorMatcher(kataConfig: KataConfig, converged: boolean): (node: Node) => boolean {
  const matches = selectorMatcher(kataSelector(kataConfig, converged));
  return (node) => matches(node.metadata.labels);
}

/** Nodes as they will be once the operator's label changes are applied. */
export function withKataLabels(nodes: readonly Node[], label: readonly string[], unlabel: readonly string[]): readonly Node[] {
  if (label.length + unlabel.length === 0) return nodes;
  const add = new Set(label);
  const remove = new Set(unlabel);
  return nodes.map((n) => {
    const name = nameOf(n);
    if (!add.has(name) && !remove.has(name)) return n;
    const labels = { ...(n.metadata.labels ?? {}) };
    if (add.has(name)) labels[KATA_NODE_ROLE_LABEL] = "";
    else delete labels[KATA_NODE_ROLE_LABEL];
    return { ...n, metadata: { ...n.metadata, labels } };
  });
}

export function nameOf(node: Node): string {
  return node.metadata.name ?? "";
}
