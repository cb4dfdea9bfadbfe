"""`edi-gateway web`: a read-only console over the ledger, per depositor (docs/web.md).

app.py builds the application (pages.py, api.py), queries.py reads the ledger through one owner check, files.py
lists what a flow offers for download, users.py and auth.py sign people in, charts.py draws the statistics, cli.py
holds the `web` and `user` commands. Nothing here is imported by the rest of the gateway: FastAPI is loaded only
when the console runs.
"""
