"""Who may read, edit, design and publish reports: the one place where this is
decided. (Who reads the progress pages is ``measures.permissions.can_read_progress``:
it follows the visibility of measures, which the start page needs as well.)"""

from helpers.roles import is_bureau, is_council


def can_read_reports(user):
    """Reports and their published versions: the bureau and the council (who reads
    drafts is ``can_read_drafts``)."""
    return is_bureau(user) or is_council(user)


def can_read_drafts(user):
    """Drafts (the report rendered from the current records, and its PDF/DOCX/HTML
    exports): the bureau. The council reads what the bureau has published."""
    return is_bureau(user)


def can_design_reports(user):
    """The look of the report documents (logo, Word template): the bureau."""
    return is_bureau(user)


def can_publish(user):
    """Freezing a report into a published version: the bureau."""
    return is_bureau(user)


def can_edit_reports(user):
    """The bureau's texts in a report, its sections' choices and the order of items,
    members and offices: the bureau. The council and office staff read."""
    return is_bureau(user)
