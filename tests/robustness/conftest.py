"""Shared by the robustness tests: the fuzzing settings and a count of the examples that ran."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

# Bounded and repeatable: no example database left in the repository, no deadline (kiwipiepy's
# first call loads its model), and large generated texts are the point, not a problem.
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FUZZ_EXAMPLES: Counter = Counter()


def count_example(test_name: str) -> None:
    FUZZ_EXAMPLES[test_name] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if FUZZ_EXAMPLES:
        per_test = ", ".join(f"{name} {n}" for name, n in sorted(FUZZ_EXAMPLES.items()))
        terminalreporter.write_line(f"fuzz examples run: {sum(FUZZ_EXAMPLES.values())} ({per_test})")


@pytest.fixture(scope="module")
def single_threaded():
    """One OpenMP thread: on a busy 2-core machine the gradient-boosted scorer's thread pool
    turns a 6 ms single-article prediction into 2 s of spinning."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
