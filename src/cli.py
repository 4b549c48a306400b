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


class Once(argparse.Action):
    """An option given at most once: argparse would let a second one silently replace the first
    (`--input a.csv --input b.jsonl` tagged b.jsonl alone)."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = f"_{self.dest}_given"
        if getattr(namespace, given, False):
            parser.error(f"{option_string} is given twice: give it once")
        setattr(namespace, given, True)
        setattr(namespace, self.dest, values)


def _terminate(signum, frame) -> NoReturn:
    raise Terminated()
