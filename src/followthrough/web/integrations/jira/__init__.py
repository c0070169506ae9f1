"""Jira Cloud: REST API v3 out (basic auth with an account's e-mail and API token), admin
webhooks back (``X-Hub-Signature: sha256=<hex>`` when a secret is set).

Create: ``POST /rest/api/3/issue`` with the description in Atlassian Document Format and a
label ``followthrough-<key>`` that finds the issue again (``GET /rest/api/3/search/jql``).
Status: ``fields.status.name`` and ``fields.status.statusCategory.key`` (new,
indeterminate, done).
"""
