"""Running the service: ``serve``, ``manage`` and ``createuser``.

Every command that touches the database brings it up to date first (``setup_django``):
on a fresh data folder the first command run, whichever it is, creates the tables. Two
commands started at once (``make run`` in one shell, ``createuser`` in another) migrate
one after the other, under a lock (``followthrough.commands.migrating``).
"""

from __future__ import annotations

import os
import secrets
import sys

import click

from followthrough.commands.migrating import migrate_first


def setup_django(*, database: bool = True) -> None:
    """Configure Django; with ``database``, apply any migration not applied yet."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "followthrough.web.settings")
    import django

    django.setup()
    if database:
        migrate_first(lambda line: click.echo(line, err=True))


def _call(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args, verbosity=0)


WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}


def served_url(host: str, port: int) -> str:
    """The address this server answers on, for links it shows (a wildcard bind: loopback)."""
    if host in WILDCARDS:
        host = WILDCARDS[host]
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "followthrough.web.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
        # the application is loaded and warmed once (web/warmup.py), then the workers fork
        # from it and share what it loaded
        "--preload",
    ]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--demo/--no-demo", default=False, help="Load the demo organisation into an empty database."
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, demo: bool, workers: int) -> None:
    """Check the settings, apply migrations, create the cache table and serve pages, API and
    static files. A system check error (an http:// identity provider, say) stops the start.

    The process becomes gunicorn's master (exec): SIGTERM or SIGINT from a supervisor
    (systemd, a container runtime) or Ctrl+C reaches gunicorn itself, which stops its
    workers and frees the port; the process exits when gunicorn has stopped.
    """
    if not os.environ.get("BASE_URL"):
        # Links the service shows (incident source endpoints, e-mails) name this address.
        os.environ["BASE_URL"] = served_url(host, port)
    setup_django(database=False)
    from django.conf import settings
    from django.core.management.base import SystemCheckError

    try:
        _call("check")
    except SystemCheckError as e:
        raise click.ClickException(f"not starting: {e}") from e
    setup_django()

    _call("createcachetable")  # the rate limits' counters, also on a database migrated by hand
    _call("collectstatic", "--noinput")
    if demo:
        from followthrough.web.demo import database_is_empty, load_demo

        if database_is_empty():
            login = load_demo()
            click.secho("Loaded the demo organisation.", fg="green")
            click.echo(f"  Sign in at {settings.BASE_URL}/ as {login.username} / {login.password}")
            click.echo(
                "  (shown once: change it under Admin, or run `followthrough manage changepassword`)"
            )
    db = settings.DATABASES["default"]
    click.echo(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
    click.echo(f"Serving on {served_url(host, port)}/ (Ctrl+C to stop)")
    if host in WILDCARDS:
        click.echo(
            "  Listening on every interface: set BASE_URL to the address people reach, "
            "so links and incident source endpoints name it."
        )
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    argv = gunicorn_argv(host, port, workers)
    os.execv(argv[0], argv)


# Commands that manage the schema themselves, or never read the database: run as they are.
SCHEMA_OR_NO_DATABASE = frozenset(
    {
        "check",
        "compilemessages",
        "diffsettings",
        "help",
        "makemessages",
        "makemigrations",
        "migrate",
        "showmigrations",
        "sqlmigrate",
        "squashmigrations",
        "version",
    }
)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command: followthrough manage migrate, ... check --deploy."""
    command = args[0] if args else "help"
    setup_django(database=command not in SCHEMA_OR_NO_DATABASE and not command.startswith("-"))
    from django.core.management import execute_from_command_line

    from followthrough.web.history.context import acting_as

    with acting_as(f"cli: manage {args[0]}" if args else "cli"):  # changes made by the command
        execute_from_command_line(["followthrough manage", *args])


@click.command()
@click.argument("name")
@click.option("--email", default="", help="E-mail address.")
@click.option("--admin", is_flag=True, help="Make an organisation admin (Django superuser).")
@click.option("--token", is_flag=True, help="Print a new API token (stored hashed: shown once).")
@click.option(
    "--scope",
    type=click.Choice(["read", "write"]),
    default="write",
    show_default=True,
    help="What the --token may do: read only, or read and write.",
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, 365),
    default=90,
    show_default=True,
    help="Days until the --token expires (1-365).",
)
@click.option("--no-password", is_flag=True, help="No password login (API token only).")
def createuser(
    name: str,
    email: str,
    admin: bool,
    token: bool,
    scope: str,
    expires_days: int,
    no_password: bool,
) -> None:
    """Create a login with a generated password, its person record, and optionally an API token."""
    setup_django()
    from django.contrib.auth.models import User
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import transaction

    from followthrough.web.accounts.models import ApiToken, Person

    if User.objects.filter(username=name).exists():
        raise click.UsageError(f"a user named {name!r} already exists")
    if email:
        try:
            validate_email(email)
        except ValidationError as e:
            raise click.UsageError(f"{email!r} is not an e-mail address") from e
    password = None if no_password else secrets.token_urlsafe(12)
    with transaction.atomic():
        user = User(username=name, email=email, is_staff=admin, is_superuser=admin)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        Person.objects.create(name=name, email=email, handle=name, user=user)
        issued = (
            ApiToken.issue_for_days(user, name="createuser", days=expires_days, scope=scope)
            if token
            else None
        )
    click.echo(f"Created {'admin ' if admin else ''}user {name}.")
    if password:
        click.echo(f"Password: {password}")
    if issued:
        made, raw = issued
        click.echo(
            f"API token ({made.scope}, expires {made.expires_at:%Y-%m-%d}; shown once): {raw}"
        )


COMMANDS: list[click.Command] = [serve, manage, createuser]
