import type { AdmissionRule } from "../../cluster/controller";
import { KATA_KIND } from "../model";

// The sandboxed containers operator's validating webhook, as the twin plays it: one KataConfig per
// cluster, refused on create only (upstream api/v1/kataconfig_webhook.go, ValidateCreate).

export const KATA_DUPLICATE_MESSAGE = "A KataConfig instance already exists, refusing to create a duplicate";

export const singleKataConfig: AdmissionRule = {
  kind: KATA_KIND,
  hook: (object, operation, store) => {
    if (operation !== "CREATE") return undefined;
    const others = store.list({ apiVersion: object.apiVersion, kind: KATA_KIND }).filter((k) => k.metadata.name !== object.metadata.name);
    return others.length > 0 ? KATA_DUPLICATE_MESSAGE : undefined;
  },
};
