"""The generic JSON webhook: any script or tool can send incidents (docs/webhook.md).

``POST /ingest/webhook/<source id>/`` with our documented JSON, signed
``X-Followthrough-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t." + body>``.
"""
