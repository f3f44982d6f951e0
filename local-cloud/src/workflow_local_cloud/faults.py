"""Faults armed on a named step of a named state machine, taken one attempt at a time.

The server keeps one :class:`FaultBook`. The patched interpreter asks it, each time a Task state
is about to call its service, whether that attempt should fail instead, and with which error.
Which error a test should use (one the step's Retry matches, or one only its Catch matches) is
decided from the definition by :mod:`workflow_local_cloud.steps`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

TIMEOUT_ERROR = "States.Timeout"
DEFAULT_CAUSE = "Fault injected by the local cloud"


class FaultError(ValueError):
    """A fault that cannot be delivered as asked."""


def is_timeout(error: str) -> bool:
    """Whether ``error`` is delivered as a step timing out rather than as a failure."""
    return error == TIMEOUT_ERROR


@dataclass(frozen=True)
class Fault:
    """Make ``state`` of ``state_machine`` fail with ``error``.

    ``times`` is how many attempts fail (then the step works again); ``None`` fails every attempt,
    which is how a permanent error reaches the Catch (or fails the execution) even when a Retry
    also matches it.
    """

    state_machine: str
    state: str
    error: str
    cause: str = DEFAULT_CAUSE
    times: int | None = 1

    def __post_init__(self) -> None:
        if not self.state_machine or not self.state:
            raise FaultError(
                f"a fault needs a state machine and a state. Received: [{self.state_machine}], [{self.state}]"
            )
        if not self.error:
            raise FaultError("a fault needs an error name. Received: []")
        if self.error.startswith("States.") and not is_timeout(self.error):
            raise FaultError(
                f"only {TIMEOUT_ERROR} can be injected among the States.* errors "
                f"(the others are raised by the interpreter itself). Received: [{self.error}]"
            )
        if self.times is not None and self.times < 1:
            raise FaultError(f"times must be at least 1, or None for every attempt. Received: [{self.times}]")

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API sends it."""
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Fault:
        """A fault from its control-API form."""
        return cls(
            **{key: document[key] for key in ("state_machine", "state", "error")},
            cause=document.get("cause") or DEFAULT_CAUSE,
            times=document.get("times", 1),
        )


@dataclass(frozen=True)
class Answer:
    """Make ``state`` of ``state_machine`` succeed with ``output`` as its service's answer, without
    calling the service.

    For what the emulator cannot produce (a CloudFormation stack that rolled back, a change set that
    never completes): the rest of the workflow then runs on what AWS would have answered. ``times``
    as for :class:`Fault`; ``None``, the default, answers every attempt until cleared.
    """

    state_machine: str
    state: str
    output: Any
    times: int | None = None

    def __post_init__(self) -> None:
        if not self.state_machine or not self.state:
            raise FaultError(
                "an answer needs a state machine and a state. "
                f"Received: [{self.state_machine}], [{self.state}]"
            )
        if self.times is not None and self.times < 1:
            raise FaultError(f"times must be at least 1, or None for every attempt. Received: [{self.times}]")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Answer:
        return cls(
            **{key: document[key] for key in ("state_machine", "state", "output")},
            times=document.get("times"),
        )


class FaultBook:
    """The armed faults (and answers) of one local cloud, thread-safe: executions run on many threads.

    A step has at most one of them armed: arming a fault or an answer replaces what it had.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[tuple[str, str], tuple[Fault | Answer, int | None]] = {}
        self._delivered: list[Fault] = []

    def arm(self, fault: Fault | Answer) -> None:
        """Arm ``fault`` (or an answer), replacing whatever was armed on the same step."""
        with self._lock:
            self._armed[(fault.state_machine, fault.state)] = (fault, fault.times)

    def take(self, state_machine: str, state: str) -> Fault | Answer | None:
        """The fault or answer for this attempt of this step, if armed; uses up one of its ``times``."""
        key = (state_machine, state)
        with self._lock:
            entry = self._armed.get(key)
            if entry is None:
                return None
            fault, remaining = entry
            if remaining is not None:
                if remaining <= 1:
                    del self._armed[key]
                else:
                    self._armed[key] = (fault, remaining - 1)
            if isinstance(fault, Fault):
                self._delivered.append(fault)
            return fault

    def armed(self) -> list[dict[str, Any]]:
        """What is still armed, with the attempts each has left (``None``: every attempt)."""
        with self._lock:
            return [{**fault.to_json(), "remaining": remaining} for fault, remaining in self._armed.values()]

    def delivered(self) -> list[Fault]:
        """Every fault delivered so far, one entry per failed attempt."""
        with self._lock:
            return list(self._delivered)

    def clear(self) -> None:
        """Disarm everything (what was delivered stays recorded)."""
        with self._lock:
            self._armed.clear()
