"""The version of a concept: a number that changes whenever what readers see of the
concept changes. What is costly to compute from a concept (the progress overview's
counts, the report's draft HTML) is cached under it, and a draft document of a report
is stamped with it, so comparing two numbers tells whether the records have changed.

The number is a column of the concept (``Concept.content_version``), counted up by
the code that changes what readers see, in the same transaction as the change: a
reader sees the new number exactly when it sees the committed records, in every
process (the server, the background worker that imports, any number of machines),
whatever the cache holds. A reader reads the number before the records it computes
from, so whatever it computes and stores under a number is at least as new as that
number. Two writers of one concept wait for each other at the row for the length of
the rest of their transaction, which the callers keep short (imports count up at
their end).

Those places are: approving a status entry, opening, closing and reopening a round
(measures/services.py), imports of measures (measures/resources.py), the bureau's
edits of a report and of its look (reports/section_editing.py, reports/design_page.py), and any
change made in the admin (AdminChangesMiddleware). Drafts, submissions and returned
entries change nothing that readers see.
"""

from django.db.models import F

from .models import Concept


def concept_version(concept_id):
    """The current version of the concept (one query)."""
    return Concept.objects.filter(pk=concept_id).values_list("content_version", flat=True).first()


def concepts_changed(*concept_ids):
    """What readers see of these concepts changes in the current transaction."""
    Concept.objects.filter(pk__in=concept_ids).update(content_version=F("content_version") + 1)


def every_concept_changed():
    """For changes to records that several concepts show (offices, organisations, a
    municipality's settings) or that are not traced to one concept (imports)."""
    Concept.objects.update(content_version=F("content_version") + 1)


class AdminChangesMiddleware:
    """The admin keeps the master data of every concept: any POST to it (a save, a
    deletion, an action, an import) renews every concept's version. Such writes are
    rare, so no admin needs to say what exactly it changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if request.method == "POST" and match is not None and match.namespace == "admin":
            every_concept_changed()
        return response
