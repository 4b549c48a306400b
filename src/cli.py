"""What every command does at its boundary: parse arguments, turn `TaggerError` into one line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Callable, NoReturn, Sequence

from src.errors import TaggerError, Terminated


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
        work: Callable[[argparse.Namespace], int]) -> int:
    """Parse `argv` and run `work(args)`: its exit code, 2 for a usage error, or the error's own
    code with one line on stderr when it raises `TaggerError`. Logs go to stderr; a closed
    output pipe (`| head`) ends quietly, Ctrl-C with code 130 and SIGTERM with 143, each with one
    line (what was left behind, when the work says)."""
    try:
        args = parser.parse_intermixed_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already explained
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.captureWarnings(True)
    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may handle signals
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return work(args)
    except TaggerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        print("interrupted" + (f": {exc}" if str(exc) else ""), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _terminate(signum, frame) -> NoReturn:
    raise Terminated()
