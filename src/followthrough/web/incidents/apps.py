from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "followthrough.web.incidents"
    label = "incidents"
