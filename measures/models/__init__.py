"""The work: measures, their status entries and review, reporting rounds and
reminders, indicators, funding, needs for action. One module per area; the tables
are those of the single models.py this package replaced."""

from .funding import FundingAmount, FundingArea, FundingLine, FundingLineArea, FundingProgramme
from .imports import SpreadsheetImport
from .indicators import Indicator, IndicatorValue
from .measures import (
    FINISHED_STATUSES,
    IN_PRACTICE_STATUSES,
    NO_STATUS,
    STATUSES_NEEDING_REASON,
    Language,
    Measure,
    MeasureQuerySet,
    Status,
    StatusEntry,
    StatusEntryQuerySet,
    Topic,
    WorkState,
    status_label,
)
from .needs import ActionNeed
from .notifications import Notification
from .rounds import Reminder, ReportingRound

__all__ = [
    "FINISHED_STATUSES",
    "IN_PRACTICE_STATUSES",
    "NO_STATUS",
    "STATUSES_NEEDING_REASON",
    "ActionNeed",
    "FundingAmount",
    "FundingArea",
    "FundingLine",
    "FundingLineArea",
    "FundingProgramme",
    "Indicator",
    "IndicatorValue",
    "Language",
    "Measure",
    "MeasureQuerySet",
    "Notification",
    "Reminder",
    "ReportingRound",
    "SpreadsheetImport",
    "Status",
    "StatusEntry",
    "StatusEntryQuerySet",
    "Topic",
    "WorkState",
    "status_label",
]
