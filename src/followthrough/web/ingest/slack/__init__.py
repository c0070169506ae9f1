"""Slack: the /postmortem slash command, verified with Slack's v0 request signature."""
