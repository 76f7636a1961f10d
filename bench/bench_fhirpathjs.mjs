// bench_fhirpathjs.mjs: the fhirpath.js side of the benchmark.
//
//   node bench/bench_fhirpathjs.mjs MANIFEST.json OUT.json
//
// Same protocol as bench_fhirpath.c: every expression is compiled once
// (fhirpath.compile with the R4 model) and every input parsed once (JSON.parse)
// outside the timed loop; then the compiled function is called in batches
// (timing.mjs) and the time per evaluation is the median batch time divided by
// the batch size. Workload (a) evaluates each suite test on its input resource;
// workload (b) evaluates each clinical expression on bundle.entry.resource (an
// array: every resource of the bundle is the context, as mn_fp_eval_case).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { measure, settings } from './timing.mjs';

const require = createRequire(import.meta.url);
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');
const fpVersion = require('fhirpath/package.json').version;

const [manifestPath, outPath] = process.argv.slice(2);
if (!manifestPath || !outPath) {
  console.error('usage: node bench_fhirpathjs.mjs MANIFEST.json OUT.json');
  process.exit(64);
}
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const only = process.env.MN_BENCH_ONLY || '';  // "a", "b" or "" for both
const options = { traceFn: () => {} };
// fhirpath.js reports some things (quantity truncation in date arithmetic) on
// console.warn; writing those to the terminal inside the timed loop would
// charge it for I/O, so they are dropped.
console.warn = () => {};

function compile(expr) {
  try {
    return { fn: fhirpath.compile(expr, r4, options) };
  } catch (e) {
    return { error: `compile: ${String(e.message || e).split('\n')[0]}` };
  }
}

// The first MAX_VALUES items of a result as text, for the comparison with
// mednec: primitives as their text, elements as "{}".
const MAX_VALUES = 10;
function valueText(v) {
  if (v === null || v === undefined)
    return 'null';
  if (typeof v === 'object')
    return '{}';
  return String(v).slice(0, 80);
}

// Runs fn(input) once to check it; then times it. The result count is the
// length of the returned collection.
function run(fn, input) {
  let count, values;
  try {
    const r = fn(input);
    if (r && typeof r.then === 'function')
      return { status: 'error', error: 'asynchronous result' };
    count = Array.isArray(r) ? r.length : 1;
    values = (Array.isArray(r) ? r : [r]).slice(0, MAX_VALUES).map(valueText);
  } catch (e) {
    return { status: 'error', error: `eval: ${String(e.message || e).split('\n')[0]}` };
  }
  let sink = 0;
  const m = measure((n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++)
      sink += fn(input).length;
    return Number(process.hrtime.bigint() - t0);
  });
  if (sink < 0)
    console.log(sink);
  return { status: 'ok', count, values, ns: m.ns, reps: m.reps };
}

const out = {
  engine: 'fhirpath.js', version: fpVersion, node: process.version, settings, suite: [], clinical: [],
};
const inputs = new Map();
function loadInput(p) {
  if (!p)
    return [];
  if (!inputs.has(p))
    inputs.set(p, JSON.parse(fs.readFileSync(p, 'utf8')));
  return inputs.get(p);
}

const t0 = Date.now();
if (only !== 'b') {
  for (const t of manifest.suite) {
    const c = compile(t.expr);
    const r = c.error ? { status: 'error', error: c.error } : run(c.fn, loadInput(t.input));
    out.suite.push({ name: t.name, ...r });
  }
  console.error(`fhirpath.js: suite done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
if (only !== 'a') {
  const t1 = Date.now();
  const bundles = manifest.bundles.map((p) => (JSON.parse(fs.readFileSync(p, 'utf8')).entry || [])
    .map((e) => e.resource).filter(Boolean));
  for (const x of manifest.clinical) {
    const c = compile(x.expr);
    const per = bundles.map((res) => (c.error ? { status: 'error', error: c.error } : run(c.fn, res)));
    out.clinical.push({ id: x.id, bundles: per });
  }
  console.error(`fhirpath.js: clinical done in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}
fs.writeFileSync(outPath, JSON.stringify(out) + '\n');
