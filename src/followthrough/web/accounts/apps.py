from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "followthrough.web.accounts"
    label = "accounts"
    verbose_name = "Teams and people"
