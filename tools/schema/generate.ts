import * as fs from "node:fs";
import * as path from "node:path";
import { pulumiPackageSchema } from "./pulumi-schema";
import { typescriptTypes } from "./typescript-types";

// `npm run schema`: write schema.json and the SDK's TypeScript types from the zod models. A test fails
// when a committed file is stale.

const root = path.resolve(__dirname, "..", "..");
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
export const schemaText = (): string => `${JSON.stringify(pulumiPackageSchema(version), null, 2)}\n`;

export const generatedFiles: Record<string, () => string> = {
  "schema.json": schemaText,
  "sdk/types.generated.ts": typescriptTypes,
};

if (require.main === module) {
  for (const [file, text] of Object.entries(generatedFiles)) {
    fs.writeFileSync(path.join(root, file), text());
    console.log(`wrote ${file}`);
  }
}
