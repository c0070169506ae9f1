from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "followthrough.web.front"
    label = "front"
