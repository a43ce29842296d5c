"""The Land view: read-only pages for the viewers of a group of municipalities.

The viewer is not assigned to the members: each page reads inside the scope of the
group's members (``municipality_scope``), and only what they published. A group
the account may not open answers 404, as a missing one does."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from helpers.decorators import requires
from helpers.scope import municipality_scope
from reports.exports import CONTENT_TYPES, frozen_download
from reports.models import PublishedVersion

from .overview import side_by_side
from .permissions import reads_land_view, viewable_groups


@require_safe
@requires(reads_land_view)
def group_list(request):
    """The groups the account may open; straight to the one where there is one."""
    groups = list(viewable_groups(request.user))
    if len(groups) == 1:
        return redirect(groups[0])
    return render(request, "land/group_list.html", {"groups": groups})


def _group_for(request, slug):
    return get_object_or_404(viewable_groups(request.user), slug=slug)


@require_safe
@login_required
def group_detail(request, slug):
    group = _group_for(request, slug)
    members = list(group.member_municipalities())
    with municipality_scope(members):
        rows = side_by_side(members)
    return render(request, "land/group_detail.html", {"group": group, "rows": rows})


@require_safe
@login_required
def version_download(request, slug, report, number, format):
    """A member's published version, byte for byte as it was frozen (as
    reports.views.version_download serves it to the municipality's council)."""
    group = _group_for(request, slug)
    if format not in CONTENT_TYPES:
        raise Http404
    members = list(group.member_municipalities().values_list("pk", flat=True))
    # The one document asked for, not the others.
    others = [name for name in PublishedVersion.STORED if name != format]
    with municipality_scope(members):
        version = get_object_or_404(
            PublishedVersion.objects.select_related("report").defer(*others),
            report__concept__municipality__in=members,
            report__slug=report,
            number=number,
        )
    if format not in version.formats():
        raise Http404  # published before the DOCX was kept
    return frozen_download(version, format)
