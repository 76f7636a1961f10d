// report.mjs: merges the results of both engines and prints the ratios.
//
//   node bench/report.mjs OUTDIR
//
// Reads OUTDIR/manifest.json and OUTDIR/side.json (side_by_side.mjs), prints
// a summary and writes OUTDIR/report.md (summary, per-expression
// table, mismatches). A ratio is fhirpath.js time / mednec time for the same
// evaluation (higher = mednec faster); for loads, mednec MB/s / jansson MB/s.

import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node report.mjs OUTDIR');
  process.exit(64);
}
const read = (f) => {
  const p = path.join(dir, f);
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')) : null;
};
const manifest = read('manifest.json');
const side = read('side.json');
const meta = read('meta.json') || {};
if (!manifest || !side) {
  console.error(`report: ${dir}: no manifest.json or side.json`);
  process.exit(66);
}
// per engine, in the shape {suite: [...], clinical: [{id, bundles: [...]}]}
const engine = (k, extra) => ({
  ...extra,
  suite: side.suite.map((t) => ({ name: t.name, ...t[k] })),
  clinical: side.clinical.map((x) => ({ id: x.id, bundles: x.bundles.map((b) => b[k]) })),
});
const ca0 = engine('mednec', side.mednec), ja0 = engine('fhirpathjs', side.fhirpathjs);
const ca = side.suite.length ? ca0 : null, ja = side.suite.length ? ja0 : null;
const cb = side.clinical.length ? ca0 : null, jb = side.clinical.length ? ja0 : null;
const cl = side.load.length ? { jansson: side.mednec.jansson, load: side.load } : null;

const median = (xs) => {
  if (!xs.length)
    return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const geomean = (xs) => Math.exp(sum(xs.map(Math.log)) / xs.length);
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const us = (ns) => (ns / 1e3).toFixed(ns < 1e4 ? 2 : 1);

const normValue = (s) => (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s) ? String(Number(s)) : s);
function compare(c, j) {
  if (c.count !== j.count)
    return `count: mednec ${c.count}, fhirpath.js ${j.count}`;
  const cv = (c.values || []).map(normValue), jv = (j.values || []).map(normValue);
  for (let i = 0; i < Math.min(cv.length, jv.length); i++)
    if (cv[i] !== jv[i])
      return `value ${i}: mednec ${JSON.stringify(cv[i])}, fhirpath.js ${JSON.stringify(jv[i])}`;
  return null;
}

const lines = [];  // summary (stdout and report.md)
const md = [];     // details (report.md only)
const say = (s = '') => lines.push(s);

say(`mednec ${side.mednec.version} (commit ${meta.commit || '?'}) vs fhirpath.js ` +
  `${side.fhirpathjs.version} on Node ${side.fhirpathjs.node}; jansson ${side.mednec.jansson}; ${meta.date || ''}`);
const st = side.mednec.settings;
say(`protocol: compile once, load once; batches of >= ${st.batchMs} ms, median of ${st.batches} batches; ` +
  'the two engines measured alternately, item by item');
say(`machine: ${meta.cpus || '?'} CPUs, load average ${meta.loadavg || '?'} (shared: compare ratios, not times)`);
say();

const result = {};

