export * from "./model";
export { deriveKataNodes, degradedNodes, kataListOf, targetConfigOf, transitionPending } from "./derive";
export type { DeriveKataNodesInput, DegradedNode } from "./derive";
export * from "./operator";
export * from "./rollout";
export { validateKataConfig } from "./validate";
