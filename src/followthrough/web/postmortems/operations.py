"""State changes that touch several rows: small, atomic, and the only way pages and API make them.

Milestones complete from what happened, never from a checkbox: the first timeline event
documents the timeline, a meeting time schedules the meeting, going final finalises the
document, and owned + dated action items make them tracked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from followthrough.core.agenda import MAX_MINUTES, MIN_MINUTES, facilitator_refusal
from followthrough.web.accounts.models import Person
from followthrough.web.history.recording import recording_update
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    Status,
    TimelineEvent,
    Why,
)
from followthrough.web.versioning import save_versioned

# Clocks differ a little between a browser and the server: "held at" may be this far ahead.
HELD_AT_LEEWAY = timedelta(minutes=5)


class Refused(Exception):
    """A request that breaks a rule of the process. ``reasons`` says which, in words."""

    def __init__(self, reasons: list[str], field: str | None = None) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons
        self.field = field


class PostmortemExists(Refused):
    def __init__(self, postmortem: Postmortem) -> None:
        super().__init__([f"{postmortem.incident.key} already has a postmortem."])
        self.postmortem = postmortem


@transaction.atomic
def start_postmortem(incident: Incident, user: AbstractBaseUser | None) -> Postmortem:
    """Open the postmortem of an incident, with its meeting, attendees pre-filled."""
    if Postmortem.objects.filter(incident=incident).exists():
        raise PostmortemExists(incident.postmortem)
    postmortem = Postmortem.objects.create(
        incident=incident, summary=incident.summary, created_by=user
    )
    meeting = Meeting.objects.create(postmortem=postmortem)
    attendees = incident.involved_people()
    lead = incident.team.lead
    if lead is not None and lead not in attendees:
        attendees.append(lead)
    meeting.attendees.set(attendees)
    return postmortem


def add_timeline_event(
    postmortem: Postmortem, occurred_at: datetime, description: str
) -> TimelineEvent:
    with transaction.atomic():
        event = TimelineEvent.objects.create(
            postmortem=postmortem, occurred_at=occurred_at, description=description
        )
        # Unrecorded on purpose: a milestone derived from the event, whose creation is recorded.
        if Postmortem.objects.filter(pk=postmortem.pk, timeline_documented_at=None).update(
            timeline_documented_at=timezone.now()
        ):
            derived.refresh([postmortem.incident_id])  # a milestone done
    return event


def check_facilitator(meeting: Meeting, person: Person | None) -> None:
    """Refuse a facilitator who was involved in the incident (seed: someone not directly involved)."""
    if person is None:
        return
    incident = meeting.postmortem.incident
    refusal = facilitator_refusal(
        person.pk,
        incident.commander_id,
        [r.pk for r in incident.responders.all()],
        candidate_name=person.name,
    )
    if refusal:
        raise Refused([refusal], field="facilitator")


@transaction.atomic
def update_meeting(
    meeting: Meeting,
    expected_version: int,
    fields: dict[str, Any],
    attendees: list[Person] | None = None,
) -> Meeting:
    """Change the meeting. Giving it a time for the first time completes "meeting scheduled".

    "Held at" in the future is refused; the facilitator is always an attendee.
    """
    if "facilitator" in fields:
        check_facilitator(meeting, fields["facilitator"])
    minutes = fields.get("duration_minutes", meeting.duration_minutes)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise Refused(
            [f"A postmortem meeting runs {MIN_MINUTES} to {MAX_MINUTES} minutes; got {minutes}."],
            field="duration_minutes",
        )
    held_at = fields.get("held_at")
    if held_at is not None and held_at > timezone.now() + HELD_AT_LEEWAY:
        local = timezone.localtime(held_at).strftime("%a %d %b %Y %H:%M %Z")
        raise Refused(
            [f"“Held at” is {local}, in the future: record the meeting once it has happened."],
            field="held_at",
        )
    if fields.get("scheduled_for") and meeting.scheduled_at is None:
        fields = {**fields, "scheduled_at": timezone.now()}
    save_versioned(meeting, expected_version, fields)
    if attendees is not None:
        meeting.attendees.set(attendees)
    if meeting.facilitator is not None:
        # The facilitator runs the meeting: always among its attendees (add is a no-op
        # when they are there already).
        meeting.attendees.add(meeting.facilitator)
    return meeting


def refresh_actions_tracked(postmortem: Postmortem) -> None:
    """Record when every action item first had one owner and a due date (and there was one)."""
    items = list(postmortem.action_items.all())
    tracked = bool(items) and all(item.is_tracked() for item in items)
    if tracked and postmortem.actions_tracked_at is None:
        # Unrecorded on purpose: a milestone derived from the items, whose changes are recorded.
        done = Postmortem.objects.filter(pk=postmortem.pk, actions_tracked_at=None).update(
            actions_tracked_at=timezone.now()
        )
        if done:
            derived.refresh([postmortem.incident_id])  # a milestone done
    postmortem.refresh_from_db(fields=["actions_tracked_at"])


def transition_problems(postmortem: Postmortem, to: str, override_reason: str = "") -> list[str]:
    """Everything that stands in the way of moving to ``to``, in words. Empty: allowed.

    Going final also needs the linter's error-level findings fixed, unless someone records
    why the document goes final anyway (``override_reason``).
    """
    if to not in postmortem.allowed_transitions():
        allowed = ", ".join(Status(s).label for s in postmortem.allowed_transitions())
        return [
            f"A postmortem cannot go from {Status(postmortem.status).label.lower()} to "
            f"{Status(to).label.lower()}; from here it can go to: {allowed}."
        ]
    problems: list[str] = []
    if to == Status.IN_REVIEW and postmortem.status == Status.DRAFT:
        if not postmortem.summary.strip():
            problems.append("Write a summary before asking for review.")
        if not postmortem.timeline_events.exists():
            problems.append("Document the timeline (at least one event) before asking for review.")
    if to == Status.FINAL:
        problems.extend(_final_problems(postmortem))
        problems.extend(_lint_problems(postmortem, override_reason))
    if to == Status.CLOSED:
        open_items = [i for i in postmortem.action_items.all() if not i.is_closed()]
        if open_items:
            problems.append(
                f"{len(open_items)} action item(s) are not done yet: a postmortem is done when "
                "its action items are complete."
            )
        for item in postmortem.action_items.filter(status="deprioritised", deprioritised_reason=""):
            problems.append(f"“{item.title}” was deprioritised without a written reason.")
    return problems


def _lint_problems(postmortem: Postmortem, override_reason: str) -> list[str]:
    from followthrough.web.postmortems.linting import review

    errors = review(postmortem).errors
    if not errors or override_reason.strip():
        return []
    listed = "; ".join(f"{f.rule} {f.message}" for f in errors[:5])
    more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
    return [
        f"The linter found {len(errors)} error(s): {listed}{more}. Fix them, or record a "
        "reason to go final anyway."
    ]


def _final_problems(postmortem: Postmortem) -> list[str]:
    problems: list[str] = []
    if postmortem.incident.resolved_at is None:
        problems.append("The incident is not resolved yet.")
    meeting = getattr(postmortem, "meeting", None)
    if meeting is None or meeting.held_at is None:
        problems.append("Hold the postmortem meeting before finalising the document.")
    if not postmortem.root_cause.strip():
        problems.append("State the root cause.")
    elif not postmortem.root_cause_category:
        problems.append(
            "Give the root cause a category (process, tooling, knowledge, capacity, communication)."
        )
    items = list(postmortem.action_items.select_related("owner"))
    if not items:
        problems.append(
            "Add at least one action item: a postmortem that changes nothing is worse than none."
        )
    for item in items:
        if item.owner_id is None:
            problems.append(f"“{item.title}” has no owner: one person, not a committee.")
        if item.due_date is None:
            problems.append(f"“{item.title}” has no due date.")
    return problems


@transaction.atomic
def transition(
    postmortem: Postmortem,
    to: str,
    expected_version: int,
    user: AbstractBaseUser | None = None,
    override_reason: str = "",
) -> Postmortem:
    """Move the postmortem to another status, or refuse with every reason."""
    if to not in Status.values:
        raise Refused(
            [f"Unknown status “{to}”; use one of: {', '.join(Status.values)}."], field="status"
        )
    # A row lock before the lint gate reads the document: a change being saved at the same
    # moment (which takes the same lock, ``locking.open_for_edit``) lands before or after.
    Postmortem.objects.select_for_update().filter(pk=postmortem.pk).values_list("pk").first()
    problems = transition_problems(postmortem, to, override_reason)
    if problems:
        raise Refused(problems, field="status")
    fields: dict[str, Any] = {"status": to}
    now = timezone.now()
    if to == Status.FINAL and postmortem.finalized_at is None:
        fields["finalized_at"] = now
    if to == Status.FINAL and override_reason.strip():
        fields["final_override_reason"] = override_reason.strip()
    if to == Status.CLOSED:
        fields["closed_at"] = now
    if postmortem.status == Status.CLOSED:
        fields["closed_at"] = None
    if to == Status.IN_REVIEW and postmortem.status in (Status.FINAL, Status.CLOSED):
        # The gate applies again: a reason to go final despite lint errors was about the
        # document as it was then.
        fields["final_override_reason"] = ""
    save_versioned(postmortem, expected_version, fields)
    if to == Status.FINAL:
        # Every item may already be done: then the postmortem is done too (seed: Closing the Loop).
        from followthrough.web.postmortems.loop import close_the_loop

        close_the_loop(postmortem, user)
        postmortem.refresh_from_db()
    return postmortem


# Lists whose rows keep a position the client orders: related name -> model. Every change
# of one goes through ``append``, ``reorder`` or ``move``, which take the postmortem's lock
# first (tests/web/faults/test_parallel_positions.py checks that no other model has one).
POSITIONED: dict[str, type[Why] | type[ContributingFactor]] = {
    "whys": Why,
    "factors": ContributingFactor,
}


def lock_for_positions(postmortem: Postmortem) -> None:
    """Take the postmortem's row lock (``SELECT ... FOR NO KEY UPDATE``) until the end of
    the transaction: the first step of every change of one of its positioned lists.

    Two adds then never read the same last position, and two reorders take turns instead
    of each locking the rows in its own order (a deadlock on PostgreSQL). ``NO KEY``: rows
    inserted under the postmortem meanwhile (timeline events, items) do not wait for it.
    On SQLite every write transaction already has the database to itself.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("Lock a postmortem inside a transaction.")
    rows = Postmortem._base_manager.select_for_update(no_key=True).filter(pk=postmortem.pk)
    list(rows.values_list("pk", flat=True))


