"""``followthrough worker``: periodic checks, queued jobs and outgoing messages."""

from __future__ import annotations

import click

from followthrough.commands.service import setup_django


@click.command()
@click.option("--once", is_flag=True, help="Run everything due now, then exit (cron, tests).")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1, max=3600),
    help="Seconds between passes.",
)
@click.option(
    "--worker-id",
    default=None,
    help="A name for this worker, unique among the running ones (default: host-pid-random).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on a pass.")
def worker(once: bool, interval: float, worker_id: str | None, quiet: bool) -> None:
    """Run the follow-through worker: reminders, weekly reviews, escalations, closing the
    loop, queued tasks and message delivery. Several may run at once; SIGTERM stops it cleanly."""
    if worker_id is not None and not 1 <= len(worker_id) <= 64:
        raise click.UsageError("--worker-id must be 1 to 64 characters")
    setup_django()
    from followthrough.web.followup.worker import Pass, default_worker_id, run
    from followthrough.web.history.context import acting_as

    name = worker_id or default_worker_id()

    def report(done: Pass) -> None:
        if quiet:
            return
        for line in done.jobs:
            click.echo(f"job {line}")
        if done.tasks or done.sent or done.retrying or done.failed:
            click.echo(
                f"tasks {done.tasks}, messages sent {done.sent}, retrying {done.retrying}, "
                f"failed {done.failed}"
            )

    if not quiet and not once:
        click.echo(f"Worker {name}: a pass every {interval:g} s (SIGTERM or Ctrl+C to stop)")
    with acting_as("worker"):  # what the worker changes, the history says the worker did
        run(once=once, interval=interval, worker_id=name, report=report)


COMMANDS: list[click.Command] = [worker]
