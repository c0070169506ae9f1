"""Deleting with a confirmation step, and the trash where admins restore what was deleted.

A delete hides rows (an admin can bring them back); the confirmation page says what goes
with it and carries the version the person saw, so a delete of something changed since is
refused (409) and shown again. The trash (``/trash/``) is for superusers only: anyone else
gets 404, as for a page that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from followthrough.web import recovery
from followthrough.web.front.common import login_required
from followthrough.web.postmortems.locking import DocumentLocked
from followthrough.web.softdelete import SoftDeletable
from followthrough.web.versioning import StaleVersion


def confirm_delete(
    request: HttpRequest,
    row: SoftDeletable,
    *,
    what: str,
    consequences: list[str],
    cancel_url: str,
    done_url: str,
    lock: Callable[[bool], None] | None = None,
    lock_reason: str = "",
    can_send_back: bool = False,
) -> HttpResponse:
    """GET: the confirmation page. POST: delete at the version shown, then go to ``done_url``.

    ``lock``: called (in the delete's transaction) with the editor's choice to send a final
    postmortem back to review; it raises ``DocumentLocked`` to refuse. ``lock_reason`` and
    ``can_send_back`` say so on the page before anyone confirms.
    """
    context = {
        "what": what,
        "consequences": consequences,
        "cancel_url": cancel_url,
        "version": getattr(row, "version", 1),
        "lock_reason": lock_reason,
        "can_send_back": can_send_back,
    }
    if request.method != "POST":
        return render(request, "front/confirm_delete.html", context)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        context["error"] = "The form lost the version you saw; confirm again."
        return render(request, "front/confirm_delete.html", context, status=400)
    try:
        with transaction.atomic():
            if lock is not None:
                lock(request.POST.get("send_back_to_review") == "1")
            deletion = recovery.delete(row, request.user, expected_version=version)
    except DocumentLocked as refused:
        context["error"] = " ".join(refused.reasons)
        return render(request, "front/confirm_delete.html", context, status=422)
    except StaleVersion:
        context["error"] = (
            f"The {what} was changed by someone else since you opened this page; "
            "check it again, then confirm."
        )
        return render(request, "front/confirm_delete.html", context, status=409)
    except recovery.AlreadyDeleted:
        messages.info(request, f"The {what} was deleted already.")
        return redirect(done_url)
    messages.success(request, f"{deletion.summary()} An admin can restore it from the trash.")
    return redirect(done_url)


def _admin_only(request: HttpRequest) -> None:
    if not (request.user.is_active and request.user.is_superuser):
        raise Http404("There is no such page.")


@login_required
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    """Everything deleted, newest delete first: what, when, who, and the rows it hid."""
    _admin_only(request)
    return render(request, "front/trash.html", {"batches": recovery.trash()})


@login_required
@require_POST
def trash_restore(request: HttpRequest, batch: uuid.UUID) -> HttpResponse:
    """Restore one delete: every row it hid comes back, or none does."""
    _admin_only(request)
    try:
        restored = recovery.restore(batch, request.user)
    except recovery.RestoreRefused as e:
        messages.error(request, "Nothing was restored. " + " ".join(e.reasons))
        return redirect("trash")
    except IntegrityError:
        # A live row took the same unique value between the check and the restore.
        messages.error(
            request, "Nothing was restored: it conflicts with a change made at the same moment."
        )
        return redirect("trash")
    head = restored[0]
    others = len(restored) - 1
    notice = f"Restored {recovery.describe(head)}"
    if others:
        notice += f" and {others} row{'s' if others != 1 else ''} under it"
    messages.success(request, notice + ".")
    return redirect("trash")
