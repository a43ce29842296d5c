"""Accessibility: the statement (Erklärung zur Barrierefreiheit after BITV 2.0 § 7 and
the model statement of Durchführungsbeschluss (EU) 2018/1523), its feedback form,
and the explanation of the site in Leichte Sprache (BITV 2.0 § 4). All three are
reachable by everyone, logged in or not, whatever the other settings."""

import datetime
import hashlib
from urllib.parse import urlsplit

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from helpers.roles import is_bureau
from helpers.scope import chosen_municipality
from measures.permissions import progress_is_public
from working_groups.models import Municipality

from .forms import FeedbackForm, local_path
from .models import AccessibilityBarrier, AccessibilityFeedback
from .tasks import send_feedback_mail

# The settings the statement names, with the environment variable that sets each:
# while one of them still has its default, the statement tells the bureau.
CONFIGURABLE = [
    ("contact_email", "A11Y_CONTACT_EMAIL"),
    ("legal_basis", "A11Y_LEGAL_BASIS"),
    ("enforcement_name", "A11Y_ENFORCEMENT_NAME"),
    ("statement_date", "A11Y_STATEMENT_DATE"),
    ("review_date", "A11Y_REVIEW_DATE"),
]

FEEDBACK_WINDOW = 60 * 60  # seconds; the limit counts messages per hour


def _defaults_in_use(a11y):
    defaults = settings.ACCESSIBILITY_DEFAULTS
    return [variable for key, variable in CONFIGURABLE if a11y[key] == defaults[key]]


def _barriers_by_kind(a11y):
    """[(kind label, [barrier, …]), …] in the order of the model statement; a missing
    video in German Sign Language is listed as long as none is configured."""
    groups = {kind: [] for kind in AccessibilityBarrier.Kind}
    for barrier in AccessibilityBarrier.objects.filter(is_current=True):
        groups[AccessibilityBarrier.Kind(barrier.kind)].append(barrier)
    if not a11y["sign_language_url"]:
        groups[AccessibilityBarrier.Kind.NON_COMPLIANT].append(
            AccessibilityBarrier(
                title=_("Explanation in German Sign Language"),
                description=_(
                    "There is no video in German Sign Language (DGS) yet that explains "
                    "what this site is for and how to use it."
                ),
                requirements="BITV 2.0 § 4",
                alternative=_("The explanation in plain language (Leichte Sprache)."),
            )
        )
    return [(kind.label, barriers) for kind, barriers in groups.items() if barriers]


@require_safe
def statement(request):
    """Erklärung zur Barrierefreiheit: reachable by everyone, always."""
    a11y = settings.ACCESSIBILITY
    groups = _barriers_by_kind(a11y)
    return render(
        request,
        "reports/accessibility.html",
        {
            "a11y": a11y,
            "statement_date": datetime.date.fromisoformat(a11y["statement_date"]),
            "review_date": datetime.date.fromisoformat(a11y["review_date"]),
            "groups": groups,
            # The bureau's entries exist in German only; English pages say so once.
            "has_recorded_barriers": any(b.pk for _, barriers in groups for b in barriers),
            "site_url": request.build_absolute_uri("/"),
            "defaults_in_use": _defaults_in_use(a11y) if is_bureau(request.user) else [],
        },
    )


def _referring_page(request):
    """The page the feedback is about: ?seite=…, else the page the visitor came from
    if it is one of this site's; never another site's address."""
    page = local_path(request.GET.get("seite", ""))
    if page:
        return page
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc and referer.netloc == request.get_host():
        return local_path(referer.path + (f"?{referer.query}" if referer.query else ""))
    return ""


def _take_from_limit(request, email):
    """Count one message against the limits of the client address and of the e-mail
    address (Django's cache, shared by all processes with Redis); False if one of
    them is used up. A fixed window: the first message starts the hour."""
    limit = int(settings.ACCESSIBILITY["feedback_per_hour"])
    senders = [f"ip:{get_client_ip_address(request) or 'unknown'}"]
    if email:
        senders.append(f"email:{email.lower()}")
    allowed = True
    for sender in senders:
        key = "a11y-feedback:" + hashlib.sha256(sender.encode()).hexdigest()
        cache.add(key, 0, FEEDBACK_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, FEEDBACK_WINDOW)
            count = 1
        allowed = allowed and count <= limit
    return allowed


def _feedback_municipality(request):
    """The municipality the form is sent in (its address names it, or the account
    works there); on the instance's own pages the only municipality in service where
    the instance serves one (as its contact is, ``Municipality.contact_of``), else
    None: the system administration's. Read past the scope: a visitor at the address
    of a municipality without public pages writes to it too."""
    chosen = chosen_municipality(request)
    if chosen:
        return Municipality.all_objects.filter(pk=chosen[0]).first()
    serving = list(Municipality.all_objects.filter(in_service=True)[:2])
    return serving[0] if len(serving) == 1 else None


@require_http_methods(["GET", "POST"])
def feedback(request):
    """The feedback form: stores the message with the municipality it is sent in,
    has it e-mailed to that municipality's contact (or the statement's) and shows a
    confirmation. A flood from one address is refused and nothing stored."""
    municipality = _feedback_municipality(request)
    contact = AccessibilityFeedback.contact_for(municipality)
    form = FeedbackForm(
        request.POST or None,
        initial={"page": _referring_page(request)},
        use_required_attribute=False,
    )
    if request.method == "POST" and form.is_valid():
        if not _take_from_limit(request, form.cleaned_data["email"]):
            return render(
                request,
                "reports/accessibility_feedback.html",
                {"form": form, "a11y": settings.ACCESSIBILITY, "contact": contact, "refused": True},
                status=429,
            )
        with transaction.atomic():
            message = form.save(commit=False)
            message.language = get_language() or ""
            message.municipality = municipality
            message.save()
            # With the database backend the task is queued in the same transaction.
            send_feedback_mail.enqueue(message.pk, request.build_absolute_uri("/"))
        return redirect("reports:accessibility_feedback_sent")
    return render(
        request,
        "reports/accessibility_feedback.html",
        {"form": form, "a11y": settings.ACCESSIBILITY, "contact": contact},
        status=400 if form.is_bound else 200,
    )


@require_safe
def feedback_sent(request):
    return render(request, "reports/accessibility_feedback_sent.html")


@require_safe
def easy_language(request):
    """What the site is for and how to use it, in Leichte Sprache (in English: plain
    language), with the video in German Sign Language where one is configured."""
    return render(
        request,
        "reports/easy_language.html",
        {"a11y": settings.ACCESSIBILITY, "public_pages": progress_is_public(request.user)},
    )
