"""Helpers shared by the web apps (healthchecks ``hc/lib``): no models, no views."""
