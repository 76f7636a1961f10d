// prepare.mjs: writes the benchmark manifest that both engines read, so that
// mednec (bench_fhirpath.c) and fhirpath.js (bench_fhirpathjs.mjs) run exactly
// the same work.
//
//   node bench/prepare.mjs OUT.json
//
// Workload (a), "suite": every <test> of the official FHIRPath R4 suite
// (fhirpath-r4/tests-fhir-r4.xml, tests inside XML comments excluded) with the
// JSON twin of its input file (or no input).
// Workload (b), "clinical": the realistic expressions below plus the bundled
// policies' expressions (policies/*.yaml), each over every Synthea bundle
// (synthea/*.json and synthea/large/*.json). The context is every resource of
// the bundle (mn_fp_eval_case in mednec, bundle.entry.resource as the input
// array in fhirpath.js).
//
// Policy expressions are made self-contained, because fhirpath.js knows
// neither the policy's value sets nor its definitions:
// - X.memberOf('vs') becomes X.coding.where((system = 'S' and code in ('c1' |
//   'c2')) or ...).exists() with the value set's codes (every use in the
//   bundled policy is on a CodeableConcept);
// - a reference %name to an earlier definition is replaced by the definition
//   in parentheses when it does not stand inside a function argument (there the
//   context would be $this, not the record); expressions that would need that
//   are left out and listed in the manifest's "skipped", as are expressions
//   that read %scores (defined only inside a decision) or call resolve()
//   (asynchronous in fhirpath.js).
// Each policy definition and each criterion's `met` expression is one
// benchmark expression (duplicates once).
//
// Data: MN_DATA_DIR (default: ../shared/data beside the repository).
// Policies: MN_BENCH_SRC/policies (default: this repository's).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const dataDir = path.resolve(process.env.MN_DATA_DIR || path.join(repo, '..', 'shared', 'data'));
const out = process.argv[2];
if (!out) {
  console.error('usage: node prepare.mjs OUT.json');
  process.exit(64);
}

// ---- workload (a): the conformance suite --------------------------------

