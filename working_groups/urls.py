from django.urls import path

from . import views

app_name = "working_groups"

urlpatterns = [
    path("einstellungen/", views.settings_page, name="settings"),
    path("einstellungen/<slug:slug>/", views.settings_save, name="settings_save"),
]
