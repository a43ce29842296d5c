import time

from django.core.management.base import BaseCommand, CommandError

from bench.scale_data import PUBLIC_SCALES, SCALES, DatabaseNotEmpty, generate


class Command(BaseCommand):
    help = (
        "Fills an empty database with the data set of a benchmark scale (DESIGN.md): "
        "S = the Dresden data set, M = 2,000 measures and 20,000 status entries in 3 "
        "municipalities, L = 50,000 measures and 500,000 entries in 25 municipalities, "
        "each with accounts for its offices, bureau and council (no usable password). "
        "The same data on every run. Refuses a database that holds data unless --force "
        "is given, which empties it first (all records and accounts)."
    )

    def add_arguments(self, parser):
        # XS (a few dozen records) is for the tests and not advertised.
        parser.add_argument(
            "--scale",
            required=True,
            choices=PUBLIC_SCALES + sorted(set(SCALES) - set(PUBLIC_SCALES)),
            metavar="{S,M,L}",
        )
        parser.add_argument("--seed", type=int, default=2009, help="seed of the random numbers")
        parser.add_argument(
            "--force",
            action="store_true",
            help="empty a database that holds data first (deletes everything)",
        )

    def handle(self, *args, scale, seed, force, **options):
        started = time.monotonic()
        log = self.stdout.write if options["verbosity"] > 1 else (lambda message: None)
        try:
            written = generate(scale, seed=seed, force=force, log=log)
        except DatabaseNotEmpty as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            total = sum(written.values())
            self.stdout.write(
                f"Scale {scale}: {total:,} records written in {time.monotonic() - started:.1f} s."
            )
            if options["verbosity"] > 1:
                for label, count in sorted(written.items()):
                    self.stdout.write(f"  {label}: {count:,}")
