"""The orders team's CDK app. ``cdk synth`` runs it (``cdk.json``); so does ``python app.py``.

Run directly, it synthesizes into ``cdk.out`` (the CDK CLI passes its own output folder in
``CDK_OUTDIR``), which is what the tests' local cloud deploys.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from workflow_constructs import add_checks

from orders_team import OrderFulfilmentStack

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
OrderFulfilmentStack(app, "OrderFulfilment")
add_checks(app)  # cdk-nag packs and the workflow guards: synth fails on an unacknowledged finding
app.synth()