// ---- workload (a) --------------------------------------------------------
if (ca && ja && manifest) {
  const rows = [];
  let cErr = 0, jErr = 0, bothErr = 0;
  const mism = [];
  for (let i = 0; i < manifest.suite.length; i++) {
    const t = manifest.suite[i], c = ca.suite[i], j = ja.suite[i];
    if (!c || !j || c.name !== t.name || j.name !== t.name)
      throw new Error(`suite results out of step at ${i} (${t.name})`);
    const cok = c.status === 'ok' && c.ns > 0, jok = j.status === 'ok' && j.ns > 0;
    if (!cok && !jok)
      bothErr++;
    else if (!cok)
      cErr++;
    else if (!jok)
      jErr++;
    else {
      rows.push({ name: t.name, expr: t.expr, c: c.ns, j: j.ns, r: j.ns / c.ns, constant: c.constant });
      const d = compare(c, j);
      if (d)
        mism.push({ name: t.name, expr: t.expr, d });
    }
  }
  const ratios = rows.map((r) => r.r);
  const med = median(ratios), tot = sum(rows.map((r) => r.j)) / sum(rows.map((r) => r.c));
  result.a = { median: med, total: tot, n: rows.length };
  say(`(a) conformance suite: ${manifest.suite.length} tests; ${rows.length} evaluated without error by both ` +
    `(errors: mednec only ${cErr}, fhirpath.js only ${jErr}, both ${bothErr})`);
  say(`    ratio fhirpath.js/mednec per expression: median ${f1(med)}x, geometric mean ${f1(geomean(ratios))}x, ` +
    `p10 ${f1(quantile(ratios, 0.1))}x, p90 ${f1(quantile(ratios, 0.9))}x, min ${f1(Math.min(...ratios))}x, ` +
    `max ${f1(Math.max(...ratios))}x`);
  say(`    total time (one evaluation of each): mednec ${us(sum(rows.map((r) => r.c)))} us, fhirpath.js ` +
    `${us(sum(rows.map((r) => r.j)))} us, ratio ${f1(tot)}x`);
  say(`    median time per evaluation: mednec ${us(median(rows.map((r) => r.c)))} us, fhirpath.js ` +
    `${us(median(rows.map((r) => r.j)))} us`);
  // Most of the suite's expressions read nothing of their input ('a' | 'b', 1 + 2): mednec computes them
  // when compiling (mn_fp_expr_constant) and an evaluation copies the value. The rest says how fast the
  // evaluation of an expression over its input is; both medians are reported.
  const kinds = [['constant', 'constant (computed when compiled)', true], ['input', 'input-dependent', false]];
  if (rows.some((r) => r.constant !== undefined)) {
    for (const [key, label, constant] of kinds) {
      const part = rows.filter((r) => r.constant === constant), pr = part.map((r) => r.r);
      if (!part.length)
        continue;
      result.a[key] = { median: median(pr), n: part.length };
      say(`    ${label}: ${part.length} tests, median ratio ${f1(median(pr))}x (p10 ${f1(quantile(pr, 0.1))}x, ` +
        `p90 ${f1(quantile(pr, 0.9))}x); median per evaluation mednec ${us(median(part.map((r) => r.c)))} us, ` +
        `fhirpath.js ${us(median(part.map((r) => r.j)))} us`);
    }
  } else {
    say('    constant and input-dependent tests: not told apart (this library has no mn_fp_expr_constant)');
  }
  say(`    results differing between the engines (both without error): ${mism.length} (listed in report.md)`);
  say();
  md.push('## (a) Conformance suite: slowest ratios (fhirpath.js/mednec)', '',
    '| test | expression | mednec us | fhirpath.js us | ratio |', '| --- | --- | ---: | ---: | ---: |');
  for (const r of [...rows].sort((x, y) => x.r - y.r).slice(0, 25))
    md.push(`| ${r.name} | \`${r.expr.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 90)}\` | ${us(r.c)} | ${us(r.j)} | ${f1(r.r)} |`);
  md.push('', '## (a) Results that differ between the engines', '',
    'Same expression, same input, both without error; counts or first values differ. Which engine is right is',
    'not judged here (the conformance test runner does that for mednec).', '');
  for (const m of mism)
    md.push(`- ${m.name}: \`${m.expr.replace(/\s+/g, ' ').slice(0, 100)}\`: ${m.d}`);
  md.push('', '## (a) Errors', '');
  for (let i = 0; i < manifest.suite.length; i++) {
    const c = ca.suite[i], j = ja.suite[i];
    if (c.status !== 'ok' || j.status !== 'ok')
      md.push(`- ${c.name}: mednec ${c.status === 'ok' ? 'ok' : c.error}; fhirpath.js ${j.status === 'ok' ? 'ok' : j.error}`);
  }
  md.push('');
}

