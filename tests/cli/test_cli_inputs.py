"""Reading what the operator types: input files, correlation ids, --since."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from workflow_cli.errors import UsageError
from workflow_cli.inputs import parse_since, read_input, with_correlation_id


def test_reads_a_json_object_from_a_file(tmp_path):
    path = tmp_path / "input.json"
    path.write_text('{"customer": {"id": "c-1"}}')
    assert read_input(str(path), io.StringIO()) == {"customer": {"id": "c-1"}}


def test_reads_stdin_for_dash():
    assert read_input("-", io.StringIO('{"a": 1}')) == {"a": 1}


def test_bad_json_is_reported_with_its_line_and_column(tmp_path):
    # GIVEN a file with a trailing comma on line 3
    path = tmp_path / "input.json"
    path.write_text('{\n  "a": 1,\n  "b": 2,\n}\n')
    # THEN the error names the file and where the problem is
    with pytest.raises(
        UsageError,
        match=rf"^--input {path} is not valid JSON: Expecting property name enclosed in double quotes "
        r"at line 4, column 1$",
    ):
        read_input(str(path), io.StringIO())


def test_a_missing_file_is_named():
    with pytest.raises(UsageError, match=r"^--input /no/such.json: no such file$"):
        read_input("/no/such.json", io.StringIO())


def test_a_directory_cannot_be_read(tmp_path):
    with pytest.raises(UsageError, match=rf"^--input {tmp_path} cannot be read: "):
        read_input(str(tmp_path), io.StringIO())


@pytest.mark.parametrize(("text", "kind"), [("[1]", "list"), ('"x"', "str"), ("null", "NoneType")])
def test_input_must_be_an_object(text, kind):
    with pytest.raises(UsageError, match=rf"^--input stdin must be a JSON object, not {kind}$"):
        read_input("-", io.StringIO(text))


def test_generates_a_correlation_id_when_none_is_given():
    payload, correlation_id = with_correlation_id({"a": 1}, None, generate=lambda: "generated-1")
    assert (payload, correlation_id) == ({"a": 1, "correlationId": "generated-1"}, "generated-1")


def test_generated_ids_are_uuids():
    _, first = with_correlation_id({}, None)
    _, second = with_correlation_id({}, None)
    assert first != second
    assert len(first) == 36


def test_keeps_the_input_correlation_id():
    payload, correlation_id = with_correlation_id({"correlationId": "order-1"}, None)
    assert (payload, correlation_id) == ({"correlationId": "order-1"}, "order-1")


def test_uses_the_given_correlation_id():
    payload, correlation_id = with_correlation_id({}, "order-2")
    assert (payload, correlation_id) == ({"correlationId": "order-2"}, "order-2")


def test_agreeing_ids_are_fine():
    assert with_correlation_id({"correlationId": "order-3"}, "order-3")[1] == "order-3"


def test_disagreeing_ids_are_refused():
    with pytest.raises(
        UsageError, match=r"^--correlation-id \[b\] differs from the input's correlationId \[a\]; give one$"
    ):
        with_correlation_id({"correlationId": "a"}, "b")


@pytest.mark.parametrize(
    ("payload", "given", "message"),
    [
        ({"correlationId": 42}, None, r"^input correlationId must be a non-empty string .*Received: \[42\]$"),
        ({"correlationId": ""}, None, r"^input correlationId must be a non-empty string"),
        ({}, " padded ", r"^--correlation-id must be a non-empty string without surrounding spaces"),
        ({}, "x" * 129, r"^--correlation-id must be at most 128 characters \(has 129\)$"),
    ],
)
def test_correlation_id_must_be_a_usable_string(payload, given, message):
    with pytest.raises(UsageError, match=message):
        with_correlation_id(payload, given)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        (" 90m ", timedelta(minutes=90)),
    ],
)
def test_parse_since(text, expected):
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "1", "h", "1y", "-1h", "0m", "1.5h"])
def test_parse_since_refuses_anything_else(text):
    with pytest.raises(UsageError, match=r"^--since must be a positive number and a unit \(s, m, h, d, w\)"):
        parse_since(text)
