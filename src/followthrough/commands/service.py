"""Placeholder module: its commands are being written."""

import click

COMMANDS: list[click.Command] = []
