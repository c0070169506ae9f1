"""Linear: GraphQL out (``Authorization: <API key>``), webhooks back (``Linear-Signature``:
hex HMAC-SHA256 of the body, and ``webhookTimestamp`` within a minute).

Create: ``issueCreate`` with the idempotency key as the issue's own ``id``, so a second
create of the same item is refused by Linear and answered by looking the issue up.
Status: ``state { name type }`` (type: triage, backlog, unstarted, started, completed,
canceled).
"""
