"""Front: the webhook ingest (`webhooks`, `ingest`) and the API client (`client`).

Import the submodules you need; this package imports nothing heavy so the
webhook function stays quick to start.
"""
