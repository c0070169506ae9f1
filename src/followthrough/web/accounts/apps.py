from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "followthrough.web.accounts"
    label = "accounts"
    verbose_name = "Teams and people"

    def ready(self) -> None:
        from followthrough.web.accounts import checks  # noqa: F401  (registers the checks)
