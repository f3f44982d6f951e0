"""Errors raised by the construct library while an app is being built."""

from __future__ import annotations


class InvalidPropsError(ValueError):
    """A construct or task was given a value it cannot use.

    The message names the argument and echoes the value received in brackets, so the
    stack trace alone says what to change.
    """

    def __init__(self, argument: str, rule: str, received: object) -> None:
        self.argument = argument
        self.received = received
        super().__init__(f"{argument} {rule}. Received: [{received}]")
