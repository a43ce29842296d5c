from django.urls import path

from . import accessibility, design_page, section_editing, views

app_name = "reports"

urlpatterns = [
    path("fortschritt/", views.overview, name="overview"),
    path("fortschritt/massnahmen/<int:pk>/", views.measure_progress, name="measure"),
    path("fortschritt/mitwirkende/", views.members, name="members"),
    path("fortschritt/foerderung/", views.funding, name="funding"),
    path("fortschritt/handlungsbedarfe/", views.needs, name="needs"),
    path("offene-daten/", views.open_data, name="open_data"),
    path("offene-daten/massnahmen.csv", views.open_data_csv, name="open_data_csv"),
    path("offene-daten/massnahmen.json", views.open_data_json, name="open_data_json"),
    path("berichte/", views.report_list, name="report_list"),
    path("berichte/<slug:slug>/", views.report_detail, name="report_detail"),
    path("berichte/<slug:slug>/veroeffentlichen/", views.report_publish, name="report_publish"),
    path(
        "berichte/<slug:slug>/veroeffentlichen/<int:pk>/",
        views.publication_detail,
        name="publication",
    ),
    path(
        "berichte/<slug:slug>/fassungen/<int:number>/",
        views.version_detail,
        name="version_detail",
    ),
    path(
        "berichte/<slug:slug>/fassungen/<int:number>/vergleich/",
        views.version_compare,
        name="version_compare",
    ),
    path("berichte/<slug:slug>/entwurf/vergleich/", views.draft_compare, name="draft_compare"),
    path(
        "berichte/<slug:slug>/abschnitte/<str:number>/",
        section_editing.section_edit,
        name="section_edit",
    ),
    path(
        "berichte/<slug:slug>/abschnitte/<str:number>/reihenfolge/",
        section_editing.section_move,
        name="section_move",
    ),
    path(
        "berichte/<slug:slug>/fassungen/<int:number>.<str:format>",
        views.version_download,
        name="version_download",
    ),
    path(
        "berichte/<slug:slug>/download.<str:format>", views.report_download, name="report_download"
    ),
    path("berichte/<slug:slug>/erstellen.<str:format>", views.report_export, name="report_export"),
    path("barrierefreiheit/", accessibility.statement, name="accessibility"),
    path(
        "barrierefreiheit/rueckmeldung/",
        accessibility.feedback,
        name="accessibility_feedback",
    ),
    path(
        "barrierefreiheit/rueckmeldung/gesendet/",
        accessibility.feedback_sent,
        name="accessibility_feedback_sent",
    ),
    path("leichte-sprache/", accessibility.easy_language, name="easy_language"),
    path("berichte/<slug:slug>/gestaltung/", design_page.report_design, name="report_design"),
]
