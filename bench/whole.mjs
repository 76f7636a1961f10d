// whole.mjs: fhirpath.js's side of the whole-process workload (bench/whole.sh): the same loop as
// `mednec eval -e EXPR --repeat N BUNDLE...`, in one Node process.
//
//   node bench/whole.mjs EXPR N BUNDLE...
//
// Like mednec eval: read and parse every bundle, compile the expression once with the R4 model, then N times
// evaluate it on each bundle (the Bundle resource itself is the context, so the expression starts at the
// root: "Bundle.entry.resource..."), and print the first pass's results as one JSON array per bundle (the
// values as fhirpath.js returns them), so that whole.sh can compare the two engines' answers.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const [expr, nText, ...files] = process.argv.slice(2);
const n = Number(nText);
if (!expr || !(n >= 1) || files.length === 0) {
  console.error('usage: node whole.mjs EXPR N BUNDLE...');
  process.exit(64);
}
const bundles = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const fn = fhirpath.compile(expr, r4);
const first = [];
for (let r = 0; r < n; r++) {
  for (const b of bundles) {
    const res = fn(b);
    if (r === 0) first.push(res);
  }
}
process.stdout.write(first.map((r) => JSON.stringify(r)).join('\n') + '\n');
