#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_tracker.settings")
    from django.core.management import execute_from_command_line

    from helpers.scope import enter_unscoped

    # The operator's commands (the worker, backups, imports from the shell) act for
    # the whole instance; web requests run in their municipality's scope
    # (helpers/scope.py).
    enter_unscoped()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
