"""The construct side of the stage rule (``workflow_constructs.naming.physical_name``).

The stage is read from CDK context (``-c stage=dev``, key ``stage``) wherever a fixed physical name
is set, so a library workflow follows the stage of the app it is built in without being told.
"""

from __future__ import annotations

from constructs import Construct
from workflow_constructs.naming import STAGE_CONTEXT_KEY, parse_stage, physical_name

__all__ = ["stage_of", "staged_name"]


def stage_of(scope: Construct) -> str | None:
    """The app's stage (the ``stage`` context), validated; None when no stage is set.

    Raises :class:`workflow_constructs.naming.InvalidStageError` on a stage no service accepts.
    """
    return parse_stage(scope.node.try_get_context(STAGE_CONTEXT_KEY))


def staged_name(scope: Construct, name: str) -> str:
    """``name`` as the stage of ``scope``'s app deploys it (``<stage>-<name>``; unchanged by default).

    Example::

        Workflow(self, "Billing", workflow_name=staged_name(self, "billing"), definition=...)
    """
    return physical_name(name, stage_of(scope))
