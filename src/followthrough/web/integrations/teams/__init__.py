"""Microsoft Teams notifications: messages out to a team's Teams channel.

We POST ``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <Adaptive Card 1.4>}]}`` to the channel's
Workflows webhook URL ("When a Teams webhook request is received"; it answers 202) or a legacy
incoming webhook URL (it answers 200 ``1``). Neither signs nor deduplicates: the URL is the
secret, and the delivery key rides in an ``Idempotency-Key`` header and the card's footer.
"""
