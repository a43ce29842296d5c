"""Included by integration_tracker/urls.py only when BENCH_CEILING is on (make bench)."""

from django.urls import path

from .views import logged_in_ceiling

urlpatterns = [
    path("bench/logged-in-ceiling/", logged_in_ceiling, name="bench_logged_in_ceiling"),
]
