#!/usr/bin/env python3
"""Builds the small hand-made populations of tests/cli/bulk.sh and impact.sh from examples/*.json
(docs/BULK.md, "Tests"). Deterministic; run from the repository root: python3 tests/data/bulk/make.py

Each example becomes one patient with new ids (Patient/p-TAG, other resources TAG-OLDID); Practitioners
stay shared (same ids in every example, checked identical), and a shared Organization (part of a second
Organization) is every Patient's managingOrganization, so the loader must pull a chain of shared resources.

  export/       a FHIR Bulk Data export: one NDJSON file per resource type, plus
                - Condition.ndjson: beta's opioid use disorder (the finding that makes beta not meet
                  drg-trial-bcbsa) cut short: invalid JSON that still names Patient/p-beta: reported,
                  skipped, and beta's decisions held (without it beta would meet the criteria);
                - Condition.ndjson: a Condition of Patient/p-nobody (not in the export): reported and skipped;
                - a blank line in Procedure.ndjson (no record).
  bundles.ndjson  the same four patients as Bundles, one a line (no bad records).
  bundles/      two of them as pretty-printed Bundle files.
  policies/     two versions of drg-trial-bcbsa for tests/cli/impact.sh: old.yaml (the shipped file as it
                was when this ran, its version renamed "test-old") and next.yaml, a HYPOTHETICAL version made
                for the test only (not a payer's policy): criterion no-untreated-sud removed, and an added
                criterion lower-limb-only (the CRPS's body site names a lower limb), labeled as this test's own
                requirement.
"""
import json, os, shutil

ROOT = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = [
    ("alpha", "examples/crps-ii-drg-trial.json"),                           # drg-trial-bcbsa: meets-criteria
    ("beta", "examples/crps-ii-drg-trial-untreated-sud.json"),              # does-not-meet
    ("gamma", "examples/crps-ii-drg-trial-little-conservative-care.json"),  # does-not-meet
    ("delta", "examples/crps-ii-upper-limb-drg-trial.json"),                # meets-criteria
]
SHARED = {"Practitioner", "Organization", "Location", "Medication"}
ORGS = [
    {"resourceType": "Organization", "id": "org-pain-clinic", "name": "Example Pain Clinic",
     "partOf": {"reference": "Organization/org-health-system"}},
    {"resourceType": "Organization", "id": "org-health-system", "name": "Example Health System"},
    {"resourceType": "Organization", "id": "org-unused", "name": "An organization no patient references"},
]


def rename(node, ids):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "reference" and isinstance(v, str) and v in ids:
                out[k] = ids[v]
            else:
                out[k] = rename(v, ids)
        return out
    if isinstance(node, list):
        return [rename(v, ids) for v in node]
    return node


def patient(tag, path):
    bundle = json.load(open(path))
    ids = {}
    for e in bundle["entry"]:
        r = e["resource"]
        t = r["resourceType"]
        if t in SHARED:
            continue
        new = "p-" + tag if t == "Patient" else tag + "-" + r["id"]
        ids[t + "/" + r["id"]] = t + "/" + new
    own, shared = [], []
    for e in bundle["entry"]:
        r = rename(e["resource"], ids)
        if r["resourceType"] in SHARED:
            shared.append(r)
            continue
        r["id"] = ids[r["resourceType"] + "/" + r["id"]].split("/", 1)[1]
        if r["resourceType"] == "Patient":
            r["managingOrganization"] = {"reference": "Organization/org-pain-clinic"}
        own.append(r)
    return own, shared


def line(r):
    return json.dumps(r, separators=(",", ":"), ensure_ascii=False)


