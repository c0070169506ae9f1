"""Pages of the followup app, included at the site root."""

from django.urls import URLPattern, URLResolver, path

from followthrough.web.followup import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("action-items/<int:pk>/", views.action_item, name="action-item"),
    path("action-items/<int:pk>/<str:op>/", views.item_update, name="action-item-update"),
    path("review/<slug:slug>/", views.weekly_review, name="weekly-review"),
    path("teams/<slug:slug>/follow-up/", views.team_settings, name="team-followup-settings"),
    path("me/notifications/", views.preferences, name="followup-preferences"),
    path("me/work/", views.my_work_page, name="my-work"),
]
