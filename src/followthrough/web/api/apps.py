from django.apps import AppConfig, apps


class ApiConfig(AppConfig):
    """The REST API; its app holds the idempotency records of POST requests."""

    name = "followthrough.web.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from followthrough.web.lib import dates

        # Every date field of followthrough's models, whichever app holds it, accepts only
        # the one range (followthrough.web.lib.dates): pages, admin, API and import alike.
        own = tuple(
            config.label
            for config in apps.get_app_configs()
            if config.name.startswith("followthrough.")
        )
        dates.bound_model_fields(own)