def next_position(postmortem: Postmortem, related_name: str) -> int:
    """One past the last position of the list (read under ``lock_for_positions``)."""
    last = (
        getattr(postmortem, related_name)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return 0 if last is None else last + 1


@transaction.atomic
def append(postmortem: Postmortem, related_name: str, **fields: Any) -> Why | ContributingFactor:
    """Add a why or a factor at the end of its list: validated, saved, with the next position."""
    lock_for_positions(postmortem)
    row = POSITIONED[related_name](
        postmortem=postmortem, position=next_position(postmortem, related_name), **fields
    )
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def reorder(postmortem: Postmortem, related_name: str, ids: list[int]) -> None:
    """Put the whys or factors of a postmortem in the order of ``ids`` (all of them, once each)."""
    lock_for_positions(postmortem)
    rows = getattr(postmortem, related_name)
    current = set(rows.values_list("id", flat=True))
    if sorted(ids) != sorted(current) or len(set(ids)) != len(ids):
        raise Refused(
            ["The new order must list every item of this postmortem exactly once."], field="order"
        )
    for position, pk in enumerate(ids):
        with recording_update(rows.model(pk=pk)):  # an UPDATE sends no signal
            rows.filter(pk=pk).update(position=position)


@transaction.atomic
def move(postmortem: Postmortem, related_name: str, pk: int, direction: str) -> None:
    """Swap a why or factor with its neighbour above ("up") or below ("down"), if any."""
    lock_for_positions(postmortem)
    ids: list[int] = list(getattr(postmortem, related_name).values_list("pk", flat=True))
    i = ids.index(pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        reorder(postmortem, related_name, ids)
