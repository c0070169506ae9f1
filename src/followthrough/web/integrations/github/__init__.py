"""GitHub Issues: REST out (``Authorization: Bearer``, API version 2022-11-28), webhooks
back (``X-Hub-Signature-256: sha256=<hex>``).

Create: ``POST /repos/{owner}/{repo}/issues`` with a hidden marker
``<!-- followthrough:<key> -->`` in the body, found again by listing the repository's
issues (by the team's labels, since the link was made). Status: ``state`` and
``state_reason``.
"""
