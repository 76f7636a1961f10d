#!/usr/bin/env bash
# tools/make-population (issue 9 item 5): its output is valid FHIR that decides like the examples it came from.
#   - same -n and --seed: byte-identical files (Bulk layout and --bundles); another seed: different files;
#   - the layout is one NDJSON file per resource type, every line one resource, every id unique per type, every
#     reference resolves within the patient's compartment or to a shared resource (Practitioner);
#   - one patient of every example, its resources regrouped into a Bundle with the shared resources it
#     references, decided by `mednec determine` as of the example's as-of date plus the patient's date shift (years),
#     has the outcome and every criterion status of its source example decided as of the example's date (the
#     policy and date from the first line of tests/golden/cases.txt naming the example);
#   - --bundles writes the same patients (same resources) one Bundle per line.
# Usage: population.sh MEDNEC
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
cd "$src"
command -v python3 >/dev/null || { echo "SKIPPED: population: no python3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
n=$(ls examples/*.json | wc -l)

tools/make-population -n "$n" --seed 11 -o "$tmp/a" --manifest "$tmp/a.manifest" || { echo "FAIL make-population"; exit 1; }
tools/make-population -n "$n" --seed 11 -o "$tmp/b" && diff -r "$tmp/a" "$tmp/b" >/dev/null ||
  bad "same -n and --seed: files differ"
tools/make-population -n "$n" --seed 12 -o "$tmp/c" && diff -r "$tmp/a" "$tmp/c" >/dev/null &&
  bad "another seed gives identical files"
tools/make-population -n "$n" --seed 11 --bundles -o "$tmp/a.bundles" || bad "make-population --bundles"
tools/make-population -n "$n" --seed 11 --bundles -o "$tmp/b.bundles" && cmp -s "$tmp/a.bundles" "$tmp/b.bundles" ||
  bad "--bundles: same -n and --seed: files differ"

# regroup: one Bundle per patient, and the jobs to decide (patient bundle / example, policy, dates)
python3 - "$tmp" <<'EOF' || bad "the layout is not valid (see above)"
import datetime, glob, json, os, re, sys
tmp = sys.argv[1]
res, shared, ok = {}, {}, True
for path in sorted(glob.glob(tmp + "/a/*.ndjson")):
    rtype = os.path.basename(path)[:-7]
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        r = json.loads(line)
        if r.get("resourceType") != rtype:
            print("%s:%d: resourceType %s in %s.ndjson" % (path, no, r.get("resourceType"), rtype)); ok = False
        key = "%s/%s" % (rtype, r["id"])
        if key in res or key in shared:
            print("duplicate id " + key); ok = False
        (shared if rtype in ("Practitioner", "PractitionerRole", "Organization") else res)[key] = r
def refs(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "reference" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(x, list):
        for v in x:
            yield from refs(v)
groups = {}
for key, r in res.items():
    owner = key if r["resourceType"] == "Patient" else None
    for k in ("subject", "patient", "beneficiary"):
        if isinstance(r.get(k), dict) and r[k].get("reference", "").startswith("Patient/"):
            owner = r[k]["reference"]
    if owner is None:
        print("no patient for " + key); ok = False; continue
    groups.setdefault(owner, []).append(r)
policies = {}  # example -> (policy, as-of): the first line naming it in the golden determinations
for line in open("tests/golden/cases.txt", encoding="utf-8"):
    f = line.split()
    if len(f) == 3 and not line.startswith("#"):
        policies.setdefault(f[0], (f[1], f[2]))
manifest = [json.loads(l) for l in open(tmp + "/a.manifest")]
jobs = open(tmp + "/jobs", "w")
for m in manifest:
    pid = m["patient"]
    entries = sorted(groups.get(pid, []), key=lambda r: (r["resourceType"] != "Patient", r["id"]))
    needed = set()
    todo = list(entries)  # the patient's resources, then the shared ones they reach (PractitionerRole -> Organization)
    while todo:
        r = todo.pop()
        for ref in refs(r):
            if ref in shared:
                if ref not in needed:
                    needed.add(ref)
                    todo.append(shared[ref])
            elif ref not in res or (ref != pid and res[ref] not in entries):
                print("%s: reference %s does not resolve in the compartment" % (pid, ref)); ok = False
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in entries + [shared[k] for k in sorted(needed)]]}
    out = "%s/%s.json" % (tmp, pid.split("/")[1])
    json.dump(bundle, open(out, "w"))
    ex = "examples/%s.json" % m["source"]
    if ex not in policies:
        print("no policy test lists " + ex); ok = False; continue
    policy, as_of = policies[ex]
    d = datetime.date.fromisoformat(as_of)
    shifted = d.replace(year=d.year + m["shift"])  # the shift is in whole years (multiples of 4)
    jobs.write("%s %s %s %s %s\n" % (out, ex, policy, as_of, shifted))
# --bundles: the same resources per patient
for line, m in zip(open(tmp + "/a.bundles"), manifest):
    b = json.loads(line)
    got = sorted(json.dumps(e["resource"], sort_keys=True) for e in b["entry"])
    want = sorted(json.dumps(e["resource"], sort_keys=True)
                  for e in json.load(open("%s/%s.json" % (tmp, m["patient"].split("/")[1])))["entry"])
    if got != want:
        print("--bundles: %s differs from the regrouped layout" % m["patient"]); ok = False
sys.exit(0 if ok else 1)
EOF

# decide: the patient as of the shifted date vs its example as of the example's date
summary() {  # outcome and each criterion's status, from determine --format json
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["determination"], " ".join("%s=%s" % (c["id"], c["status"]) for c in d["criteria"]))'
}
checked=0
while read -r bundle example policy as_of shifted; do
  want=$("$mednec" determine "$example" --policy "$policy" --as-of "$as_of" --format json 2>/dev/null | summary)
  got=$("$mednec" determine "$bundle" --policy "$policy" --as-of "$shifted" --format json 2>"$tmp/err" | summary)
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    bad "$(basename "$bundle") from $example under $policy as of $shifted: '$got', want '$want'"
    cat "$tmp/err"
  fi
  checked=$((checked+1))
done <"$tmp/jobs"
[ "$checked" -eq "$n" ] || bad "decided $checked patients, want $n"
[ $fail -eq 0 ] && echo "population: $checked generated patients decide like their examples"
exit $fail
