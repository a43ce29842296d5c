from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import is_bureau, is_council, is_office_staff

# Where each page sits below the start page, for the breadcrumbs: url name -> the
# section (a page of the main navigation) it belongs to. Sections are checked against
# the navigation the user sees, so a crumb never leads to a page that refuses them.
SECTIONS = {
    "measures": {
        "concept_detail": "home",
        "measure_list": "measures",
        "measure_detail": "measures",
        "entry_create": "measures",
        "entry_edit": "measures",
        "entry_return": "review",
        "change_history": "measures",
        "review_queue": "review",
        "round_list": "rounds",
        "round_create": "rounds",
        "round_detail": "rounds",
        "round_close": "rounds",
        "round_reopen": "rounds",
        "data_exchange": "data",
        "import_detail": "data",
    },
    "accounts": {
        "account_list": "accounts",
        "account_invite": "accounts",
        "account_detail": "accounts",
        "account_edit": "accounts",
        "account_deactivate": "accounts",
    },
    "working_groups": {
        "settings": "settings",
    },
    "reports": {
        "overview": "progress",
        "measure": "progress",
        "members": "progress",
        "funding": "progress",
        "needs": "progress",
        "report_list": "reports",
        "report_detail": "reports",
        "report_publish": "reports",
        "report_export": "reports",
        "version_detail": "reports",
        "version_compare": "reports",
        "section_edit": "reports",
        "report_design": "reports",
    },
}


def _sections(user):
    """The main navigation's pages, in order: key, label, url name, and whether the
    user sees it, by the right the page's view requires: a link never leads to a
    refusal. (The rights are the apps'; late imports, the apps import this package.)"""
    from accounts.permissions import can_manage_accounts
    from measures.permissions import can_read_progress, can_review, can_run_rounds, uses_workspace
    from reports.permissions import can_read_reports
    from working_groups.permissions import can_change_settings

    return [
        ("progress", _("Progress"), "reports:overview", can_read_progress(user)),
        ("reports", _("Reports"), "reports:report_list", can_read_reports(user)),
        (
            "measures",
            _("All measures") if can_review(user) else _("My measures"),
            "measures:measure_list",
            uses_workspace(user),
        ),
        ("review", _("Review"), "measures:review_queue", can_review(user)),
        ("rounds", _("Reporting rounds"), "measures:round_list", can_run_rounds(user)),
        ("data", _("Spreadsheets"), "measures:data_exchange", uses_workspace(user)),
        ("accounts", _("Accounts"), "accounts:account_list", can_manage_accounts(user)),
        ("settings", _("Settings"), "working_groups:settings", can_change_settings(user)),
    ]


def roles(request):
    """The current user's roles, for what templates word or link per role (from the
    session, see roles.py); rights are checked in the views."""
    user = request.user
    return {
        "user_is_bureau": is_bureau(user),
        "user_is_council": is_council(user),
        "user_is_office_staff": is_office_staff(user),
    }


def site(request):
    """The frame every page shares: the municipality, the main navigation with the
    current section marked, and the breadcrumb trail (start page › section). The
    roles come from the session (roles.py), not from the database."""
    # The rights are the views' own (late import: the apps import this package).
    from measures.permissions import can_read_progress

    user = request.user
    # A link that would end at the login is not offered: the public sees the progress
    # pages and the open data only where they are public.
    progress = can_read_progress(user)
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match else None
    current = SECTIONS.get(match.app_name if match else "", {}).get(url_name)
    navigation = [
        {
            "key": key,
            "label": label,
            "url": reverse(name),
            "current": key == current,
            "here": match is not None and match.view_name == name,
        }
        for key, label, name, visible in _sections(user)
        if visible
    ]
    is_home = match is not None and match.view_name == "measures:home"
    breadcrumbs = []
    if not is_home:
        breadcrumbs.append({"label": _("Start page"), "url": reverse("measures:home")})
        for item in navigation:
            if item["current"] and not item["here"]:
                breadcrumbs.append({"label": item["label"], "url": item["url"]})
    return {
        "site_municipality": settings.MUNICIPALITY_NAME,
        # A video explaining the site in German Sign Language (BITV 2.0 § 4), if any.
        "site_sign_language_url": settings.ACCESSIBILITY["sign_language_url"],
        "bureau_contact": settings.BUREAU_CONTACT,
        "main_navigation": navigation,
        "progress_readable": progress,
        "breadcrumbs": breadcrumbs,
    }
