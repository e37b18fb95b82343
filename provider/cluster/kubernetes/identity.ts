import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LoadedKubeconfig } from "./kubeconfig";
import type { Transport } from "./transport";

// Who the API server takes a kubeconfig's user for, for messages ("user alice may not create
// kataconfigs"): asked with a SelfSubjectReview (authentication.k8s.io/v1, every authenticated user
// may), else read from the client certificate's subject. Never the credentials themselves.

export interface Identity {
  username: string;
  groups: string[];
  /** How it was learnt: "the API server" or "the client certificate". */
  source: string;
}

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** "user alice" or "service account apps/deployer" (with its groups other than the built-in ones). */
export function describeIdentity(who: Identity | undefined): string {
  if (!who) return "the kubeconfig's user";
  const account = SERVICE_ACCOUNT.exec(who.username);
  const groups = who.groups.filter((g) => !g.startsWith("system:authenticated") && !g.startsWith("system:serviceaccounts"));
  const named = account ? `service account ${account[1]}/${account[2]}` : `user "${who.username}"`;
  return `the kubeconfig's ${named}${groups.length ? ` (groups ${groups.join(", ")})` : ""}`;
}

/** The kubectl flag that names this identity as the subject of a RoleBinding. */
export function subjectFlag(who: Identity | undefined): string {
  if (!who) return "--user=<the kubeconfig's user>";
  const account = SERVICE_ACCOUNT.exec(who.username);
  return account ? `--serviceaccount=${account[1]}:${account[2]}` : `--user=${who.username}`;
}

/** Ask the server; fall back to the client certificate. Undefined when neither can tell. */
export async function learnIdentity(transport: Transport, kubeconfig: LoadedKubeconfig): Promise<Identity | undefined> {
  const { status, body } = await transport.request({
    method: "POST",
    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  });
  const userInfo = (body as { status?: { userInfo?: { username?: string; groups?: string[] } } } | undefined)?.status?.userInfo;
  if (status >= 200 && status < 300 && userInfo?.username) return { username: userInfo.username, groups: userInfo.groups ?? [], source: "the API server" };
  return certificateIdentity(kubeconfig);
}

/** CN (user) and O (groups) of the kubeconfig's client certificate, as the API server reads them. */
export function certificateIdentity(kubeconfig: LoadedKubeconfig): Identity | undefined {
  const user = kubeconfig.config.getCurrentUser();
  let pem: Buffer | undefined;
  try {
    if (user?.certData) pem = Buffer.from(user.certData, "base64");
    else if (user?.certFile) pem = readFileSync(user.certFile);
  } catch {
    return undefined;
  }
  if (!pem) return undefined;
  try {
    const subject = new X509Certificate(pem).subject.split("\n");
    const username = subject.find((part) => part.startsWith("CN="))?.slice(3);
    if (!username) return undefined;
    return { username, groups: subject.filter((part) => part.startsWith("O=")).map((part) => part.slice(2)), source: "the client certificate" };
  } catch {
    return undefined;
  }
}

/** What a 403's message says was refused: `User "x" cannot create resource "kataconfigs" in API group "g" ...`. */
export function parseRefusal(message: string | undefined): { username?: string; verb?: string; resource?: string; group?: string; namespace?: string } {
  if (!message) return {};
  const match = /User "([^"]*)" cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(message);
  if (!match) return {};
  return { username: match[1], verb: match[2], resource: match[3], group: match[4], ...(match[5] ? { namespace: match[5] } : {}) };
}