function unentity(s) {
  return s
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function attrs(tag) {
  const a = {};
  for (const m of tag.matchAll(/([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g))
    a[m[1]] = unentity(m[3] ?? m[4]);
  return a;
}

const suiteDir = path.join(dataDir, 'fhirpath-r4');
const xml = fs.readFileSync(path.join(suiteDir, 'tests-fhir-r4.xml'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
const suite = [];
const seen = new Map();
for (const m of xml.matchAll(/<test\b([^>]*?)(\/>|>([\s\S]*?)<\/test>)/g)) {
  const ta = attrs(m[1]);
  const em = /<expression\b([^>]*)>([\s\S]*?)<\/expression>/.exec(m[3] || '');
  if (!em)
    continue;
  let name = ta.name || `test${suite.length + 1}`;
  const k = seen.get(name) || 0;
  seen.set(name, k + 1);
  if (k)
    name += `#${k + 1}`;
  let input = null;
  if (ta.inputfile) {
    const json = path.join(suiteDir, ta.inputfile.replace(/\.xml$/, '.json'));
    if (!fs.existsSync(json)) {
      console.error(`prepare: ${name}: no JSON input ${json}, left out`);
      continue;
    }
    input = json;
  }
  const ea = attrs(em[1]);
  suite.push({ name, input, expr: unentity(em[2]), invalid: ea.invalid || null });
}

// ---- workload (b): clinical expressions over Synthea bundles ------------

// Choice elements are named without their type suffix, as the FHIRPath
// specification for FHIR requires (medication.ofType(CodeableConcept), not
// medicationCodeableConcept: mednec rejects the latter at compile time, as the
// suite's testPolymorphismB expects).
const clinical = [
  // demographics
  ['patient-birthdate', 'Patient.birthDate'],
  ['patient-official-given', "Patient.name.where(use = 'official').given.first()"],
  ['patient-race-text', "Patient.extension.where(url = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race').extension.where(url = 'text').value.ofType(string)"],
  ['patient-mrn', "Patient.identifier.where(type.coding.where(system = 'http://terminology.hl7.org/CodeSystem/v2-0203' and code = 'MR').exists()).value"],
  // observations
  ['bmi-values', "Observation.where(code.coding.where(system = 'http://loinc.org' and code = '39156-5').exists()).value.ofType(Quantity).value"],
  ['systolic-bp', "Observation.where(code.coding.where(system = 'http://loinc.org' and code = '85354-9').exists()).component.where(code.coding.where(system = 'http://loinc.org' and code = '8480-6').exists()).value.ofType(Quantity).value"],
  ['obs-after-2018', 'Observation.where(effective.ofType(dateTime) > @2018-01-01).count()'],
  ['lab-names', "Observation.where(category.coding.where(system = 'http://terminology.hl7.org/CodeSystem/observation-category' and code = 'laboratory').exists()).code.coding.display.distinct()"],
  ['high-mgdl', "Observation.where(value.ofType(Quantity).value > 100 and value.ofType(Quantity).unit = 'mg/dL').count()"],
  ['hba1c-text', "Observation.where(code.coding.where(system = 'http://loinc.org' and code = '4548-4').exists()).select(value.ofType(Quantity).value.toString() + ' ' + value.ofType(Quantity).unit)"],
  ['smoking-status', "Observation.where(code.coding.where(system = 'http://loinc.org' and code = '72166-2').exists()).value.ofType(CodeableConcept).coding.display"],
  // problems, medications, procedures
  ['active-conditions', "Condition.where(clinicalStatus.coding.code = 'active').code.coding.display"],
  ['conditions-since-2010', 'Condition.where(onset.ofType(dateTime) >= @2010-01-01).code.text'],
  ['active-med-codes', "MedicationRequest.where(status = 'active').medication.ofType(CodeableConcept).coding.code"],
  ['meds-since-2016', 'MedicationRequest.where(authoredOn >= @2016-01-01).count()'],
  ['procedures-period', 'Procedure.where(performed.ofType(Period).start.exists()).count()'],
  ['procedure-names', 'Procedure.code.coding.display.distinct()'],
  ['careplan-activities', "CarePlan.where(status = 'active').activity.detail.code.coding.display"],
  ['allergies', 'AllergyIntolerance.code.coding.display'],
  // encounters, immunizations, reports, claims
  ['encounters-since-2015', 'Encounter.where(period.start >= @2015-01-01).count()'],
  ['ambulatory-reasons', "Encounter.where(class.code = 'AMB').reasonCode.coding.display"],
  ['encounter-types', "Encounter.type.coding.where(system = 'http://snomed.info/sct').code.distinct().count()"],
  ['vaccine-text', 'Immunization.vaccineCode.text'],
  ['vaccines-since-2015', "Immunization.where(occurrence.ofType(dateTime) >= @2015-01-01 and status = 'completed').vaccineCode.coding.code"],
  ['report-results', "DiagnosticReport.where(status = 'final').result.reference.count()"],
  ['claim-item-codes', 'Claim.item.productOrService.coding.code.distinct().count()'],
  ['eob-totals', 'ExplanationOfBenefit.total.amount.value'],
].map(([id, expr]) => ({ id, expr, origin: 'clinical' }));

// ---- the bundled policies' expressions ----------------------------------

function vsCondition(vs) {
  const bySystem = new Map();
  for (const c of vs.codes || []) {
    if (!bySystem.has(c.system))
      bySystem.set(c.system, []);
    bySystem.get(c.system).push(c.code);
  }
  const q = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [...bySystem].map(([s, codes]) =>
    `(system = ${q(s)} and code in (${codes.map(q).join(' | ')}))`).join(' or ');
}

function substituteMemberOf(expr, valueSets) {
  let missing = null;
  const text = expr.replace(/\.memberOf\(\s*'([^']*)'\s*\)/g, (_, vs) => {
    if (!valueSets[vs] || !(valueSets[vs].codes || []).length) {
      missing = vs;
      return '';
    }
    return `.coding.where(${vsCondition(valueSets[vs])}).exists()`;
  });
  return missing ? { error: `value set '${missing}' unknown` } : { text };
}

const KEYWORDS = new Set(['and', 'or', 'xor', 'implies', 'in', 'contains', 'div', 'mod', 'is', 'as']);

// Replace %def references outside function arguments by (definition).
function inline(expr, defs, depth = 0) {
  if (depth > 32)
    return { error: 'definitions nest too deeply' };
  let out = '';
  const stack = [];  // 'call' | 'group'
  for (let i = 0; i < expr.length;) {
    const c = expr[i];
    if (c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c)
        j += expr[j] === '\\' ? 2 : 1;
      out += expr.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '(') {
      const before = out.replace(/\s+$/, '');
      const word = /([A-Za-z_][A-Za-z0-9_]*)$/.exec(before);
      const call = (word && !KEYWORDS.has(word[1])) || /`$/.test(before);
      stack.push(call ? 'call' : 'group');
      out += c;
      i++;
      continue;
    }
    if (c === ')') {
      stack.pop();
      out += c;
      i++;
      continue;
    }
    if (c === '%') {
      const m = /^%([A-Za-z_][A-Za-z0-9_]*)/.exec(expr.slice(i));
      if (m && Object.hasOwn(defs, m[1])) {
        if (stack.includes('call'))
          return { error: `%${m[1]} inside a function argument` };
        const sub = inline(defs[m[1]], defs, depth + 1);
        if (sub.error)
          return sub;
        out += `(${sub.text})`;
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { text: out };
}

const skipped = [];
// the policies of the revision measured (run.sh sets MN_BENCH_SRC)
const policyDir = path.join(process.env.MN_BENCH_SRC || repo, 'policies');
const policyFiles = fs.existsSync(policyDir)
  ? fs.readdirSync(policyDir).filter((f) => f.endsWith('.yaml')).sort() : [];
const policyExprs = [];
for (const f of policyFiles) {
  const id = f.replace(/\.yaml$/, '');
  const doc = YAML.parse(fs.readFileSync(path.join(policyDir, f), 'utf8'));
  const valueSets = doc.valueSets || {};
  const defs = {};
  const raw = [];
  for (const d of doc.definitions || []) {
    defs[d.name] = d.expr;
    raw.push([`${id}:${d.name}`, d.expr]);
  }
  for (const c of doc.criteria || [])
    if (c.met)
      raw.push([`${id}:${c.id}.met`, c.met]);
  // memberOf first (definitions too), then inline
  const defsSub = {};
  for (const [k, v] of Object.entries(defs)) {
    const s = substituteMemberOf(v, valueSets);
    defsSub[k] = s.error ? `%__unknown_value_set_${k}` : s.text;
  }
  for (const [name, expr] of raw) {
    const s = substituteMemberOf(expr, valueSets);
    if (s.error) {
      skipped.push({ id: name, why: s.error });
      continue;
    }
    const r = inline(s.text, defsSub);
    if (r.error) {
      skipped.push({ id: name, why: r.error });
      continue;
    }
    if (/%__unknown/.test(r.text)) {
      skipped.push({ id: name, why: 'uses a definition with an unknown value set' });
      continue;
    }
    // %scores exists only inside a decision (mednec computes the clinical scores
    // there), and fhirpath.js runs resolve() only in its asynchronous mode: both
    // engines would report an error, or only fhirpath.js would
    if (/%scores\b/.test(r.text)) {
      skipped.push({ id: name, why: 'reads %scores, which only a decision defines' });
      continue;
    }
    if (/\bresolve\(\)/.test(r.text)) {
      skipped.push({ id: name, why: 'uses resolve(), asynchronous in fhirpath.js' });
      continue;
    }
    policyExprs.push({ id: name, expr: r.text, origin: 'policy', source: expr });
  }
}
const seenText = new Set(clinical.map((c) => c.expr));
for (const p of policyExprs) {
  if (seenText.has(p.expr)) {
    skipped.push({ id: p.id, why: 'same text as an earlier expression' });
    continue;
  }
  seenText.add(p.expr);
  clinical.push(p);
}

const syntheaDir = path.join(dataDir, 'synthea');
const bundles = [];
for (const d of [syntheaDir, path.join(syntheaDir, 'large')])
  if (fs.existsSync(d))
    for (const f of fs.readdirSync(d).filter((x) => x.endsWith('.json')).sort())
      bundles.push(path.join(d, f));
if (!bundles.length) {
  console.error(`prepare: no Synthea bundles under ${syntheaDir}`);
  process.exit(66);
}

fs.writeFileSync(out, JSON.stringify({
  dataDir, suite, clinical, bundles, policies: policyFiles, skipped,
}, null, 1) + '\n');
console.error(`prepare: ${suite.length} suite tests, ${clinical.length} clinical expressions ` +
  `(${clinical.filter((c) => c.origin === 'policy').length} from ${policyFiles.length} policies; ` +
  `${skipped.length} policy expressions left out), ${bundles.length} bundles -> ${out}`);
