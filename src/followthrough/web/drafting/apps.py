from django.apps import AppConfig


class DraftingConfig(AppConfig):
    name = "followthrough.web.drafting"
    label = "drafting"
    verbose_name = "Drafted initial timelines"
