export * from "./model";
export { deriveKataNodes, degradedNodes, kataListOf, targetConfigOf } from "./derive";
export type { DeriveKataNodesInput, DegradedNode } from "./derive";
export * from "./machine-config";
export * from "./render-step";
export * from "./operator-step";
export * from "./rollout-step";
export { validateKataConfig } from "./validate";
