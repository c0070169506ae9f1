"""The load test's users: half browse the pages, half call the API (see README.md).

Run by ``run.py``, which starts the server, signs in once and passes in the environment:
LOAD_SESSION (the session cookie of an admin, shared by the page users: sign-in's password
hashing is deliberately slow and is not what this measures), LOAD_TOKEN (the same person's
API token) and LOAD_TARGETS ("postmortem:incident,..." ids to visit).
"""

from __future__ import annotations

import os
import random

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

TARGETS = (
    [
        (int(pm), int(incident))
        for pm, incident in (
            pair.split(":") for pair in os.environ.get("LOAD_TARGETS", "").split(",")
        )
        if pm
    ]
    if os.environ.get("LOAD_TARGETS")
    else []
)


class PageUser(FastHttpUser):
    """A person in the browser: the incident list, an incident, a postmortem's editor."""

    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.headers = {"Cookie": f"sessionid={os.environ['LOAD_SESSION']}"}

    @task(3)
    def incident_list(self) -> None:
        self.client.get("/", headers=self.headers, name="page: incident list")

    @task(2)
    def incident_page(self) -> None:
        _, incident = random.choice(TARGETS)
        self.client.get(f"/incidents/{incident}/", headers=self.headers, name="page: incident")

    @task(2)
    def editor(self) -> None:
        _, incident = random.choice(TARGETS)
        self.client.get(
            f"/incidents/{incident}/postmortem/",
            headers=self.headers,
            name="page: postmortem editor",
        )


class ApiUser(FastHttpUser):
    """A script with a token: lists incidents and reads postmortems."""

    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {os.environ['LOAD_TOKEN']}"}

    @task(3)
    def incidents(self) -> None:
        self.client.get("/api/v1/incidents", headers=self.headers, name="api: incidents list")

    @task(2)
    def postmortem(self) -> None:
        postmortem, _ = random.choice(TARGETS)
        self.client.get(
            f"/api/v1/postmortems/{postmortem}", headers=self.headers, name="api: postmortem get"
        )
