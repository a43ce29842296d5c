from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark tooling (the scale data sets and their command). Installed in
    development and by `make bench`/`make loadtest` (BENCH_TOOLS=1), never needed by a
    production server."""

    name = "bench"
    verbose_name = "Benchmark tooling"
