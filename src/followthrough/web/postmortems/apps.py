from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "followthrough.web.postmortems"
    label = "postmortems"

    def ready(self) -> None:
        from followthrough.web.postmortems import signals

        signals.connect()
