import type * as pulumi from "@pulumi/pulumi";

// The providers the engine serializes into state. Each handler only `require`s this package's
// provider entry by name (resolved from the program's directory at run time), so the serialized
// text stays tiny, captures no clients or connections, and state written by one version of the
// package keeps working after the package is rebuilt.

type ProviderName = "kataConfig" | "machineHealthCheck";
type Method = "check" | "diff" | "create" | "read" | "update" | "delete";

function stubFor(which: ProviderName): pulumi.dynamic.ResourceProvider {
  const handler =
    (method: Method) =>
    (...args: unknown[]) =>
      require("pulumi-cluster-runtime/provider").providers[which][method](...args);
  return {
    check: handler("check"),
    diff: handler("diff"),
    create: handler("create"),
    read: handler("read"),
    update: handler("update"),
    delete: handler("delete"),
  };
}

export const kataConfigProvider = stubFor("kataConfig");
export const machineHealthCheckProvider = stubFor("machineHealthCheck");
