"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

gunicorn listens on loopback behind a TLS-terminating reverse proxy (see
docs/operations.md); each value can be changed through the environment variable named
next to it.
"""

import multiprocessing
import os

wsgi_app = "integration_tracker.wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Processes for CPU-bound rendering (PDF, reports), threads so a slow client or query
# does not hold a whole process. Every thread keeps its own database connection
# (CONN_MAX_AGE), so workers × threads must stay below PostgreSQL's max_connections.
# Without REDIS_URL the page cache lives in each process's memory, and a change made
# through one process would not reach the pages cached by another: then the default
# is one process (its threads share the cache). With REDIS_URL all processes share it.
_default_workers = 2 * multiprocessing.cpu_count() + 1 if os.environ.get("REDIS_URL") else 1
workers = int(os.environ.get("GUNICORN_WORKERS") or _default_workers)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# With gthread workers, `timeout` only restarts a worker whose main loop stops
# answering; it does not end a long request in one of its threads. Long work therefore
# stays out of requests: draft PDF/DOCX, publishing and spreadsheet checks and imports
# go to the task worker, and uploads are refused by size, rows, columns and cell length
# before they are read (helpers/uploads.py).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5

# Restart each worker after a number of requests (with jitter, so they do not all
# restart at once) to bound the effect of any slow memory growth.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))

# Trust X-Forwarded-Proto/-For only from the reverse proxy on this machine.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access and error log to stdout/stderr, for journald or the container runtime. Behind
# the proxy the remote address is the proxy's; the duration is in microseconds.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'

# gunicorn ≥ 25.1 opens a control socket at a fixed path in $HOME by default, which
# two instances on one machine would share; it is not needed here.
control_socket_disable = True
