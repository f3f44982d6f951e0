"""Parsing `python -X importtime` into an import tree, and finding who imported a heavy package."""

from __future__ import annotations

from workflow_tools.bench.importtime import heavy_chains, parse_importtime, walk

# What `python -X importtime -c "import app"` prints, cut down: children come before their parent,
# indented two more spaces per level.
SAMPLE = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 | _io
some unrelated line from a subprocess
import time:       300 |        300 |       jsii._runtime
import time:       400 |        700 |     jsii
import time:      2000 |       2700 |   aws_cdk
import time:        50 |         50 |   workflow_constructs.naming
import time:       100 |       2850 | stacks.operations
import time:        10 |         10 | app
"""


def test_parse_builds_the_tree_from_indentation():
    forest = parse_importtime(SAMPLE)
    assert [node.name for node in forest] == ["_io", "stacks.operations", "app"]
    operations = forest[1]
    assert (operations.self_us, operations.cumulative_us) == (100, 2850)
    assert [child.name for child in operations.children] == ["aws_cdk", "workflow_constructs.naming"]
    assert [child.name for child in operations.children[0].children] == ["jsii"]


def test_walk_yields_each_import_with_the_chain_that_led_to_it():
    chains = list(walk(parse_importtime(SAMPLE)))
    assert ("stacks.operations", "aws_cdk", "jsii", "jsii._runtime") in chains
    assert len(chains) == 7


def test_heavy_chains_name_the_import_that_pulled_each_heavy_package_in():
    assert heavy_chains(parse_importtime(SAMPLE)) == [
        ("stacks.operations", "aws_cdk"),
        ("stacks.operations", "aws_cdk", "jsii"),
    ]
    assert heavy_chains(parse_importtime(SAMPLE), heavy=("boto3",)) == []
