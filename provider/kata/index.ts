export * from "./model";
export { deriveKataNodes, degradedNodes, kataListOf, targetConfigOf, transitionPending } from "./derive";
export type { DeriveKataNodesInput, DegradedNode } from "./derive";
export * from "./operator-step";
export * from "./rollout-step";
export { validateKataConfig } from "./validate";
