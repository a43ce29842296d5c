"""The site's URLs with the benchmark's logged-in ceiling, as `make bench` serves them
(BENCH_CEILING on; integration_tracker/urls.py)."""

from django.urls import include, path

from integration_tracker.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("", include("bench.urls"))]
