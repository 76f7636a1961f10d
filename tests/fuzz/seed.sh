#!/bin/sh
# tests/fuzz/seed.sh: (re)generate the seed inputs of the fuzz corpora.
#
#   tests/fuzz/seed.sh [SUITE_XML [EVAL_SEED_DIR]]
#
# SUITE_XML defaults to $MN_DATA_DIR/fhirpath-r4/tests-fhir-r4.xml (MN_DATA_DIR
# defaults to ../shared/data next to the repository). Writes:
#   corpus/parse/s-<test name>   every distinct expression of the suite, as is
#   corpus/parse/p-<name>        pathological expressions (depth, length, junk)
#   corpus/eval/p-<name>         pathological evaluations (expression line +
#                                one of resources/*.json, or no document)
#   EVAL_SEED_DIR/<test name>    (default /tmp/mednec-eval-seeds) every
#                                one-line suite expression followed by the
#                                hand-written resource of resources/ that
#                                stands in for the suite's input file; these
#                                are merged into corpus/eval by libFuzzer
#                                (-merge=1, docs/FUZZING.md), not committed raw.
# Only expressions are taken from the suite; its JSON inputs are not copied.
# Needs python3. Deterministic: the same suite gives the same files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${MN_DATA_DIR:-$here/../../../shared/data}
xml=${1:-$data/fhirpath-r4/tests-fhir-r4.xml}
evalseeds=${2:-/tmp/mednec-eval-seeds}
[ -r "$xml" ] || { echo "seed.sh: cannot read $xml" >&2; exit 1; }
mkdir -p "$here/corpus/parse" "$here/corpus/eval" "$evalseeds"

python3 - "$xml" "$here" "$evalseeds" <<'PY'
import os, re, sys
import xml.etree.ElementTree as ET

xml, here, evalseeds = sys.argv[1:4]
parse = os.path.join(here, "corpus", "parse")
evald = os.path.join(here, "corpus", "eval")
res = os.path.join(here, "resources")

def write(path, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)

def resource(name):
    with open(os.path.join(res, name), "rb") as f:
        return f.read()

# The suite's input files -> our own stand-ins.
stand_in = {
    "observation-example.xml": "observation.json",
    "questionnaire-example.xml": "questionnaire.json",
    "valueset-example-expansion.xml": "valueset.json",
    "parameters-example-types.xml": "parameters.json",
    "appointment-examplereq.json": "appointment.json",
    "patient-container-example.json": "bundle.json",
    "explanationofbenefit-example.json": "bundle.json",
}

seen = set()
names = set()
count = 0
for test in ET.parse(xml).iter("test"):
    e = test.find("expression")
    if e is None or e.text is None:
        continue
    expr = e.text
    if expr in seen:
        continue
    seen.add(expr)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", test.get("name") or "test")
    base, k = name, 1
    while name in names:
        k += 1
        name = "%s-%d" % (base, k)
    names.add(name)
    write(os.path.join(parse, "s-" + name), expr)
    count += 1
    if "\n" not in expr:
        doc = stand_in.get(test.get("inputfile") or "", "patient.json")
        write(os.path.join(evalseeds, name), expr.encode("utf-8") + b"\n" + resource(doc))

# Pathological expressions for the compiler.
P = {
    "parens-200": "(" * 200 + "1" + ")" * 200,            # deep but within MN_FP_MAX_DEPTH
    "parens-300": "(" * 300 + "1" + ")" * 300,            # MN_ELIMIT
    "parens-open-2000": "(" * 2000,
    "unary-300": "-" * 300 + "1",
    "unary-mixed-300": "-+" * 150 + "1",
    "calls-300": "where(" * 300 + "true" + ")" * 300,
    "calls-args-300": "iif(true, " * 300 + "1" + ", 2)" * 300,
    "indexer-300": "a[" * 300 + "0" + "]" * 300,
    "braces-junk": "{" * 500,
    "path-2000": ".".join(["name"] * 2000),
    "plus-2000": "+".join(["1"] * 2000),
    "or-1000": " or ".join("a%d" % i for i in range(1000)),
    "and-or-mix": " and ".join("(a or b xor c implies d)" for _ in range(100)),
    "union-1000": "|".join(str(i) for i in range(1000)),
    "string-4000": "'" + "x" * 4000 + "'",
    "string-escapes": "'" + "\\u00e9\\t\\n\\'\\\\\\/\\f\\r\\`" * 100 + "'",
    "string-bad-escape": "'\\u12'",
    "string-unterminated": "'abc",
    "backtick-unterminated": "`abc",
    "comment-unterminated": "1 /* never closed",
    "comment-only": "// nothing but a comment",
    "bigint": "9" * 400,
    "bigdecimal": "9" * 200 + "." + "9" * 200,
    "quantity-units": "1 'mg' + 2 years + 3.5 '[in_i]' + 4 'mm[Hg]'",
    "date-bad": "@2024-13-45T25:61:61.9999+99:99",
    "date-many": " | ".join(["@2024", "@2024-02", "@2024-02-29", "@2024-02-29T23:59:59.999+14:00",
                             "@T00:00", "@T23:59:59.999", "@2023-02-29", "@0001-01-01", "@9999-12-31T"]),
    "nul-byte": "name\x00.given",
    "utf8-invalid": b"'\xff\xfe\xc3' = `\xe2\x82`".decode("latin-1"),
    "vars": "%ucum | %sct | %loinc | %`vs-x` | %`ext-y` | %resource | %context | %nope | %`` ",
    "specials": "$this | $index | $total | $nope",
    "type-ops": "a is FHIR.string and b as System.Integer and c is A.B.C and d as",
    "too-many-args": "iif(" + ",".join(["1"] * 20) + ")",
    "empty": "",
    "spaces": " \t\r\n ",
    "trailing": "1 2",
    "lone-dot": ".",
    "keywords": "and or xor implies is as in contains div mod",
    "unknown-function": "name.frobnicate()",
}
for k, v in P.items():
    write(os.path.join(parse, "p-" + k), v.encode("latin-1") if k == "utf8-invalid" else v)

