"""GitLab issues: REST v4 out (``PRIVATE-TOKEN`` header), project webhooks back
(``X-Gitlab-Token``: a shared secret, not a signature, compared in constant time).

Create: ``POST /api/v4/projects/:id/issues`` (title, description, labels, assignee_ids,
due_date). Status: the issue's ``state`` (opened, closed); ``PUT ... state_event`` closes
and reopens.
"""
