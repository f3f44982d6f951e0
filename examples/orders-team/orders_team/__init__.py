"""The orders team's CDK app: the order fulfilment workflow, built on ``workflow_constructs``.

- ``stack``: ``OrderFulfilmentStack``, the workflow and what it uses (tables, the warehouse queue,
  the Lambda function of ``handlers/``).

Example::

    app = cdk.App()
    OrderFulfilmentStack(app, "OrderFulfilment")
    add_checks(app)
"""

from __future__ import annotations

from orders_team.stack import OrderFulfilmentStack

__all__ = ["OrderFulfilmentStack"]
