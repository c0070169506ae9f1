from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "followthrough.web.history"
    label = "history"

    def ready(self) -> None:
        from followthrough.web.history import signals

        signals.connect()
