"""Retry policies: one definition of how every workflow step retries.

Every task built through :mod:`workflow_constructs.tasks` gets the preset for its service: capped
exponential backoff with full jitter. Turning retry off is possible only through :class:`NoRetry`,
which carries its reason into the definition so a reviewer and the synth guard can both see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn

from workflow_constructs import aws_errors
from workflow_constructs.errors import InvalidPropsError

DEFAULT_INTERVAL_SECONDS = 2
DEFAULT_BACKOFF_RATE = 2.0
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_MAX_DELAY_SECONDS = 60  # 1 minute: no single wait longer than this

NO_RETRY_COMMENT_PREFIX = "No retry: "
"""A Task whose Comment starts with this has opted out of retry; the rest of the Comment is why."""

TRANSIENT_ERROR = "TransientError"
"""Error name a handler raises (class ``TransientError``) for a failure worth retrying."""

# What the Lambda service raises when it, not the handler, failed: always safe to retry.
LAMBDA_SERVICE_ERRORS = aws_errors.OPTIMIZED["lambda"].transient

# Optimized integrations by the name the presets take (the table keys them by resource ARN).
_OPTIMIZED_SERVICES = {
    "DynamoDB": "dynamodb",
    "SNS": "sns",
    "SQS": "sqs",
    "EventBridge": "events",
    "StepFunctions": "states",
}


def sdk_error_prefix(service: str) -> str:
    """The prefix Step Functions puts on errors of an AWS SDK integration (``sesv2`` -> ``SesV2``)."""
    entry = aws_errors.for_sdk_service(service)
    return entry.prefix if entry is not None else service[:1].upper() + service[1:]


@dataclass(frozen=True)
class RetryPolicy:
    """One Retry rule of a Task state.

    Defaults: first retry after 2 s, doubling each time, 6 attempts in all, never waiting more
    than 60 s, with full jitter so that many executions failing together do not retry together.

    Example::

        RetryPolicy(errors=("Payments.RateLimited",), max_attempts=3)
    """

    errors: tuple[str, ...]
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS
    backoff_rate: float = DEFAULT_BACKOFF_RATE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_delay_seconds: int = DEFAULT_MAX_DELAY_SECONDS
    jitter: sfn.JitterType = field(default=sfn.JitterType.FULL)

    def __post_init__(self) -> None:
        if not self.errors or any(not error for error in self.errors):
            raise InvalidPropsError("errors", "must name at least one error, none empty", self.errors)
        if "States.ALL" in self.errors:
            raise InvalidPropsError(
                "errors",
                "must name transient errors; 'States.ALL' would retry permanent failures too",
                self.errors,
            )
        if self.interval_seconds < 1:
            raise InvalidPropsError("interval_seconds", "must be at least 1", self.interval_seconds)
        if self.backoff_rate <= 1:
            raise InvalidPropsError(
                "backoff_rate", "must be greater than 1 (exponential backoff)", self.backoff_rate
            )
        if not 1 <= self.max_attempts <= 99_999_999:
            raise InvalidPropsError("max_attempts", "must be between 1 and 99999999", self.max_attempts)
        if self.max_delay_seconds < self.interval_seconds:
            raise InvalidPropsError(
                "max_delay_seconds",
                f"must be at least interval_seconds ({self.interval_seconds})",
                self.max_delay_seconds,
            )
        if self.jitter is not sfn.JitterType.FULL:
            raise InvalidPropsError("jitter", "must be JitterType.FULL", self.jitter)

    def with_errors(self, *errors: str) -> RetryPolicy:
        """The same timing for other errors."""
        return replace(self, errors=tuple(errors))

    def props(self) -> sfn.RetryProps:
        """This policy as CDK ``RetryProps``."""
        return sfn.RetryProps(
            errors=list(self.errors),
            interval=Duration.seconds(self.interval_seconds),
            backoff_rate=self.backoff_rate,
            max_attempts=self.max_attempts,
            max_delay=Duration.seconds(self.max_delay_seconds),
            jitter_strategy=self.jitter,
        )

    # Presets ------------------------------------------------------------------------------------

    @classmethod
    def lambda_transient(cls) -> RetryPolicy:
        """Lambda service failures and a handler's own ``TransientError``."""
        return cls(errors=(*LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR))

    @classmethod
    def throttling(cls, service: str) -> RetryPolicy:
        """Throttling and internal errors of an optimized integration.

        ``service`` is one of DynamoDB, SNS, SQS, EventBridge, StepFunctions.
        """
        if service not in _OPTIMIZED_SERVICES:
            raise InvalidPropsError("service", f"must be one of {sorted(_OPTIMIZED_SERVICES)}", service)
        return cls(errors=aws_errors.OPTIMIZED[_OPTIMIZED_SERVICES[service]].transient)

    @classmethod
    def sdk_transient(cls, service: str, *, idempotent: bool = False) -> RetryPolicy | None:
        """Throttling and internal errors of an AWS SDK integration (``aws-sdk:<service>:<action>``).

        Where throttling arrives only as the service's generic class (CloudFormation, S3, Sfn, see
        :mod:`workflow_constructs.aws_errors`), that class is retried only for an ``idempotent`` call:
        it also carries permanent failures, and repeating an idempotent call that will fail again
        costs time, never a second side effect. None when nothing can be retried safely.
        """
        entry = aws_errors.for_sdk_service(service)
        if entry is None:
            raise InvalidPropsError("service", f"must be one of {sorted(aws_errors.SDK)}", service)
        errors = entry.transient
        if idempotent and entry.throttling_is_generic and entry.generic is not None:
            errors = (*errors, entry.generic)
        return cls(errors=errors) if errors else None

    @classmethod
    def task_timeout(cls) -> RetryPolicy:
        """A task that ran past its own timeout: retried fewer times, since each try already waited."""
        return cls(errors=("States.Timeout",), max_attempts=3)


@dataclass(frozen=True)
class NoRetry:
    """The named way out of retries. The reason is written into the state's Comment.

    Example::

        tasks.aws_sdk_call(self, "Execute change set", ..., retry=NoRetry(
            reason="ExecuteChangeSet is not idempotent; a failed call is inspected, not repeated"))
    """

    reason: str

    def __post_init__(self) -> None:
        if len(self.reason.strip()) < 10:
            raise InvalidPropsError(
                "reason", "must explain in at least 10 characters why no retry is safe", self.reason
            )

    @property
    def comment(self) -> str:
        return f"{NO_RETRY_COMMENT_PREFIX}{self.reason.strip()}"


Retry = Sequence[RetryPolicy] | NoRetry
"""What a task accepts as ``retry``: the policies to apply, or an explicit opt-out."""


def apply_retry(state: sfn.TaskStateBase, retry: Retry) -> None:
    """Add each policy to ``state`` (the opt-out is applied when the state is built, as its Comment)."""
    if isinstance(retry, NoRetry):
        return
    policies: Iterable[RetryPolicy] = retry
    if not list(policies):
        raise InvalidPropsError(
            "retry", "must hold at least one RetryPolicy, or be NoRetry(reason=...)", retry
        )
    for policy in retry:
        state.add_retry(
            errors=list(policy.errors),
            interval=Duration.seconds(policy.interval_seconds),
            backoff_rate=policy.backoff_rate,
            max_attempts=policy.max_attempts,
            max_delay=Duration.seconds(policy.max_delay_seconds),
            jitter_strategy=policy.jitter,
        )
