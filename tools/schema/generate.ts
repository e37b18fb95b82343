import * as fs from "node:fs";
import * as path from "node:path";
import { pulumiPackageSchema } from "./pulumi-schema";

// `npm run schema`: write schema.json from the zod models. A test fails when the committed file is stale.

const root = path.resolve(__dirname, "..", "..");
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
export const schemaText = (): string => `${JSON.stringify(pulumiPackageSchema(version), null, 2)}\n`;

if (require.main === module) {
  fs.writeFileSync(path.join(root, "schema.json"), schemaText());
  console.log("wrote schema.json");
}
