"""Errors the tagger raises on purpose; the CLIs turn them into one line on stderr."""


class TaggerError(Exception):
    """Base of every error a user can fix (bad input, config or model)."""

    exit_code = 1


class UsageError(TaggerError):
    """Command-line arguments that do not go together."""

    exit_code = 2


class ConfigError(UsageError):
    """A bad `params.yaml` entry or `key=value` override."""


class DataError(TaggerError):
    """An input file or record that cannot be used."""

    exit_code = 3


class ModelError(TaggerError):
    """A model directory that is missing, corrupted or incompatible."""

    exit_code = 4


class OutputError(TaggerError):
    """An output that cannot be written (a missing or read-only folder, a full disk)."""

    exit_code = 5


class TrackingError(TaggerError):
    """An MLflow store that cannot be reached or written; what the command computed is kept."""

    exit_code = 6


class Terminated(KeyboardInterrupt):
    """SIGTERM, which schedulers send on a timeout: stopped like Ctrl-C, with the shell's code for it."""

    exit_code = 143
