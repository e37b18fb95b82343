import { readFileSync } from "node:fs";
import * as net from "node:net";

// Free loopback ports for etcd and the API server. Taken below the kernel's ephemeral range (as
// tools/kube/smoke.sh does): the API server's own outgoing connections to etcd use ephemeral ports,
// and one of them must not land on the port the API server binds again after a restart.

export async function freePort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  const low = ephemeralLow();
  for (let i = 0; i < 200; i++) {
    const port = 15000 + Math.floor(Math.random() * (low - 15000));
    if (!avoid.has(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free loopback port between 15000 and ${low}`);
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return low > 20000 ? low : 32768;
  } catch {
    return 32768;
  }
}

export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}
