"""JSONata regex literals on the local cloud behave as in AWS's (JavaScript) JSONata."""

from __future__ import annotations

import jsonata
import pytest
from workflow_local_cloud.patches import javascript_regex


def _contains(text: str, regex: str) -> bool:
    return bool(jsonata.Jsonata(f"$contains(text, {regex})", javascript_regex).evaluate({"text": text}))


@pytest.mark.parametrize(
    ("text", "regex", "expected"),
    [
        ("svc-orders", "/^svc-[a-z]+$/", True),
        ("svc-orders\n", "/^svc-[a-z]+$/", False),  # Python's $ would match before the newline
        ("2026", "/^\\d{4}$/", True),
        ("2\u066326", "/^\\d{4}$/", False),  # an Arabic-Indic digit: Python's \d would match it
        ("cost $5", "/[$]5$/", True),  # a $ inside a class stays a dollar sign
        ("a\nb", "/^a$/m", True),  # multiline mode keeps $ at every line end
        ("SVC-A", "/^svc-a$/i", True),
    ],
)
def test_anchors_and_digits_follow_javascript(text, regex, expected):
    assert _contains(text, regex) is expected
