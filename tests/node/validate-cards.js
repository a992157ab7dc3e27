// Validates Adaptive Cards with Microsoft's own renderer (npm adaptivecards), the way Teams'
// clients parse them, targeting card version 1.5.
// Usage: node validate-cards.js card1.json [card2.json ...]
// Prints {"<file>": [problems...]} as JSON; exits 1 if any card has a problem.
"use strict";
const fs = require("fs");
// The lib/ entry point fails on Node 20; the bundled build works without a DOM.
const AC = require("adaptivecards/dist/adaptivecards.min.js");

const report = {};
let failed = false;
for (const file of process.argv.slice(2)) {
  const errors = [];
  try {
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext(AC.Versions.v1_5);
    card.parse(json, context);
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      errors.push({ phase: "parse", event: AC.ValidationEvent[e.event], message: e.message });
    }
    for (const e of card.validateProperties().validationEvents) {
      errors.push({ phase: "validate", event: AC.ValidationEvent[e.event], message: e.message,
                    on: e.source && e.source.getJsonTypeName ? e.source.getJsonTypeName() : undefined });
    }
  } catch (e) {
    errors.push({ phase: "read", message: String(e) });
  }
  report[file] = errors;
  if (errors.length) failed = true;
}
process.stdout.write(JSON.stringify(report, null, 1));
process.exit(failed ? 1 : 0);
