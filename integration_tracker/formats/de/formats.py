# Django's German formats, with a comma between date and time ("7. Dezember 2026, 11:30")
# as the pages have always written it; see integration_tracker/formats/__init__.py.
DATETIME_FORMAT = "j. F Y, H:i"
