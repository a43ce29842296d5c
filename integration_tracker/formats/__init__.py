"""The project's date formats per language (``FORMAT_MODULE_PATH``), on top of
Django's own. One style per language, named by Django's format names, so that a
template says ``|date:"DATE_FORMAT"`` (or just ``|date``) and never spells a pattern:

German (Django's, with a comma before the time): "7. Dezember 2026" in running text,
"07.12.2026" in tables (``SHORT_DATE_FORMAT``), "7. Dezember 2026, 11:30" and
"07.12.2026 11:30".

English: day, month spelled out, year, and a 24-hour clock, short or long alike:
"7 December 2026", "7 December 2026, 11:30". Django's own English formats are
American ("Dec. 7, 2026", "12/07/2026 11:30 a.m."): in a German administration's
tool read by people from many countries, "12/07/2026" is ambiguous and the two
styles side by side read as two languages."""
