"""Route stage: which public structure, service and billing frame an invoice goes to, and whether its depositor
may deposit it.

- `structures.py`: what routing knows of a structure (from the directory) and of a depositor (from the ledger);
- `directory.py`: reading the export of the directory of public structures;
- `frames.py`: the billing frames (cadres de facturation) A1…A25;
- `router.py`: the route of an invoice (recipient, service, frame, engagement);
- `rules.py`: the routing and depositor rules (DEP-xx, ROUTE-xx), registered with the validation rules.
"""
