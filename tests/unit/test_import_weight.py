"""The light parts of the construct library stay light: importing them starts no Node.js process.

Lambda handlers, the operator CLI and the local cloud use `workflow_constructs.naming` and
`.definition`; loading aws-cdk-lib for them would cost about a second and a Node.js process. This is
a property of what gets imported, checked in a fresh interpreter; how long imports take is measured
by `make bench`, never asserted here.
"""

from __future__ import annotations

import pytest
from workflow_tools.bench.importtime import probe_import

LIGHT = (
    "import workflow_constructs",
    "import workflow_constructs.naming",
    "import workflow_constructs.definition",
    "import workflow_constructs.errors",
    "import workflow_constructs.lambda_code",
    "import workflow_constructs.powertools",  # the local cloud seeds the layer parameter from it
    "import business_workflows",
    "import business_workflows.handler_code",
    # The task library runs in Lambda: it never loads aws-cdk-lib.
    "import workflow_runtime",
    "import workflow_tools.bench.stats, workflow_tools.bench.procfs, workflow_tools.bench.importtime",
)


@pytest.mark.parametrize("statement", LIGHT)
def test_light_modules_do_not_load_aws_cdk(statement):
    # WHEN the statement runs in a fresh interpreter
    probe = probe_import(statement, importtime=True)
    # THEN no heavy package (aws_cdk, jsii, constructs, cdk_nag) is loaded; if one is, say who loaded it
    chains = [" -> ".join(chain) for chain in probe.heavy_chains()]
    assert probe.heavy_loaded == (), f"{statement} loads {probe.heavy_loaded} via {chains}"


def test_the_probe_does_see_a_heavy_import():
    # GIVEN a statement that does load aws-cdk-lib (so the test above cannot pass vacuously)
    probe = probe_import("import aws_cdk.aws_stepfunctions", importtime=True)
    # THEN the probe reports it, and the chain that loaded it
    assert "aws_cdk" in probe.heavy_loaded
    assert probe.heavy_chains()[0] == ("aws_cdk.aws_stepfunctions",)
