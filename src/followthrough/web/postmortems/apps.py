from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "followthrough.web.postmortems"
    label = "postmortems"
