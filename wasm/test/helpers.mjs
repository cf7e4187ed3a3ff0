// helpers.mjs: loads the Node build of @keyward/wasm (wasm/pkg-node) and the example policies.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The package (CommonJS, loaded synchronously). Build it first with wasm/build.sh. */
export const kw = require(path.join(here, "..", "pkg-node", "keyward_wasm.js"));

/** The text of policies/examples/NAME. */
export function example(name) {
  return readFileSync(path.join(here, "..", "..", "policies", "examples", name), "utf8");
}

export const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** explain(bundle) parsed. */
export function explain(bundle) {
  return JSON.parse(kw.explain(JSON.stringify(bundle)));
}
