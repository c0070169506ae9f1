"""Notifications by e-mail, plain text with an HTML alternative, through Django's mail.

The ``Message-ID`` is the notification's delivery key (``<key@host of BASE_URL>``): the same
on every attempt, so a message sent again after a worker died mid-send is recognisably the
same message. SMTP refusals keep the reply code only, never the server's words.
"""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from followthrough.web.lib.delivery import DeliveryError, ErrorKind, Failure

if TYPE_CHECKING:
    from followthrough.web.accounts.models import Person, Team
    from followthrough.web.followup.models import Notification, Preferences, TeamSettings

EMAIL_TIMEOUT = 20.0


def wants(person: Person, prefs: Preferences, team: Team | None, conf: TeamSettings | None) -> bool:
    return bool(prefs.email_enabled and person.email)


def message_id(row: Notification) -> str:
    host = httpx.URL(str(settings.BASE_URL)).host or "followthrough"
    return f"<{row.delivery_key}@{host}>"


def send(row: Notification) -> None:
    if row.recipient is None or not row.recipient.email:
        raise DeliveryError.settings("the recipient has no e-mail address")
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient.email],
        headers={"Message-ID": message_id(row)},
        connection=get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT
        ),
    )
    if row.html:
        email.attach_alternative(row.html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as e:
        codes = sorted({str(code) for code, _ in e.recipients.values()})
        raise DeliveryError(
            Failure(
                ErrorKind.CLIENT,
                permanent=True,
                note=f"the mail server refused the recipient (SMTP {', '.join(codes)})",
            )
        ) from e
    except smtplib.SMTPResponseException as e:
        permanent = 500 <= e.smtp_code < 600
        raise DeliveryError(
            Failure(
                ErrorKind.CLIENT if permanent else ErrorKind.SERVER,
                permanent=permanent,
                note=f"the mail server refused the message (SMTP {e.smtp_code})",
            )
        ) from e
    except (smtplib.SMTPException, OSError) as e:
        timed_out = _timed_out(e)
        raise DeliveryError(
            Failure(
                ErrorKind.TIMEOUT if timed_out else ErrorKind.CONNECTION,
                permanent=False,
                note=(
                    f"mail server unavailable: {'timed out' if timed_out else 'no connection'} "
                    f"({type(e).__name__})"
                ),
            )
        ) from e


def _timed_out(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
