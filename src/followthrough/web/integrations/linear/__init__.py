"""Linear: GraphQL out (``Authorization: <API key>``), webhooks back (``Linear-Signature``:
hex HMAC-SHA256 of the body, and ``webhookTimestamp`` within a minute).

Create: ``issueCreate`` with the idempotency key as the issue's own ``id``. Status:
``state { name type }``; ``issueUpdate`` with the team's ``stateId`` of the right type.
"""
