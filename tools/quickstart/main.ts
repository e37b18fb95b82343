import * as path from "node:path";
import { pulumi, repoRoot, selectStack, workspace } from "../engine";

// `npm start`: the quickstart (examples/quickstart through the root Pulumi.yaml) with the real
// Pulumi engine on the embedded twin. `npm run destroy` removes it all; `npm run pulumi -- <args>`
// runs any other pulumi command on the same stack. State lives in .state/.

const STACK = "quickstart";

async function main(command: string, args: string[]): Promise<void> {
  const ws = workspace(repoRoot, path.join(repoRoot, ".state", "pulumi"));
  await selectStack(ws, STACK);
  if (command === "pulumi") {
    const result = await pulumi(ws, args, { echo: true, allowFailure: true });
    process.exitCode = result.code;
    return;
  }
  if (command === "destroy") {
    await pulumi(ws, ["destroy", "--yes", "--skip-preview=false"], { echo: true });
    return;
  }
  console.log("Quickstart on the embedded cluster twin. Its time runs 60 times faster than the wall clock:");
  console.log("a node update takes 5 minutes of twin time, 5 seconds here.\n");
  await pulumi(ws, ["up", "--yes", "--skip-preview=false"], { echo: true });
  console.log("\nStack outputs:");
  const outputs = await pulumi(ws, ["stack", "output", "--json"]);
  console.log(outputs.stdout.trim());
}

main(process.argv[2] ?? "up", process.argv.slice(3)).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
