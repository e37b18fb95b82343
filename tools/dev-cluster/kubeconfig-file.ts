import { readFileSync, writeFileSync } from "node:fs";
import * as yaml from "yaml";
import type { ClientCertificate } from "./certs";

// A kubeconfig with the certificates embedded, so it works from any directory and can be passed
// around as a string (the resources' `cluster.kubeconfig` input). Written 0600: it is a credential.

export interface KubeconfigSpec {
  server: string;
  caCert: string;
  client: ClientCertificate;
  /** Context, cluster and user name. */
  context: string;
}

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const b64 = (path: string) => readFileSync(path).toString("base64");
  return yaml.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: spec.context, cluster: { server: spec.server, "certificate-authority-data": b64(spec.caCert) } }],
    users: [{ name: spec.context, user: { "client-certificate-data": b64(spec.client.cert), "client-key-data": b64(spec.client.key) } }],
    contexts: [{ name: spec.context, context: { cluster: spec.context, user: spec.context } }],
    "current-context": spec.context,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): void {
  writeFileSync(path, kubeconfigYaml(spec), { mode: 0o600 });
}
