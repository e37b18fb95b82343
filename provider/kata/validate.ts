import { type Validated, validate } from "../lifecycle/check-failures";
import { type KataConfigDeclaration, kataConfigDeclarationSchema, kataConfigSpecSchema } from "./model";

const knownFields = {
  "": ["metadata", "spec", "cluster", "timeouts"],
  metadata: ["name", "labels", "annotations"],
  spec: Object.keys(kataConfigSpecSchema.shape),
};

/** Check a declared KataConfig (metadata + spec) and report every broken rule with its property path. */
export function validateKataConfig(input: unknown): Validated<KataConfigDeclaration> {
  return validate(kataConfigDeclarationSchema, input, { knownFields });
}