# Pathological evaluations: bounded results or MN_ELIMIT, in bounded time.
E = {
    "repeat-self": ("(1|2|3).repeat($this)", None),
    "repeat-grow-1000": ("(1).repeat(iif($this < 1000, $this + 1, {})).count()", None),
    "repeat-strings-double": ("'ab'.repeat($this & $this).count()", None),
    "repeat-descendants": ("repeat(children()).count()", "questionnaire.json"),
    "combine-doubling": ("(1|2|3)" + ".combine($this)" * 1 + ".select($this.combine($this))" * 3, None),
    "select-product": ("(1|2|3|4|5|6|7|8|9|10).select((1|2|3|4|5|6|7|8|9|10).select((1|2|3|4|5|6|7|8|9|10)))", None),
    "aggregate": ("(1|2|3|4|5).repeat(iif($this < 300, $this + 5, {})).aggregate($total + $this, 0)", None),
    "descendants": ("descendants().count()", "bundle.json"),
    "string-funcs": ("'abc'.replace('', 'xy').replace('x', 'xxxx').replace('y', 'yyyy').length()", None),
    "regex": ("'aaaaaaaaaaaaaaaaaaaaaaaaaaaa'.matches('(a|aa)*b') | 'ab'.replaceMatches('', '$1$9')", None),
    "join-split": ("('a,b,c' & ',').split(',').join('|').toChars().count()", None),
    "path-deep": (".".join(["item"] * 600) + ".linkId", "questionnaire.json"),
    "plus-deep": ("+".join(["1"] * 1500), None),
    "resolve": ("Condition.subject.resolve().generalPractitioner.resolve().name.family", "bundle.json"),
    "dates": ("now() - 1 year + 3 months > today() - 40 weeks and timeOfDay() < @T23:59", None),
    "decimal-overflow": ("9" * 310 + ".0 * 10.0 * 10.0", None),
    "decimal-to-integer": ("2222222222222222222222", None),
    "repeat-without-end": ("(1).repeat($this + 1).count()", None),
    "distinct-100000": ("(1).repeat(iif($this < 100000, $this + 1, {})).select($this mod 1000).distinct().count()", None),
    # 128 KiB, not more: AddressSanitizer's regexec interceptor takes strlen
    # of the subject on every call (quadratic in sanitizer builds only)
    "replacematches-128k": ("'a'.repeat(iif($this.length() < 100000, $this & $this, {})).last().replaceMatches('a', 'b').length()", None),
    "replace-1mb": ("'a'.repeat(iif($this.length() < 1000000, $this & $this, {})).last().replace('a', 'bb').length()", None),
    "int-overflow": ("9223372036854775807 + 1 | -9223372036854775807 - 2 | 9223372036854775807 * 2 | (-9223372036854775807 - 1) div -1", None),
    "power": ("2.power(1000000) | 0.power(-1) | (-8).power(0.5) | 10.0.power(400)", None),
    "conversions": ("'1e400'.toDecimal() | '99999999999999999999'.toInteger() | '@2024-02-30'.toDate() | 'x'.toQuantity()", None),
}
for k, (expr, doc) in E.items():
    data = expr.encode("utf-8") + b"\n" + (resource(doc) if doc else b"")
    write(os.path.join(evald, "p-" + k), data)

print("seed.sh: %d suite expressions, %d pathological parse inputs, %d pathological eval inputs"
      % (count, len(P), len(E)))
PY
