"""Only the intended answerer may answer a state machine's task tokens.

Step Functions resolves a task token into the ``TaskScheduled`` event's parameters, so whoever may call
``states:GetExecutionHistory`` on a state machine can read every token it waits on
(``IncludeExecutionData: false`` only keeps them out of CloudWatch Logs). State machines have no
resource-based policy, so the token cannot be protected where it lives: :class:`TaskAnswerGuard` is a
customer managed policy with one explicit Deny of ``states:SendTask*`` on the state machine for every
principal but the answerers' roles (``aws:PrincipalArn``). An explicit Deny wins over any Allow
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html); attach the
policy to every operator, developer and CI role of the account, or put :meth:`TaskAnswerGuard.document`
in a service control policy (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html)
to cover principals the app does not know.

``SendTaskSuccess``/``SendTaskFailure``/``SendTaskHeartbeat`` are authorised against the state machine
of the token (resource types ``activity`` and ``stateMachine``:
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_iam as iam

from constructs import Construct

ANSWER_ACTIONS = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")


class TaskAnswerGuard(Construct):
    """A managed policy denying task answers on ``state_machine_arn`` to all but ``answerers``.

    Attributes: ``policy`` (the ``iam.ManagedPolicy``; its ARN is what operators attach).

    Example::

        guard = TaskAnswerGuard(self, "AnswerGuard", state_machine_arn=machine.state_machine_arn,
                                answerers=[webhook.role], purpose="payment answers")
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_arn: str,
        answerers: Sequence[iam.IRole],
        purpose: str,
    ) -> None:
        super().__init__(scope, construct_id)
        if not answerers:
            raise ValueError("TaskAnswerGuard needs at least one answerer role. Received: []")
        self.statement = iam.PolicyStatement(
            sid="OnlyTheAnswerPathAnswersTaskTokens",
            effect=iam.Effect.DENY,
            actions=list(ANSWER_ACTIONS),
            resources=[state_machine_arn],
            conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn for role in answerers]}},
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Attach to every operator/CI role: only the app's answer path may send {purpose}",
            statements=[self.statement],
        )

    def document(self) -> dict[str, Any]:
        """The policy document (unresolved tokens included), e.g. for a service control policy."""
        return dict(self.policy.document.to_json())