def main():
    os.chdir(os.path.join(ROOT, "..", "..", ".."))
    people, shared = [], {}
    for tag, path in EXAMPLES:
        own, sh = patient(tag, path)
        people.append((tag, own))
        for r in sh:
            key = r["resourceType"] + "/" + r["id"]
            assert shared.get(key, r) == r, key + " differs between examples"
            shared[key] = r
    for r in ORGS:
        shared["Organization/" + r["id"]] = r

    exp = os.path.join(ROOT, "export")
    shutil.rmtree(exp, ignore_errors=True)
    os.makedirs(exp)
    files = {}
    for tag, own in people:
        for r in own:
            files.setdefault(r["resourceType"], []).append(line(r))
    for r in shared.values():
        files.setdefault(r["resourceType"], []).append(line(r))
    # the bad records
    cond = files["Condition"]
    k = next(i for i, l in enumerate(cond) if '"id":"beta-oud-2024"' in l)
    cond[k] = cond[k][: cond[k].index('"subject"') + 60]  # cut short after the subject reference
    files["Condition"].append(line({"resourceType": "Condition", "id": "nobody-dx",
                                    "subject": {"reference": "Patient/p-nobody"},
                                    "code": {"text": "a condition of a patient not in the export"}}))
    files["Procedure"].insert(3, "")
    for t, lines in files.items():
        with open(os.path.join(exp, t + ".ndjson"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def as_bundle(own):
        refs = set()
        def walk(n):
            if isinstance(n, dict):
                for k2, v in n.items():
                    if k2 == "reference" and isinstance(v, str):
                        refs.add(v)
                    walk(v)
            elif isinstance(n, list):
                for v in n:
                    walk(v)
        walk(own)
        more = [r for key, r in sorted(shared.items()) if key in refs]
        if any(r["resourceType"] == "Patient" for r in own):
            more.append(shared["Organization/org-health-system"])
        return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in own + more]}

    with open(os.path.join(ROOT, "bundles.ndjson"), "w") as f:
        for tag, own in people:
            f.write(line(as_bundle(own)) + "\n")
    bd = os.path.join(ROOT, "bundles")
    shutil.rmtree(bd, ignore_errors=True)
    os.makedirs(bd)
    for tag, own in people[:2]:
        with open(os.path.join(bd, tag + ".json"), "w") as f:
            json.dump(as_bundle(own), f, indent=1, ensure_ascii=False)
            f.write("\n")

    make_policies()


NEW_CRITERION = """  - id: lower-limb-only
    title: "The CRPS is of a lower limb (HYPOTHETICAL criterion of a test fixture: not a payer's rule)"
    authorRequirement: "Test fixture for mednec impact only: a made-up criterion so that the test has a criterion present in one version only. No payer states it."
    documented: "%crps.exists()"
    met: "%crps.where(bodySite.text.lower().contains('lower limb')).exists()"
    evidence: "%crps"
    satisfiedBy: "A CRPS diagnosis whose body site names a lower limb."
    cite: []

"""


def make_policies():
    text = open("policies/drg-trial-bcbsa.yaml").read()
    head, rest = text.split("\ntests:\n", 1)
    tail = rest[rest.index("\nappeal:\n"):] if "\nappeal:\n" in rest else ""
    text = head + tail
    old = text.replace('version: "2026-11-25"', 'version: "test-old"', 1)
    start = text.index("  - id: no-untreated-sud\n")
    end = text.index("  - id: drug-screen-consistent\n")
    new = text[:start] + NEW_CRITERION + text[end:]
    new = new.replace("criteria: [no-untreated-sud, drug-screen-consistent]", "criteria: [drug-screen-consistent]")
    new = new.replace('version: "2026-11-25"', 'version: "test-next"', 1)
    new = new.replace('title: "Dorsal root ganglion stimulation, trial (BCBSA 7.01.25 family)"',
                      'title: "HYPOTHETICAL next version of drg-trial-bcbsa (test fixture for mednec impact)"', 1)
    pd = os.path.join(ROOT, "policies")
    os.makedirs(pd, exist_ok=True)
    open(os.path.join(pd, "old.yaml"), "w").write(old)
    open(os.path.join(pd, "next.yaml"), "w").write(new)


main()
