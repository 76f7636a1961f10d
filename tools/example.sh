#!/usr/bin/env bash
# Build mednec and run the main job on the bundled example: the determination
# and the letter of medical necessity for the DRG stimulation trial case.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
case=examples/crps-ii-drg-trial.json
./build/mednec determine "$case" --policy drg-stimulation-trial --as-of 2026-11-20
echo
./build/mednec letter "$case" --policy drg-stimulation-trial --as-of 2026-11-20
