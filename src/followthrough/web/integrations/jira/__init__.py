"""Jira Cloud: REST API v3 out (basic auth with an account's e-mail and API token), admin
webhooks back (``X-Hub-Signature: sha256=<hex>``, the body's ``timestamp`` in a window).

Create: ``POST /rest/api/3/issue`` with the fields the project's create screen has
(``createmeta``), the description in Atlassian Document Format and a label
``followthrough-<key>`` that finds the issue again. Status: ``fields.status.name`` and
``fields.status.statusCategory.key`` (new, indeterminate, done); a standing becomes the
workflow's own transition (``GET``/``POST .../transitions``).
"""
