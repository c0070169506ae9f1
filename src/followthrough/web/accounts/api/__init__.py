"""The teams and people part of the REST API."""
