"""The quality gate: Great Expectations suites that must pass before anything is published.

contracts/QUALITY.md lists what the gate validates. The suites, validation
definitions and checkpoints are declared in code (`suites/`, `declare.py`) and
committed as the File Data Context in expectations/gx/; `gate.run_gate` runs
them for a business date, keeps every result and tells the owners.
"""
