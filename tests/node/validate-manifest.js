// Validates a Teams app manifest with Microsoft's own validator (npm @microsoft/app-manifest:
// ajv, draft-04, with its uri/email/regex formats) against the schema the package ships for the
// manifest's own manifestVersion. Offline: the schema is read from node_modules, never fetched.
// Usage: node validate-manifest.js manifest.json
// Prints a JSON list of problems; exits 1 if there is any.
"use strict";
const fs = require("fs");
const { ManifestUtil } = require("@microsoft/app-manifest");

async function main(file) {
  const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  const version = String(manifest.manifestVersion || "");
  if (!/^1\.\d+$/.test(version)) return [`manifestVersion ${JSON.stringify(version)} is not one this package knows`];
  const schemaPath = require.resolve(`@microsoft/app-manifest/build/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`);
  // The same clean-up the package applies to a downloaded schema (an invalid \a in one regex).
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8").replace(/\\a/g, "\\x07"));
  return ManifestUtil.validateManifestAgainstSchema(manifest, schema);
}

main(process.argv[2]).then(
  (errors) => {
    process.stdout.write(JSON.stringify(errors, null, 1));
    process.exit(errors.length ? 1 : 0);
  },
  (e) => {
    process.stdout.write(JSON.stringify([String(e)]));
    process.exit(1);
  },
);
