from django.urls import path

from . import views

app_name = "measures"

urlpatterns = [
    path("", views.home, name="home"),
    path("konzepte/<slug:slug>/", views.concept_detail, name="concept_detail"),
    path("massnahmen/", views.measure_list, name="measure_list"),
    path("massnahmen/<int:pk>/", views.measure_detail, name="measure_detail"),
    path("massnahmen/<int:pk>/sachstand/", views.entry_create, name="entry_create"),
    path("sachstaende/<int:pk>/bearbeiten/", views.entry_edit, name="entry_edit"),
    path("sachstaende/<int:pk>/einreichen/", views.entry_submit, name="entry_submit"),
    path("sachstaende/<int:pk>/freigeben/", views.entry_approve, name="entry_approve"),
    path("sachstaende/<int:pk>/zurueckgeben/", views.entry_return, name="entry_return"),
    path("pruefung/", views.review_queue, name="review_queue"),
    path("berichtsrunden/", views.round_list, name="round_list"),
    path("berichtsrunden/neu/", views.round_create, name="round_create"),
    path("berichtsrunden/<int:pk>/", views.round_detail, name="round_detail"),
    path("berichtsrunden/<int:pk>/massnahmen/", views.round_measures, name="round_measures"),
    path("berichtsrunden/<int:pk>/abschliessen/", views.round_close, name="round_close"),
    path("berichtsrunden/<int:pk>/wieder-oeffnen/", views.round_reopen, name="round_reopen"),
    path("berichtsrunden/<int:pk>/erinnern/", views.round_remind, name="round_remind"),
    path("daten/", views.data_exchange, name="data_exchange"),
    path("daten/export/<slug:slug>.<str:format>", views.table_export, name="table_export"),
    path("daten/import/", views.import_upload, name="import_upload"),
    path("daten/import/<int:pk>/", views.import_detail, name="import_detail"),
    path("daten/sachstaende.<str:format>", views.office_export, name="office_export"),
    path("daten/sachstaende/import/", views.office_upload, name="office_upload"),
    path("verlauf/<slug:kind>/<int:pk>/", views.change_history, name="change_history"),
]
