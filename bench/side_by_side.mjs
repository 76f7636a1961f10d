// side_by_side.mjs: runs mednec and fhirpath.js on the same work, item by item.
//
//   node bench/side_by_side.mjs MANIFEST.json BENCH_FHIRPATH OUT.json
//
// BENCH_FHIRPATH (bench_fhirpath.c, linked with the mednec library) runs as a
// child process in serve mode; for every item (a suite test, or a clinical
// expression on one bundle) this driver asks it for mednec's measurement and
// times fhirpath.js on the same item right before or after (the order
// alternates), so that both engines see the same load on this shared machine.
// Only one of the two runs at a time.
//
// Same protocol in both engines: every expression is compiled once
// (fhirpath.compile with the R4 model; mn_fp_compile) and every input loaded
// once (JSON.parse; mn_json_parse or mn_case_load) outside the timed loop;
// then the evaluation runs in batches (timing.mjs) and the time per
// evaluation is the median batch time divided by the batch size. Workload (a)
// evaluates each suite test on its input resource; workload (b) each clinical
// expression on bundle.entry.resource (an array: every resource of the bundle
// is the context, as mn_fp_eval_case). Then the load part (mednec only:
// jansson vs mn_json_parse vs mn_case_load) runs.
//
// MN_BENCH_ONLY=a|b|load runs one part.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { measure, settings } from './timing.mjs';

const require = createRequire(import.meta.url);
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');
const fpVersion = require('fhirpath/package.json').version;

const [manifestPath, benchC, outPath] = process.argv.slice(2);
if (!manifestPath || !benchC || !outPath) {
  console.error('usage: node side_by_side.mjs MANIFEST.json BENCH_FHIRPATH OUT.json');
  process.exit(64);
}
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const only = process.env.MN_BENCH_ONLY || '';  // "a", "b", "load" or "" for all
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

// ---- the mednec child ----------------------------------------------------

const child = spawn(benchC, [manifestPath, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
let childExit = null;
child.on('exit', (code, sig) => { childExit = `bench_fhirpath exited (${code ?? sig})`; });
async function mednec(request) {
  if (childExit)
    throw new Error(childExit);
  child.stdin.write(request + '\n');
  const { value, done } = await lines.next();
  if (done)
    throw new Error(childExit || 'bench_fhirpath closed its output');
  return JSON.parse(value);
}

// Both measurements of one item, in alternating order.
let turn = 0;
async function pair(request, jsWork) {
  let c, j;
  if (turn++ % 2) {
    j = jsWork();
    c = await mednec(request);
  } else {
    c = await mednec(request);
    j = jsWork();
  }
  return { c, j };
}

const inputs = new Map();
function loadInput(p) {
  if (!p)
    return [];
  if (!inputs.has(p))
    inputs.set(p, JSON.parse(fs.readFileSync(p, 'utf8')));
  return inputs.get(p);
}

const info = await mednec('info');
const out = {
  mednec: info, fhirpathjs: { version: fpVersion, node: process.version }, settings, suite: [], clinical: [], load: [],
};
const t0 = Date.now();
if (!only || only === 'a') {
  for (let i = 0; i < manifest.suite.length; i++) {
    const t = manifest.suite[i];
    const { c, j } = await pair(`a ${i}`, () => {
      const k = compile(t.expr);
      return k.error ? { status: 'error', error: k.error } : run(k.fn, loadInput(t.input));
    });
    const { name, ...mn } = c;
    if (name !== t.name)
      throw new Error(`out of step: suite ${i} is ${t.name}, mednec answered for ${name}`);
    out.suite.push({ name: t.name, mednec: mn, fhirpathjs: j });
  }
  console.error(`suite: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
if (!only || only === 'b') {
  const t1 = Date.now();
  const bundles = manifest.bundles.map((p) => (JSON.parse(fs.readFileSync(p, 'utf8')).entry || [])
    .map((e) => e.resource).filter(Boolean));
  for (let i = 0; i < manifest.clinical.length; i++) {
    const x = manifest.clinical[i];
    const k = compile(x.expr);
    const per = [];
    for (let b = 0; b < bundles.length; b++) {
      const { c, j } = await pair(`b ${i} ${b}`,
        () => (k.error ? { status: 'error', error: k.error } : run(k.fn, bundles[b])));
      per.push({ mednec: c, fhirpathjs: j });
    }
    out.clinical.push({ id: x.id, bundles: per });
  }
  console.error(`clinical: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}
if (!only || only === 'load') {
  const t2 = Date.now();
  for (let b = 0; b < manifest.bundles.length; b++)
    out.load.push(await mednec(`load ${b}`));
  console.error(`load: ${((Date.now() - t2) / 1000).toFixed(1)} s`);
}
child.stdin.end('quit\n');
fs.writeFileSync(outPath, JSON.stringify(out) + '\n');
