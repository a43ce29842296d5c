from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _work_scopes(measure_id, approved):
    """What a change of a status entry or an indicator value of ``measure_id`` changes:
    the work on the measure and on its offices; when readers see it (approved), also
    its concept's pages. See integration_tracker/page_cache.py."""
    from integration_tracker import page_cache

    from .models import Measure

    measure = Measure.objects.filter(pk=measure_id).values("concept_id", "lead_office_id").first()
    if measure is None:  # deleted with its measure: the measure's deletion bumps all
        return []
    offices = {measure["lead_office_id"]} | set(
        Measure.partner_offices.through.objects.filter(measure_id=measure_id).values_list(
            "office_id", flat=True
        )
    )
    scopes = [page_cache.measure_scope(measure_id)]
    scopes += [page_cache.office_scope(pk) for pk in sorted(offices - {None})]
    # The bureau's lists show the work on every measure, those without an office too
    # (bump_now adds it with an office's scope, but a measure may have none).
    scopes.append(page_cache.WORK)
    if approved:
        scopes.append(page_cache.concept_scope(measure["concept_id"]))
    return scopes


def _entry_scopes(entry):
    return _work_scopes(entry.measure_id, approved=entry.state == entry.State.APPROVED)


def _indicator_value_scopes(value):
    from .models import Indicator, StatusEntry

    measure_id = (
        Indicator.objects.filter(pk=value.indicator_id).values_list("measure_id", flat=True).first()
    )
    # A value is read outside the workspace when the bureau recorded it without an
    # entry, or when its entry is approved (reports/views.py).
    approved = value.status_entry_id is None or (
        StatusEntry.objects.filter(
            pk=value.status_entry_id, state=StatusEntry.State.APPROVED
        ).exists()
    )
    return _work_scopes(measure_id, approved=approved)


def _round_scopes(reporting_round):
    from integration_tracker import page_cache

    return [page_cache.concept_scope(reporting_round.concept_id)]


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Measures and funding")

    def ready(self):
        from integration_tracker import page_cache

        # What the offices write during a reporting round changes the pages of its
        # measure and offices, and once approved those of its concept; everything else
        # here is master data (the shared version).
        page_cache.watch_app(
            self,
            scopes_of={
                self.get_model("StatusEntry"): _entry_scopes,
                self.get_model("IndicatorValue"): _indicator_value_scopes,
                self.get_model("ReportingRound"): _round_scopes,
            },
            # Bookkeeping that no cached page shows.
            ignore={self.get_model("SpreadsheetImport"), self.get_model("Reminder")},
        )
