#!/usr/bin/env python3
"""Print the example case (examples/crps-ii-drg-trial.json) as a PAS request Bundle for Claim/$submit: a Claim
first (preauthorization for the DRG stimulation trial, mednec's local service code, so that exactly the DRG trial
policy matches), then every resource of the example. Arguments are resource ids to leave out: the tests leave out
the psychological evaluation (psych-eval-2026-03 psych-clearance-2026-03) to get a pended variant (that criterion
is then not documented). Run from the repository root; used by tests/cli/review.sh and tests/browser/review.mjs.
"""
import json
import sys

drop = set(sys.argv[1:])
ex = json.load(open("examples/crps-ii-drg-trial.json"))
claim = {
    "resourceType": "Claim", "id": "claim-drg-trial", "status": "active",
    "identifier": [{"system": "urn:mednec:test:claim", "value": "claim-drg-trial-" + ("pended" if drop else "full")}],
    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
    "use": "preauthorization", "patient": {"reference": "Patient/pat-crps-001"}, "created": "2026-11-20",
    "insurer": {"display": "Example Health Plan (fictional)"},
    "provider": {"reference": "Practitioner/prac-pain-001"},
    "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
    "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "the member's coverage"}}],
    "item": [{"sequence": 1, "productOrService": {"coding": [
        {"system": "urn:mednec:local:service", "code": "drg-stimulation-trial",
         "display": "Dorsal root ganglion stimulation trial"}]}}],
}
entries = [{"resource": claim}] + [e for e in ex["entry"] if e["resource"].get("id") not in drop]
json.dump({"resourceType": "Bundle", "type": "collection", "entry": entries}, sys.stdout)
