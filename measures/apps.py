from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _concept_of_measure(measure_id):
    from .models import Measure

    return Measure.objects.filter(pk=measure_id).values_list("concept_id", flat=True).first()


def _concept_of_indicator(indicator_id):
    from .models import Measure

    return (
        Measure.objects.filter(indicators=indicator_id).values_list("concept_id", flat=True).first()
    )


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Measures and funding")

    def ready(self):
        from integration_tracker import page_cache

        # What the offices write during a reporting round changes the pages of its
        # concept only; everything else here is master data (the shared version).
        page_cache.watch_app(
            self,
            concept_of={
                self.get_model("StatusEntry"): lambda entry: _concept_of_measure(entry.measure_id),
                self.get_model("IndicatorValue"): lambda value: _concept_of_indicator(
                    value.indicator_id
                ),
                self.get_model("ReportingRound"): lambda reporting_round: (
                    reporting_round.concept_id
                ),
            },
            # Bookkeeping that no cached page shows.
            ignore={self.get_model("SpreadsheetImport"), self.get_model("Reminder")},
        )
