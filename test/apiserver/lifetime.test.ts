import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { processesOf } from "../../tools/dev-cluster/watchdog";
import { alive, until } from "../support/processes";

// A test run that is killed never reaches its teardown: the dev cluster it started must not outlive
// it. A child process starts a dev cluster (attached, as the tests do) and is killed with SIGKILL.

describe("the dev cluster's processes", () => {
  it("stop within 10 seconds when the process that started them is killed", async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-lifetime-"));
    const repo = path.join(__dirname, "..", "..");
    const script = `
      const { DevCluster } = require(${JSON.stringify(path.join(repo, "tools", "dev-cluster", "dev-cluster.ts"))});
      DevCluster.start({ stateDir: ${JSON.stringify(stateDir)}, fixture: "fixtures/two-workers.yaml" })
        .then(() => { require("node:fs").writeFileSync(${JSON.stringify(path.join(stateDir, "started"))}, "yes"); setInterval(() => {}, 1000); });`;
    const starter = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: repo, stdio: "ignore" });
    let pids: number[] = [];
    try {
      await until("the dev cluster started", () => fs.existsSync(path.join(stateDir, "started")), 240_000);
      pids = processesOf(JSON.parse(fs.readFileSync(path.join(stateDir, "dev-cluster.json"), "utf8")));
      expect(pids.length).toBeGreaterThanOrEqual(3); // etcd, kube-apiserver, the operator
      expect(pids.every(alive)).toBe(true);

      starter.kill("SIGKILL");

      await until("every process of the dev cluster gone", () => !pids.some(alive), 10_000);
    } finally {
      starter.kill("SIGKILL");
      for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL"); // no orphan of this test either way
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }, 300_000);
});
