"""Run a long-running management command (worker, scheduler) inside a test.

Such commands install SIGINT/SIGTERM handlers and set their loggers' levels;
this puts both back afterwards so that Ctrl-C still stops the test run.
"""

from __future__ import annotations

import logging
import signal
from io import StringIO

from django.core.management import call_command

_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
_LOGGERS = ["django_tasks", "django_tasks_db"]


def run_command(name: str, *args: str) -> str:
    """Run `manage.py <name> <args>` in this process; returns what it printed."""
    handlers = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    levels = {name: logging.getLogger(name).level for name in _LOGGERS}
    stdout = StringIO()
    try:
        call_command(name, *args, stdout=stdout)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for logger_name, level in levels.items():
            logging.getLogger(logger_name).setLevel(level)
    return stdout.getvalue()
