from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "followthrough.web.actions"
    label = "actions"
