"""`make loadtest`: 30 seconds of mixed traffic at 32 concurrent connections against
gunicorn with production settings on PostgreSQL (and Redis, when it answers), with zero
errors allowed and no status entry lost.

Builds a throwaway PostgreSQL database (on the server DATABASE_URL names, else the
local one on 127.0.0.1:5432, started if it is down), generates scale M (or
LOADTEST_SCALE), serves it with gunicorn on a loopback port and runs 32 client
threads, each on its own keep-alive connection (bench/traffic.py): office staff of
several offices enter status entries (reading the form, posting it with its CSRF token
and the measure's version), the council and the bureau read every page type. Any
answer other than the expected one, and any exception, is an error. Afterwards the
number of status entries in the database must have grown by exactly the number of
entries the server confirmed. All traffic stays on 127.0.0.1; the run stops by itself.

Environment: LOADTEST_SECONDS (30), LOADTEST_CONNECTIONS (32), LOADTEST_WRITERS (8),
LOADTEST_SCALE (M), DATABASE_URL (a postgres:// URL whose server to use),
BENCH_REDIS_URL (redis://127.0.0.1:6379/15, emptied at the start and end).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, traffic  # noqa: E402

# How often each kind of visitor reads (kinds of bench/load_steps.py).
READER_MIX = [("council", 10), ("bureau", 6), ("anonymous", 2), ("report", 0.05)]


def ensure_postgres():
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
        return
    versions = sorted(os.listdir("/etc/postgresql"))
    harness.log("starting PostgreSQL")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=True
    )
    for _ in range(30):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(1)
    sys.exit("PostgreSQL did not start.")


def print_summary(tally, elapsed, stored, title):
    total = sum(len(values) for values in tally.latencies.values())
    print(f"\n{title}")
    print(f"{'requests':<24}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, values in sorted(tally.latencies.items()):
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(
            f"{kind:<24}{len(values):>8}{statistics.median(values) * 1000:>10.0f}"
            f"{p95 * 1000:>10.0f}{values[-1] * 1000:>10.0f}"
        )
    print(f"{'all':<24}{total:>8}   ({total / elapsed:.0f} requests/s)")
    print(f"status entries confirmed {tally.confirmed_entries}, stored {stored}")
    print(f"errors: {len(tally.errors)}")
    for message in tally.errors[:20]:
        print(f"  {message}")


def main():
    seconds = int(os.environ.get("LOADTEST_SECONDS", "30"))
    connections = int(os.environ.get("LOADTEST_CONNECTIONS", "32"))
    writers = int(os.environ.get("LOADTEST_WRITERS", "8"))
    scale = os.environ.get("LOADTEST_SCALE", "M").upper()
    redis_url = os.environ.get("BENCH_REDIS_URL", harness.DEFAULT_REDIS)
    server_url = harness.postgres_server_url()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        ensure_postgres()
    if not harness.redis_version(redis_url):
        harness.log(f"Redis does not answer at {redis_url}: each server process caches for itself")
        redis_url = None

    with tempfile.TemporaryDirectory(prefix="it-loadtest-") as directory:
        databases = harness.PostgresDatabases(server_url)
        cache = harness.ThrowawayRedis(redis_url) if redis_url else None
        env = harness.server_env(directory, redis_url)
        try:
            urls, _seconds = harness.scale_databases(databases, [scale], env)
            env["DATABASE_URL"] = urls[scale]
            harness.manage(env, "collectstatic", "--noinput", "-v0")
            setup = harness.step("load_steps.py", "prepare", env, directory, writers)
            before = harness.step("load_steps.py", "count", env, directory)["status_entries"]
            port = harness.free_port()
            harness.log(
                f"{connections} connections for {seconds} s: "
                f"{len(setup['writers'])} office accounts writing, the rest reading"
            )
            with harness.gunicorn(env, port, Path(directory) / "gunicorn.log"):
                tally, elapsed = traffic.drive(
                    port,
                    setup,
                    readers=connections - len(setup["writers"]),
                    mix=READER_MIX,
                    writers=setup["writers"],
                    seconds=seconds,
                    seed=2009,
                )
            after = harness.step("load_steps.py", "count", env, directory)["status_entries"]
            if tally.errors:
                log_text = (Path(directory) / "gunicorn.log").read_text(errors="replace")
                (harness.ROOT / "loadtest-gunicorn.log").write_text(log_text)
                harness.log("server log of the failed run: loadtest-gunicorn.log")
        finally:
            databases.drop_all()
            if cache:
                cache.close()

    stored = after - before
    setup_name = "PostgreSQL and Redis" if redis_url else "PostgreSQL"
    title = f"Load test: {connections} connections, {elapsed:.0f} s, scale {scale}, {setup_name}"
    print_summary(tally, elapsed, stored, title)
    if tally.errors or stored != tally.confirmed_entries or not tally.confirmed_entries:
        sys.exit("Load test failed: errors, a lost entry, or no entry written.")
    print("Load test passed: no error, no entry lost.")


if __name__ == "__main__":
    main()
