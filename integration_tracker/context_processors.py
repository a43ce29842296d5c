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


def _sections(bureau, council, office_staff, progress):
    """The main navigation's pages, in order: key, label, url name, who sees it."""
    return [
        ("progress", _("Progress"), "reports:overview", progress),
        ("reports", _("Reports"), "reports:report_list", bureau or council),
        (
            "measures",
            _("All measures") if bureau else _("My measures"),
            "measures:measure_list",
            bureau or office_staff,
        ),
        ("review", _("Review"), "measures:review_queue", bureau),
        ("rounds", _("Reporting rounds"), "measures:round_list", bureau),
        ("data", _("Spreadsheets"), "measures:data_exchange", bureau or office_staff),
        ("accounts", _("Accounts"), "accounts:account_list", bureau),
    ]


def roles(request):
    """The current user's roles, for navigation; rights are checked in the views."""
    user = request.user
    return {
        "user_is_bureau": is_bureau(user),
        "user_is_council": is_council(user),
        "user_is_office_staff": is_office_staff(user),
    }


def site(request):
    """The frame every page shares: the municipality, the main navigation with the
    current section marked, and the breadcrumb trail (start page › section). Needs no
    database beyond the roles, which roles() has already read for this request."""
    # The rights are the views' own (late import: the apps import this package).
    from measures.permissions import can_read_progress

    user = request.user
    bureau, council, office_staff = is_bureau(user), is_council(user), is_office_staff(user)
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
        for key, label, name, visible in _sections(bureau, council, office_staff, progress)
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
