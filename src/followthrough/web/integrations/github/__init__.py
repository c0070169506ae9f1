"""GitHub Issues: REST out (``Authorization: Bearer``, API version 2022-11-28), webhooks
back (``X-Hub-Signature-256: sha256=<hex>``).

Create: ``POST /repos/{owner}/{repo}/issues`` with a hidden marker in the body. Status:
``state`` and ``state_reason``; ``PATCH`` closes as completed or not_planned, and reopens.
"""
