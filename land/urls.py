from django.urls import path

from . import views

app_name = "land"

urlpatterns = [
    path("land/", views.group_list, name="group_list"),
    path("land/<slug:slug>/", views.group_detail, name="group"),
    path(
        "land/<slug:slug>/berichte/<slug:report>/fassungen/<int:number>.<str:format>",
        views.version_download,
        name="version_download",
    ),
]
