"""The barriers the project knows of when the statement is introduced, as records
the bureau keeps from now on (admin → Barrieren). Each says only what the code and
its tests show (reports/exports.py, reports/publishing.py, tests/e2e), and what
axe-core found in the admin's measure form (the admin is not in the browser tests)."""

from django.db import migrations

BARRIERS = [
    {
        "title": "PDF-Dateien des Umsetzungsberichts",
        "requirements": "PDF/UA-1; WCAG 2.1 1.3.1",
        "description": (
            "Die PDF-Dateien des Umsetzungsberichts werden mit Tags nach PDF/UA-1 erzeugt: "
            "mit Überschriften, Lesezeichen, Dokumentsprache und Titel. Mit einem "
            "Prüfprogramm für PDF/UA (zum Beispiel PAC oder veraPDF) sind sie nicht geprüft. "
            "Bei großen Berichten mit vielen Tabellen und Quellenhinweisen ist deshalb nicht "
            "sichergestellt, dass Screenreader jede Tabelle und jeden Hinweis richtig "
            "wiedergeben."
        ),
        "reason": "Die Prüfung mit einem Prüfprogramm für PDF/UA steht noch aus.",
        "alternative": (
            "Der Bericht und jede veröffentlichte Fassung lassen sich auch als HTML-Seite "
            "im Browser lesen (Berichte)."
        ),
    },
    {
        "title": "Veröffentlichte Fassungen des Umsetzungsberichts",
        "requirements": "",
        "description": (
            "Eine veröffentlichte Fassung wird unverändert aufbewahrt: HTML und PDF genau so, "
            "wie sie beim Veröffentlichen erzeugt wurden. Spätere Verbesserungen der "
            "Barrierefreiheit gelten für Entwürfe und neue Fassungen, nicht für ältere "
            "Fassungen."
        ),
        "reason": (
            "Fassungen sind mit ihrer Prüfsumme eingefroren, damit nachweisbar bleibt, was "
            "veröffentlicht wurde."
        ),
        "alternative": "",
    },
    {
        "title": "Auswahlfelder mit Suche in der Stammdatenverwaltung",
        "requirements": "WCAG 2.1 1.3.1, 4.1.2",
        "description": (
            "In der Stammdatenverwaltung, die nur das Büro benutzt, haben die Auswahlfelder "
            "mit Suche (zum Beispiel „Federführendes Amt“, „Partnerämter“ oder "
            "„Übergeordnete Maßnahme“ im Formular einer Maßnahme) keinen Namen, den "
            "Screenreader vorlesen, und die Liste der gewählten Einträge ist nicht richtig "
            "ausgezeichnet. Das zeigte eine Prüfung mit axe-core am 30. November 2026."
        ),
        "reason": (
            "Die Felder kommen aus der Verwaltungsoberfläche von Django (Select2) und sind "
            "nicht an diese Anwendung angepasst."
        ),
        "alternative": (
            "Maßnahmen lassen sich auch über den Export und Import von Tabellen bearbeiten "
            "(Tabellen)."
        ),
    },
]


def add_barriers(apps, schema_editor):
    AccessibilityBarrier = apps.get_model("reports", "AccessibilityBarrier")
    for position, fields in enumerate(BARRIERS, start=1):
        AccessibilityBarrier.objects.get_or_create(
            title=fields["title"],
            defaults={**fields, "kind": "non_compliant", "position": position * 10},
        )


def remove_barriers(apps, schema_editor):
    AccessibilityBarrier = apps.get_model("reports", "AccessibilityBarrier")
    AccessibilityBarrier.objects.filter(title__in=[b["title"] for b in BARRIERS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_accessibility_barriers_and_feedback"),
    ]

    operations = [migrations.RunPython(add_barriers, remove_barriers)]
