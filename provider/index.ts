// The provider entry ("pulumi-cluster-runtime/provider"): what the serialized dynamic providers
// `require` by package name. It loads the handlers only; the Kubernetes client is loaded when a
// resource targets a real cluster.

export { providers } from "./dynamic-host";
