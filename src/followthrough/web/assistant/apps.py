from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "followthrough.web.assistant"
    label = "assistant"
    verbose_name = "Writing assistant"
