"""The customer onboarding stack: the onboarding workflow, wired to the operations topic."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs.stage import staged_name

from business_workflows.onboarding import OnboardingWorkflow
from business_workflows.options import WorkflowOptions
from constructs import Construct
from stacks.senders import sender_address

DEFAULT_SENDER_ADDRESS = "welcome@example.com"
"""The placeholder: synth fails on it (``PlaceholderSenderError``) unless the local cloud or tests opt in."""
SENDER_CONTEXT_KEY = "onboardingSenderAddress"
"""cdk.json / ``-c`` context: the welcome email's From address, verified in SES (required for a deploy)."""


class OnboardingStack(Stack):
    """Customer onboarding (state machine ``customer-onboarding``).

    ``user_provisioning_workflow`` names the state machine that provisions the customer's first
    admin user (imported by name, so the two stacks deploy independently; deploy it first). Both
    names are logical: the import takes this stage's machine (``staged_name``).
    Without it, onboarding provisions the tenant only. ``user_deprovisioning_workflow`` names the
    state machine the rollback runs to remove that admin user again (imported by name, too).
    ``options`` (the app's one :class:`~business_workflows.options.WorkflowOptions`: the operations
    topic, the Sentry secret, whether placeholder senders are allowed) goes to the workflow as is.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: WorkflowOptions,
        user_provisioning_workflow: str | None = None,
        user_deprovisioning_workflow: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("description", "Customer onboarding workflow (state machine customer-onboarding)")
        super().__init__(scope, construct_id, **kwargs)
        self.onboarding = OnboardingWorkflow(
            self,
            "Onboarding",
            sender_address=sender_address(self, SENDER_CONTEXT_KEY, DEFAULT_SENDER_ADDRESS),
            options=options,
            user_provisioning=sfn.StateMachine.from_state_machine_name(
                self, "UserProvisioning", staged_name(self, user_provisioning_workflow)
            )
            if user_provisioning_workflow
            else None,
            user_deprovisioning=sfn.StateMachine.from_state_machine_name(
                self, "UserDeprovisioning", staged_name(self, user_deprovisioning_workflow)
            )
            if user_deprovisioning_workflow
            else None,
        )
