"""Slack: the ``/postmortem`` command in, notifications out.

In: Slack posts a form (``team_id``, ``user_id``, ``command``, ``text``, ...) to
``/ingest/slack/commands/``, signed ``X-Slack-Signature: v0=<hex HMAC-SHA256 of
"v0:<X-Slack-Request-Timestamp>:<body>">`` with the signing secret of the app installed in
the workspace ``team_id``. Out: ``chat.postMessage`` with a bot token, or an incoming webhook.
"""
