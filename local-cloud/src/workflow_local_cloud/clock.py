"""Simulated time: Wait states and retry intervals are recorded instead of slept.

With simulated time on (the default for tests and the demo), a ``Wait`` of three days and a
retry backoff of 60 s both return at once; each becomes a :class:`Pause` that tests and traces
can read (which state, how long it would have waited, and why). Execution timestamps stay real.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

PauseKind = Literal["wait", "retry"]


@dataclass(frozen=True)
class Pause:
    """A wait that simulated time skipped."""

    execution_arn: str
    state_machine: str
    state: str
    kind: PauseKind
    """``wait``: a Wait state; ``retry``: the backoff before a retry of a failed step."""
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The pause as the control API sends it."""
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Pause:
        """A pause from its control-API form."""
        return cls(**document)


class SimulatedClock:
    """Records every skipped wait. ``enabled=False`` makes the local cloud sleep for real."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._pauses: list[Pause] = []

    def record(
        self, *, execution_arn: str, state_machine: str, state: str, kind: PauseKind, seconds: float
    ) -> None:
        """Note that ``state`` would have waited ``seconds``."""
        with self._lock:
            self._pauses.append(Pause(execution_arn, state_machine, state, kind, seconds))

    def pauses(self, execution_arn: str | None = None) -> list[Pause]:
        """Recorded pauses, oldest first, of one execution or of all."""
        with self._lock:
            return [
                pause
                for pause in self._pauses
                if execution_arn is None or pause.execution_arn == execution_arn
            ]

    def simulated_seconds(self, execution_arn: str) -> float:
        """How much waiting simulated time saved one execution."""
        return sum(pause.seconds for pause in self.pauses(execution_arn))
