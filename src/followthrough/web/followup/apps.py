from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followthrough.web.followup"
    label = "followup"
