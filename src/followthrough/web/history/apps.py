from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "followthrough.web.history"
    label = "history"
