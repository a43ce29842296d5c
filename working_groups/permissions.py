"""Who changes a municipality's settings: the one place where this is decided."""

from helpers.roles import is_bureau


def can_change_settings(user):
    """Whether the progress pages and open data are public: the bureau's decision.
    Office staff and the council read the settings nowhere."""
    return is_bureau(user)
