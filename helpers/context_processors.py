import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .roles import is_bureau, is_council, is_office_staff, municipalities

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
    "land": {
        "group_list": "land",
        "group": "land",
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
        "draft_compare": "reports",
        "section_edit": "reports",
        "report_design": "reports",
    },
}


# The pages the frame of every page links to, by the key templates use
# (``{{ site_urls.home }}``): its own links, then the main navigation's pages.
FRAME_URL_NAMES = {
    "home": "measures:home",
    "set_language": "set_language",
    "my_account": "accounts:my_account",
    "login": "login",
    "logout": "logout",
    "admin": "admin:index",
    "accessibility": "reports:accessibility",
    "accessibility_feedback": "reports:accessibility_feedback",
    "easy_language": "reports:easy_language",
    "open_data": "reports:open_data",
    "choose_municipality": "accounts:choose_municipality",
    "progress": "reports:overview",
    "reports": "reports:report_list",
    "measures": "measures:measure_list",
    "review": "measures:review_queue",
    "rounds": "measures:round_list",
    "data": "measures:data_exchange",
    "accounts": "accounts:account_list",
    "settings": "working_groups:settings",
    "land": "land:group_list",
}


@functools.lru_cache(maxsize=16)
def _reversed(prefix, urlconf):
    return {key: reverse(name, urlconf=urlconf) for key, name in FRAME_URL_NAMES.items()}


def frame_urls():
    """The addresses of FRAME_URL_NAMES. They depend on the URL configuration and the
    script prefix alone, so a process reverses them once, not a dozen times a page."""
    return _reversed(get_script_prefix(), get_urlconf())


def _sections(user):
    """The main navigation's pages, in order: key (of FRAME_URL_NAMES), label, and
    whether the user sees it, by the right the page's view requires: a link never
    leads to a refusal. (The rights are the apps'; late imports, the apps import this
    package.)"""
    from accounts.permissions import can_manage_accounts
    from land.permissions import reads_land_view
    from measures.permissions import can_read_progress, can_review, can_run_rounds, uses_workspace
    from reports.permissions import can_read_reports
    from working_groups.permissions import can_change_settings

    return [
        ("progress", _("Progress"), can_read_progress(user)),
        ("reports", _("Reports"), can_read_reports(user)),
        # The viewers of a group of municipalities (from the session, helpers/roles.py).
        ("land", _("Land view"), reads_land_view(user)),
        (
            "measures",
            _("All measures") if can_review(user) else _("My measures"),
            uses_workspace(user),
        ),
        ("review", _("Review"), can_review(user)),
        ("rounds", _("Reporting rounds"), can_run_rounds(user)),
        ("data", _("Spreadsheets"), uses_workspace(user)),
        ("accounts", _("Accounts"), can_manage_accounts(user)),
        ("settings", _("Settings"), can_change_settings(user)),
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


def _navigation(request, urls):
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match else None
    current = SECTIONS.get(match.app_name if match else "", {}).get(url_name)
    return [
        {
            "key": key,
            "label": label,
            "url": urls[key],
            "current": key == current,
            "here": match is not None and match.view_name == FRAME_URL_NAMES[key],
        }
        for key, label, visible in _sections(request.user)
        if visible
    ]


def _breadcrumbs(request, navigation, urls):
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name == FRAME_URL_NAMES["home"]:
        return []
    breadcrumbs = [{"label": _("Start page"), "url": urls["home"]}]
    for item in navigation:
        if item["current"] and not item["here"]:
            breadcrumbs.append({"label": item["label"], "url": item["url"]})
    return breadcrumbs


def _contact(chosen):
    from working_groups.models import Municipality

    return Municipality.all_objects.contact_of(chosen[0] if chosen else None)


def site(request):
    """The frame every page shares: the municipality, the frame's links, the main
    navigation with the current section marked, and the breadcrumb trail (start page
    › section). The roles come from the session (roles.py), not from the database;
    what depends on them is worked out only when a template shows it (a fragment or
    an e-mail rendered with the request does not)."""
    # The rights are the views' own (late import: the apps import this package).
    from measures.permissions import can_read_progress

    from .scope import chosen_municipality

    urls = frame_urls()
    navigation = SimpleLazyObject(lambda: _navigation(request, urls))
    # The municipality the account works in (it chooses when it has several; from the
    # session); the instance's name for a visitor and the system administration.
    chosen = chosen_municipality(request)
    choices = municipalities(request.user)
    return {
        "site_municipality": chosen[1] if chosen else settings.MUNICIPALITY_NAME,
        "current_municipality": chosen,
        "municipality_choices": choices if chosen and len(choices) > 1 else (),
        # A video explaining the site in German Sign Language (BITV 2.0 § 4), if any.
        "site_sign_language_url": settings.ACCESSIBILITY["sign_language_url"],
        # Whom to ask (the login, the public start page): the contact of the
        # municipality the request works in, of the only one the instance serves, else
        # the instance's. Read only where a page shows it.
        "bureau_contact": SimpleLazyObject(lambda: _contact(chosen)),
        "site_urls": urls,
        "main_navigation": navigation,
        # A link that would end at the login is not offered: the public sees the
        # progress pages and the open data only where they are public.
        "progress_readable": SimpleLazyObject(lambda: can_read_progress(request.user)),
        "breadcrumbs": SimpleLazyObject(lambda: _breadcrumbs(request, navigation, urls)),
    }
