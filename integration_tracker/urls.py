from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.login import AdminLoginForm, LoginView, PasswordChangeView
from accounts.views import (
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
    set_language,
)
from helpers.views import healthz, ready

admin.site.site_header = _("Integration Tracker – administration")
admin.site.site_title = _("Integration Tracker")
admin.site.index_title = _("Master data")
admin.site.login_form = AdminLoginForm

handler400 = "helpers.errors.bad_request"
handler403 = "helpers.errors.permission_denied"
handler404 = "helpers.errors.page_not_found"
handler500 = "helpers.errors.server_error"

urlpatterns = [
    path("", include("measures.urls")),
    path("", include("reports.urls")),
    path("", include("accounts.urls")),
    path("", include("working_groups.urls")),
    path("", include("land.urls")),
    # Before Django's own, which they replace (see accounts.py and accounts/views.py).
    path("konto/login/", LoginView.as_view(), name="login"),
    path("konto/password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("konto/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "konto/password_reset/done/",
        PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "konto/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("konto/", include("django.contrib.auth.urls")),
    # Before Django's own, which it wraps: the choice is remembered for e-mails.
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("healthz/ready/", ready, name="ready"),
]
if settings.BENCH_CEILING:
    # The benchmark's reference page (bench/views.py): only under `make bench`, whose
    # gunicorn sets BENCH_CEILING=1; never in a normal run.
    urlpatterns.append(path("", include("bench.urls")))