// ---- workload (b) --------------------------------------------------------
if (cb && jb && manifest) {
  const nb = manifest.bundles.length;
  const exprRows = [];
  const pairRatios = [];
  const mism = [];
  const errors = [];
  for (let i = 0; i < manifest.clinical.length; i++) {
    const x = manifest.clinical[i], c = cb.clinical[i], j = jb.clinical[i];
    if (!c || !j || c.id !== x.id || j.id !== x.id)
      throw new Error(`clinical results out of step at ${i} (${x.id})`);
    let okAll = true, cs = 0, js = 0, counts = 0;
    for (let b = 0; b < nb; b++) {
      const cr = c.bundles[b], jr = j.bundles[b];
      if (cr.status !== 'ok' || jr.status !== 'ok' || !(cr.ns > 0) || !(jr.ns > 0)) {
        okAll = false;
        errors.push(`${x.id} on ${path.basename(manifest.bundles[b])}: mednec ${cr.status === 'ok' ? 'ok' : cr.error}; ` +
          `fhirpath.js ${jr.status === 'ok' ? 'ok' : jr.error}`);
        continue;
      }
      cs += cr.ns;
      js += jr.ns;
      counts += cr.count;
      pairRatios.push(jr.ns / cr.ns);
      const d = compare(cr, jr);
      if (d)
        mism.push(`${x.id} on ${path.basename(manifest.bundles[b])}: ${d}`);
    }
    if (okAll)
      exprRows.push({ id: x.id, origin: x.origin, expr: x.expr, c: cs, j: js, r: js / cs, counts });
  }
  const ratios = exprRows.map((r) => r.r);
  const med = median(ratios), tot = sum(exprRows.map((r) => r.j)) / sum(exprRows.map((r) => r.c));
  const sub = (o) => exprRows.filter((r) => r.origin === o).map((r) => r.r);
  result.b = { median: med, total: tot, n: exprRows.length };
  const totalBytes = sum(manifest.bundles.map((p) => fs.statSync(p).size));
  say(`(b) clinical: ${manifest.clinical.length} expressions (${sub('clinical').length} hand-written, ` +
    `${sub('policy').length} from policies) x ${nb} Synthea bundles (${(totalBytes / 1e6).toFixed(1)} MB); ` +
    `${exprRows.length} expressions evaluated without error by both on every bundle`);
  say(`    ratio fhirpath.js/mednec per expression (time over all bundles): median ${f1(med)}x, ` +
    `geometric mean ${f1(geomean(ratios))}x, min ${f1(Math.min(...ratios))}x, max ${f1(Math.max(...ratios))}x`);
  say(`    by origin: hand-written median ${f1(median(sub('clinical')))}x, policy median ${f1(median(sub('policy')))}x; ` +
    `per (expression, bundle) median ${f1(median(pairRatios))}x`);
  say(`    total time (every expression once on every bundle): mednec ${us(sum(exprRows.map((r) => r.c)))} us, ` +
    `fhirpath.js ${us(sum(exprRows.map((r) => r.j)))} us, ratio ${f1(tot)}x`);
  say(`    result mismatches (count or first values, per expression and bundle): ${mism.length}` +
    (mism.length ? '' : ' (same counts and values everywhere)'));
  for (const m of mism.slice(0, 20))
    say(`      ${m}`);
  if (errors.length)
    say(`    errors: ${errors.length} (listed in report.md)`);
  say();
  md.push('## (b) Clinical expressions over the Synthea bundles', '',
    'Time to evaluate the expression once on each of the bundles (sum), in microseconds; results = items',
    'summed over the bundles.', '',
    '| expression | origin | results | mednec us | fhirpath.js us | ratio |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of exprRows)
    md.push(`| ${r.id} | ${r.origin} | ${r.counts} | ${us(r.c)} | ${us(r.j)} | ${f1(r.r)} |`);
  md.push('', '### Expressions', '');
  for (const x of manifest.clinical)
    md.push(`- ${x.id}: \`${x.expr}\``);
  if (manifest.skipped?.length) {
    md.push('', '### Policy expressions left out', '');
    for (const s of manifest.skipped)
      md.push(`- ${s.id}: ${s.why}`);
  }
  md.push('', '### Mismatches', '', ...(mism.length ? mism.map((m) => `- ${m}`) : ['none']));
  md.push('', '### Errors', '', ...(errors.length ? errors.map((m) => `- ${m}`) : ['none']), '');
}

// ---- load ------------------------------------------------------------------
if (cl) {
  const rows = cl.load.filter((l) => l.jansson && l.mn_json_parse);
  const mbs = (bytes, t) => (t ? (bytes / t.ns) * 1e3 : NaN);  // bytes/ns * 1e3 = MB/s
  const agg = (k) => sum(rows.map((l) => l.bytes)) / sum(rows.map((l) => (l[k] ? l[k].ns : NaN))) * 1e3;
  const rj = rows.map((l) => l.jansson.ns / l.mn_json_parse.ns);
  const rc = rows.filter((l) => l.mn_case_load).map((l) => l.jansson.ns / l.mn_case_load.ns);
  result.load = { median: median(rj), caseMedian: median(rc) };
  say(`load (JSON text to tree), ${rows.length} Synthea bundles, ${(sum(rows.map((l) => l.bytes)) / 1e6).toFixed(1)} MB:`);
  say(`    MB/s over all files: jansson json_loadb ${f1(agg('jansson'))}, mn_json_parse ${f1(agg('mn_json_parse'))}, ` +
    `mn_case_load (parse + R4 check + index + references) ${f1(agg('mn_case_load'))}`);
  say(`    ratio to jansson, median over files: mn_json_parse ${f2(median(rj))}x (min ${f2(Math.min(...rj))}x), ` +
    `mn_case_load ${f2(median(rc))}x (min ${f2(Math.min(...rc))}x)`);
  if (cl.load.some((l) => l.caseFlags))
    say('    (some bundles loaded with MN_CASE_ALLOW_UNRESOLVED: their strict load failed)');
  say();
  md.push('## Load throughput per file (MB/s)', '',
    '| file | MB | jansson | mn_json_parse | ratio | mn_case_load | ratio |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of rows) {
    const j = mbs(l.bytes, l.jansson), p = mbs(l.bytes, l.mn_json_parse), c = mbs(l.bytes, l.mn_case_load);
    md.push(`| ${path.basename(l.file).replace(/_[0-9a-f-]{36}\.json$/, '')} | ${(l.bytes / 1e6).toFixed(2)} | ${f1(j)} | ` +
      `${f1(p)} | ${f2(p / j)} | ${f1(c)} | ${f2(c / j)} |`);
  }
  md.push('');
}

// ---- targets ---------------------------------------------------------------
const verdict = (x, t) => (Number.isFinite(x) ? (x >= t ? 'met' : 'NOT met') : 'not measured');
say('targets:');
// the first issue's 30x, and issue 9's 100x on every workload
for (const [k, name] of [['a', 'suite'], ['b', 'clinical']])
  say(`    (${k}) ${name}, median ratio ${f1(result[k]?.median)}x: >= 30x ${verdict(result[k]?.median, 30)}; ` +
    `>= 100x (issue 9) ${verdict(result[k]?.median, 100)}`);
if (result.a?.input)
  say(`    (a) suite, input-dependent tests only, median ratio ${f1(result.a.input.median)}x: ` +
    `>= 100x (issue 9) ${verdict(result.a.input.median, 100)}`);
say(`    JSON load >= 3x jansson (mn_json_parse, median): ${f2(result.load?.median)}x, ${verdict(result.load?.median, 3)}`);

console.log(lines.join('\n'));
fs.writeFileSync(path.join(dir, 'report.md'), ['# Benchmark report', '', '```', ...lines, '```', '', ...md].join('\n') + '\n');
fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(result, null, 1) + '\n');
