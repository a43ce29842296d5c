from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("konten/", views.account_list, name="account_list"),
    path("konten/einladen/", views.account_invite, name="account_invite"),
    path("konten/<int:pk>/", views.account_detail, name="account_detail"),
    path("konten/<int:pk>/bearbeiten/", views.account_edit, name="account_edit"),
    path("konten/<int:pk>/deaktivieren/", views.account_deactivate, name="account_deactivate"),
    path("konten/<int:pk>/reaktivieren/", views.account_reactivate, name="account_reactivate"),
    path("konten/<int:pk>/einladen/", views.invitation_resend, name="invitation_resend"),
    path("konto/", views.my_account, name="my_account"),
    path("konto/kommune/", views.choose_municipality, name="choose_municipality"),
    path(
        "konto/einladung/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
]
