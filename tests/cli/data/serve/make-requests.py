#!/usr/bin/env python3
"""Write the CDS Hooks order-sign requests tests/cli/serve.sh and bench/serve.sh post, from the example case
examples/crps-ii-drg-trial.json (run by hand from the repository root when the example changes; the output is
checked in):

  order-sign-crps.json          the example as a CRD order-sign request: the ServiceRequest as a draft order in
                                context.draftOrders, the rest of the record in the prefetch keys mednec's discovery
                                names; the Practitioners, which have no key of their own, go into
                                "serviceRequestBundle" as _include'd entries (search mode "include"), the way its
                                query (_include=ServiceRequest:performer, ...) brings them; plus a fictional
                                Coverage
  order-sign-crps-no-psych.json the same without the psychological evaluation (Procedure psych-eval-2026-03 and
                                Observation psych-clearance-2026-03): one criterion is no longer documented
"""
import copy
import json

KEYS = {"Patient": "patient", "Coverage": "coverage", "Condition": "conditions", "Procedure": "procedures",
        "MedicationStatement": "medicationStatements", "MedicationRequest": "medicationRequests",
        "Observation": "observations", "DiagnosticReport": "diagnosticReports", "Device": "devices",
        "ServiceRequest": "serviceRequests", "Encounter": "encounters"}

COVERAGE = {"resourceType": "Coverage", "id": "cov-crps-001", "status": "active",
            "beneficiary": {"reference": "Patient/pat-crps-001"},
            "payor": [{"display": "Example Health Plan (fictional)"}]}


def request(bundle, drop=()):
    order = None
    prefetch = {}
    for e in bundle["entry"] + [{"resource": COVERAGE}]:
        r = e["resource"]
        if r["id"] in drop:
            continue
        if r["resourceType"] == "ServiceRequest":
            order = copy.deepcopy(r)
            order["status"] = "draft"
            order["intent"] = "original-order"
            order["insurance"] = [{"reference": "Coverage/cov-crps-001"}]
            continue
        key = KEYS.get(r["resourceType"], "serviceRequestBundle")
        if key == "patient":
            prefetch[key] = r
        else:
            prefetch.setdefault(key, {"resourceType": "Bundle", "type": "searchset", "entry": []})
            entry = {"fullUrl": "http://ehr.example.org/fhir/%s/%s" % (r["resourceType"], r["id"]), "resource": r}
            if r["resourceType"] not in KEYS:
                entry["search"] = {"mode": "include"}
            prefetch[key]["entry"].append(entry)
    return {"hook": "order-sign", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/prac-pain-001", "patientId": "pat-crps-001",
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": order}]}},
            "prefetch": prefetch}


ex = json.load(open("examples/crps-ii-drg-trial.json"))
for name, drop in (("order-sign-crps.json", ()),
                   ("order-sign-crps-no-psych.json", ("psych-eval-2026-03", "psych-clearance-2026-03"))):
    with open("tests/cli/data/serve/" + name, "w") as f:
        json.dump(request(ex, drop), f, indent=1)
        f.write("\n")
