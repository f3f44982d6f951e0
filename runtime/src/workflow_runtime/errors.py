"""Errors handlers raise. The class name becomes the Step Functions error name."""

from __future__ import annotations


class TransientError(Exception):
    """A failure worth retrying (a dependency timed out, was throttled, was briefly down).

    Every library Lambda step retries ``TransientError`` with backoff; any other exception is final.
    """


class RequestInvalidError(Exception):
    """Base for a workflow's input validation error: the message lists every problem.

    Subclasses are named after the workflow's error (``class OnboardingRequestInvalid(...)``), so
    the execution fails with exactly that error name.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
