"""Teams, the people on them, API tokens, and who people are at the identity provider."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from followthrough.core.calendar import BusinessCalendar, CalendarError
from followthrough.web.lib.prepared import Lookup
from followthrough.web.lib.read_transactions import write_after_read
from followthrough.web.versioning import Versioned

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    LEAD = "lead", "Lead"


class TeamQuerySet(models.QuerySet["Team"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> TeamQuerySet:
        """Public teams, and private teams the user is a member of. Admins see everything.

        The rule itself lives in ``accounts.visibility`` (with the incident rule beside it).
        """
        from followthrough.web.accounts.visibility import team_q

        return self.filter(team_q(user))

    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> TeamQuerySet:
        """Teams where the user is an editor or lead. Admins edit everything."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            memberships__person__user=user, memberships__role__in=[Role.EDITOR, Role.LEAD]
        ).distinct()

    def led_by(self, user: AbstractBaseUser | AnonymousUser) -> TeamQuerySet:
        """Teams the user leads: a lead member, or the person named the team's lead. Admins
        lead every team (they manage every team's members and settings)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            models.Q(memberships__person__user=user, memberships__role=Role.LEAD)
            | models.Q(lead__user=user)
        ).distinct()


class Team(Versioned):
    """A team owns incidents. Its calendar (timezone + public holidays) sets the deadlines."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO 3166 code of the country whose public holidays the team keeps, e.g. US, GB, DE.",
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="State or region, e.g. CA, BY, ENG."
    )
    is_private = models.BooleanField(
        default=False, help_text="Only members see a private team's incidents and postmortems."
    )
    lead = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams_led"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.calendar()
        except CalendarError as e:
            raise ValidationError(str(e)) from e

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            self.timezone, self.holiday_country or None, self.holiday_subdivision or None
        )

    def role_of(self, user: AbstractBaseUser | AnonymousUser) -> str | None:
        if not user.is_authenticated:
            return None
        m = self.memberships.filter(person__user=user).first()
        return m.role if m else None

    def is_led_by(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        """Whether the user manages this team's members and settings (see ``led_by``)."""
        if user.is_superuser and user.is_active:
            return True  # led_by: an admin leads every team, this one included
        return Team.objects.led_by(user).filter(pk=self.pk).exists()


def validate_zone_name(name: str) -> None:
    """An IANA timezone name this server knows (``Europe/Berlin``), or empty."""
    from followthrough.web.lib.viewer_time import zone_named

    if name and zone_named(name) is None:
        raise ValidationError(
            f"Unknown timezone “{name[:64]}”: give an IANA name such as Europe/Berlin."
        )


class Person(Versioned):
    """Someone who takes part in incidents: may or may not have a login.

    ``manager`` is who stalled action items escalate to; a chain of managers never loops
    (``accounts.operations`` refuses a change that would make one)."""

    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    handle = models.CharField(max_length=64, blank=True, help_text="Chat handle, without @.")
    slack_user_id = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="Slack member id (U…), so /postmortem in Slack knows who is asking.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_zone_name],
        help_text="The timezone pages show times in (an IANA name); empty: your first team's.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def has_working_login(self) -> bool:
        """A login someone already uses: a password set, or signed in once (single sign-on).
        An invitation never sets the password of such a login."""
        user = self.user
        if user is None:
            return False
        return user.has_usable_password() or user.last_login is not None

    def login_state(self) -> str:
        """``yes`` (a working login), ``invited`` (a login waiting for its password) or ``no``."""
        if self.has_working_login():
            return "yes"
        return "invited" if self.user_id is not None else "no"


class Membership(Versioned):
    """A person on a team, with a role: viewers read, editors change the team's records,
    leads also manage its members and settings."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "person"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.team} ({self.role})"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenScope(models.TextChoices):
    """What a token may do. A read token may only use safe methods (GET, HEAD, OPTIONS).

    A SCIM token works on the SCIM endpoint (/scim/v2/, provisioning by the identity
    provider) and nowhere else; an API token never works there.
    """

    READ = "read", "Read: look, never change"
    WRITE = "write", "Write: read and change what your teams let you change"
    SCIM = "scim", "SCIM: provision and deprovision accounts from the identity provider"


# The scopes of personal API tokens (the REST API, the token page).
API_SCOPES = (TokenScope.READ, TokenScope.WRITE)


TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 365
# A token's last use is written at most this often: a busy script's reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRefused(ValueError):
    """A token cannot be issued as asked (e.g. an expiry outside 1–365 days)."""


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def authenticate(self, raw: str, scopes: tuple[str, ...] = API_SCOPES) -> ApiToken | None:
        """The live token with this secret and one of ``scopes``, or None.

        Tokens are looked up by their hash, among all tokens (``ApiToken.objects``). Whether
        the token's account is still active is the caller's to check (and to say).
        """
        token = _TOKEN_BY_DIGEST.find(_digest(raw), using=self.db)
        if token is None or not token.is_live() or token.scope not in scopes:
            return None
        return token


# Every API request looks its token up: its SQL is prepared once (web/lib/prepared.py).
_TOKEN_BY_DIGEST: Lookup[ApiToken] = Lookup(
    lambda digest: ApiToken.objects.select_related("user").filter(digest=digest)
)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once.

    Every token has a scope (read or write) and an expiry (at most a year after it was
    issued); revoking it is final.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(
        cls,
        user: AbstractBaseUser,
        name: str = "default",
        expires_at: datetime | None = None,
        scope: str = TokenScope.WRITE,
    ) -> tuple[ApiToken, str]:
        """A new token and its secret (the only time the secret exists outside the caller).

        Without ``expires_at`` the token lives ``TOKEN_DEFAULT_DAYS`` days; no token lives
        longer than ``TOKEN_MAX_DAYS``.
        """
        now = timezone.now()
        if expires_at is None:
            expires_at = now + timedelta(days=TOKEN_DEFAULT_DAYS)
        # A minute of slack: "365 days from now" computed a moment earlier is still allowed.
        if expires_at > now + timedelta(days=TOKEN_MAX_DAYS, minutes=1):
            raise TokenRefused(f"A token may live at most {TOKEN_MAX_DAYS} days.")
        if scope not in TokenScope.values:
            raise TokenRefused(f"A token's scope is read or write, not {scope!r}.")
        raw = "ft_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=raw[:10],
            digest=_digest(raw),
            expires_at=expires_at,
            scope=scope,
        )
        return token, raw

    @classmethod
    def issue_for_days(
        cls, user: AbstractBaseUser, name: str, days: int, scope: str
    ) -> tuple[ApiToken, str]:
        """``issue`` with an expiry in whole days from now, 1 to ``TOKEN_MAX_DAYS``."""
        if not 1 <= days <= TOKEN_MAX_DAYS:
            raise TokenRefused(
                f"A token expires after 1 to {TOKEN_MAX_DAYS} days; {days} is outside that."
            )
        return cls.issue(user, name, timezone.now() + timedelta(days=days), scope)

    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def mark_used(self) -> None:
        """Note that the token was used now, at most once a ``LAST_USED_RESOLUTION``."""
        now = timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        # Conditional, so concurrent requests within the minute write once between them;
        # SKIP LOCKED, so they never wait on each other: on PostgreSQL an UPDATE that waits
        # for the row keeps it locked to the end of its request, which made every request of
        # one token wait for the one before it.
        stale = ApiToken.objects.filter(pk=self.pk).filter(
            models.Q(last_used_at__isnull=True)
            | models.Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        )

        def stamp() -> None:
            ApiToken.objects.filter(
                pk__in=stale.select_for_update(skip_locked=True).values("pk")
            ).update(last_used_at=now)

        # On a GET the stamp waits for the end of the read transaction: SQLite's reads never
        # take the write lock (web/lib/read_transactions.py).
        write_after_read(stamp)

    def status(self) -> str:
        """``revoked``, ``expired`` or ``live``, for the token list."""
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.expires_at > timezone.now() else "expired"

    def allows(self, method: str) -> bool:
        """Whether this token may make a request with this HTTP method."""
        return self.scope == TokenScope.WRITE or method.upper() in ("GET", "HEAD", "OPTIONS")

    def revoke(self) -> bool:
        """Revoke the token now; False if it already was (the first revocation time stays)."""
        count = ApiToken.objects.filter(pk=self.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        self.refresh_from_db(fields=["revoked_at"])
        return count == 1


INVITATION_DAYS = 7


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self, raw: str) -> Invitation | None:
        """The pending, unexpired invitation whose link carries ``raw``, or None."""
        found = (
            self.select_related("person__user", "team", "invited_by")
            .filter(digest=_digest(raw))
            .first()
        )
        return found if found is not None and found.status() == "pending" else None

    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A link that lets someone set their password and sign in for the first time.

    Sent by e-mail (and shown once to whoever invited). Only the SHA-256 of its secret is
    stored; it works once, for ``INVITATION_DAYS`` days, and a newer invitation of the same
    person revokes it.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation of {self.email}"

    @classmethod
    def issue(
        cls,
        person: Person,
        team: Team | None,
        role: str,
        invited_by: AbstractBaseUser | None,
    ) -> tuple[Invitation, str]:
        """A new invitation and the secret of its link (revoking the person's earlier ones)."""
        now = timezone.now()
        for earlier in cls.objects.filter(person=person).pending():
            earlier.revoke()
        raw = "ft_inv_" + secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            person=person,
            team=team,
            role=role,
            email=person.email,
            invited_by=invited_by,
            digest=_digest(raw),
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        return invitation, raw

    def status(self) -> str:
        """``accepted``, ``revoked``, ``expired`` or ``pending``."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "pending" if self.expires_at > timezone.now() else "expired"

    def revoke(self) -> bool:
        """Revoke it now; False if it was not pending any more."""
        return self._spend("revoked_at")

    def accept(self) -> bool:
        """Mark it used now; False if it was not pending any more (used, revoked, expired)."""
        return self._spend("accepted_at")

    def _spend(self, field: str) -> bool:
        # A saved row (not an UPDATE), so the history records it; under a row lock, so a
        # link used twice at once is spent once.
        with transaction.atomic():
            row = Invitation.objects.select_for_update().filter(pk=self.pk).pending().first()
            if row is not None:
                setattr(row, field, timezone.now())
                row.save(update_fields=[field])
        self.refresh_from_db(fields=["accepted_at", "revoked_at"])
        return row is not None


def visible_teams(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Team]:
    return Team.objects.visible_to(user)


class Organisation(models.Model):
    """The one organisation this installation serves, and its postmortem policy."""

    name = models.CharField(max_length=100, default="Our organisation")
    policy = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Overrides of the seed's 'When to Run' rules, e.g. "
            '{"required_severities": ["P0", "P1"], "security": "required"}.'
        ),
    )

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from followthrough.core.policy import PolicyConfig

        try:
            PolicyConfig.from_mapping(self.policy or {})
        except ValueError as e:
            raise ValidationError({"policy": str(e)}) from e

    @classmethod
    def current(cls) -> Organisation:
        org = cls.objects.order_by("pk").first()
        if org is not None:
            return org
        # Made on first use, often by a page (a GET): take the write lock a read lacks.
        from followthrough.web.lib.read_transactions import take_write_lock

        take_write_lock()
        return cls.objects.order_by("pk").first() or cls.objects.create()

    def policy_config(self):  # type: ignore[no-untyped-def]
        from followthrough.core.policy import PolicyConfig

        return PolicyConfig.from_mapping(self.policy or {})


class SsoIdentity(models.Model):
    """Who an account is at the identity provider: the (issuer, subject) pair, one per account.

    The provider's subject id (``sub``) never changes and is never given to anyone else, so
    an account follows it: a changed e-mail address at the provider updates ``email`` (and
    the account's), and someone else handed a recycled address never gets this account.

    A row with an empty ``subject`` is an invitation: an admin (``followthrough invite``,
    the admin site) or the provider's SCIM provisioning made the account, and the first
    sign-in from the configured issuer with this verified address (or, from SCIM, with
    ``scim_external_id`` as its subject) claims it and fills in the subject.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(
        max_length=255, blank=True, help_text="The provider's `sub`; empty until first sign-in."
    )
    email = models.EmailField(blank=True, help_text="The address the provider last gave.")
    scim_external_id = models.CharField(
        max_length=255, blank=True, help_text="The provider's id for this account in SCIM."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"],
                condition=~models.Q(subject=""),
                name="one_account_per_sso_subject",
            )
        ]

    def __str__(self) -> str:
        who = self.subject or f"invited as {self.email}"
        return f"{self.user} at {self.issuer} ({who})"

    @property
    def is_invitation(self) -> bool:
        return not self.subject

    def clean(self) -> None:
        # The rule of accounts.identities: an identity never attaches to an admin account by
        # an admin's hand either (admin rights come to such accounts from the admin group).
        admin = self.user_id is not None and (self.user.is_superuser or self.user.is_staff)
        if self._state.adding and admin:
            raise ValidationError(
                {"user": "Single sign-on never takes over an admin (superuser or staff) account."}
            )


class SsoRefusal(models.Model):
    """A sign-in the identity provider vouched for and followthrough refused, and why.

    Only sign-ins with a verified ID token are kept (a forged or replayed callback is only
    logged: anyone can send those). The same refusal of the same subject is kept once an
    hour, so a retrying browser does not fill the table.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    email = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=40)
    message = models.TextField(help_text="The sentence the person was shown.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account the sign-in would have used, if there was one.",
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "refused single sign-on"

    def __str__(self) -> str:
        return f"refused {self.email or self.subject}: {self.reason}"
