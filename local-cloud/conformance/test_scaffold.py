"""The suite's own fixture: a Pass state's output is its input, as AWS documents for Pass."""

import pytest


@pytest.mark.conformance("states")
def test_a_pass_state_passes_its_input_through(cases):
    run = cases.run(
        {"StartAt": "Pass it on", "States": {"Pass it on": {"Type": "Pass", "End": True}}}, {"a": 1}
    )

    assert (run.status, run.output) == ("SUCCEEDED", {"a": 1})
