import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { join } from "node:path";
import type { KubeBinaries } from "./binaries";
import type { ClientCertificate, Pki } from "./certs";
import { isAlive, spawnLogged, waitUntil } from "./processes";

// etcd and kube-apiserver on loopback, with the flags tools/kube/smoke.sh proved (the way
// controller-runtime's envtest runs them). No controller-manager, scheduler or kubelet.

export interface ControlPlaneLayout {
  stateDir: string;
  binaries: KubeBinaries;
  pki: Pki;
  admin: ClientCertificate;
  etcdPort: number;
  apiPort: number;
  detached: boolean;
}

export function etcdLog(layout: ControlPlaneLayout): string {
  return join(layout.stateDir, "etcd.log");
}

export function apiServerLog(layout: ControlPlaneLayout): string {
  return join(layout.stateDir, "kube-apiserver.log");
}

export async function startEtcd(layout: ControlPlaneLayout): Promise<number> {
  const url = `http://127.0.0.1:${layout.etcdPort}`;
  const pid = spawnLogged(
    layout.binaries.etcd,
    [
      "--name=dev",
      `--data-dir=${join(layout.stateDir, "etcd-data")}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      "--listen-peer-urls=http://127.0.0.1:0", // required, never used by a single member
      "--initial-advertise-peer-urls=http://127.0.0.1:2380",
      "--initial-cluster=dev=http://127.0.0.1:2380",
      "--unsafe-no-fsync=true", // throwaway data; much faster on slow disks (envtest does the same)
      "--log-level=warn",
    ],
    { logFile: etcdLog(layout), detached: layout.detached },
  );
  await waitUntil("etcd", () => etcdHealthy(layout.etcdPort), { timeoutMs: 60_000, alive: () => isAlive(pid), logFile: etcdLog(layout) });
  return pid;
}

export async function startApiServer(layout: ControlPlaneLayout): Promise<number> {
  const { pki, apiPort } = layout;
  const pid = spawnLogged(
    layout.binaries.apiserver,
    [
      `--etcd-servers=http://127.0.0.1:${layout.etcdPort}`,
      `--cert-dir=${pki.servingDir}`,
      `--secure-port=${apiPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--service-cluster-ip-range=10.0.0.0/24",
      `--service-account-issuer=https://127.0.0.1:${apiPort}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=RBAC",
      "--disable-admission-plugins=ServiceAccount",
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
    ],
    { logFile: apiServerLog(layout), detached: layout.detached },
  );
  await waitUntil("kube-apiserver", () => apiServerReady(layout), { timeoutMs: 240_000, alive: () => isAlive(pid), logFile: apiServerLog(layout) });
  return pid;
}

export function apiServerUrl(layout: Pick<ControlPlaneLayout, "apiPort">): string {
  return `https://127.0.0.1:${layout.apiPort}`;
}

function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: "/health", timeout: 2000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(body.includes('"health":"true"')));
    });
    request.on("error", () => resolve(false));
    request.on("timeout", () => request.destroy());
  });
}

export function apiServerReady(layout: Pick<ControlPlaneLayout, "apiPort" | "pki" | "admin">): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(
      {
        host: "127.0.0.1",
        port: layout.apiPort,
        path: "/readyz",
        ca: readFileSync(layout.pki.caCert),
        cert: readFileSync(layout.admin.cert),
        key: readFileSync(layout.admin.key),
        timeout: 5000,
        agent: false,
      },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve(response.statusCode === 200 && body.trim() === "ok"));
      },
    );
    request.on("error", () => resolve(false));
    request.on("timeout", () => request.destroy());
  });
}
