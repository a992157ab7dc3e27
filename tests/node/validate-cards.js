// Validates Adaptive Cards with Microsoft's own renderer, as Teams' clients parse them.
// Usage: node validate-cards.js card1.json [card2.json ...]; prints a JSON report; exit 1 on errors.
"use strict";
const fs = require("fs");
// The renderer touches a few DOM globals while parsing; none render here.
if (typeof globalThis.document === "undefined") {
  const element = () => ({ style: {}, appendChild() {}, setAttribute() {}, classList: { add() {} } });
  globalThis.document = { createElement: element, createElementNS: element };
  globalThis.window = globalThis;
  globalThis.navigator = { userAgent: "node" };
}
const AC = require("adaptivecards/dist/adaptivecards.min.js");

const report = {};
let failed = false;
for (const file of process.argv.slice(2)) {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const errors = [];
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    errors.push({ phase: "parse", message: e.message, event: AC.ValidationEvent[e.event] });
  }
  for (const e of card.validateProperties().validationEvents) {
    errors.push({ phase: "validate", message: e.message, event: AC.ValidationEvent[e.event],
                  on: e.source && e.source.getJsonTypeName ? e.source.getJsonTypeName() : undefined });
  }
  report[file] = errors;
  if (errors.length) failed = true;
}
process.stdout.write(JSON.stringify(report, null, 1));
process.exit(failed ? 1 : 0);
