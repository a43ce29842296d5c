from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.exports import RENDERERS
from reports.models import Report


class Command(BaseCommand):
    help = "Renders a report from the records as HTML, PDF or DOCX."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="e.g. umsetzungsbericht-2009-2014")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="html")
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, slug, format, output, **options):
        try:
            report = Report.objects.select_related(
                "concept__municipality", "presented_to", "issued_by"
            ).get(slug=slug)
        except Report.DoesNotExist as error:
            known = ", ".join(Report.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No report {slug!r} (known: {known}).") from error
        content = RENDERERS[format](report, True)
        Path(output).write_bytes(content)
        self.stdout.write(f"Wrote {output} ({len(content)} bytes, {format}).")
