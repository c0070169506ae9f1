"""Shared web helpers that belong to no app (healthchecks' ``hc/lib``): imported by the apps'
models, views and workers, importing no app themselves."""
