"""Finding a request's log lines: the workflow's functions, their log groups, the filter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError, EndpointConnectionError
from workflow_cli.logs import filter_pattern, function_names, log_group_of, parse_line, search

FUNCTION = "arn:aws:lambda:eu-west-1:111111111111:function:billing-ChargeCard"
STARTED = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def test_function_names_come_from_lambda_tasks_everywhere_in_the_definition():
    definition = {
        "StartAt": "Validate",
        "States": {
            "Validate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": f"{FUNCTION}:$LATEST", "Payload.$": "$"},
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Legacy",
                        "States": {"Legacy": {"Type": "Task", "Resource": FUNCTION, "End": True}},
                    },
                    {
                        "StartAt": "Ask",
                        "States": {
                            "Ask": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                                "Parameters": {
                                    "FunctionName": "approver",
                                    "Payload": {"taskToken.$": "$$.Task.Token"},
                                },
                                "End": True,
                            }
                        },
                    },
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Dynamic",
                    "States": {
                        "Dynamic": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName.$": "$.fn"},
                            "End": True,
                        }
                    },
                },
                "Next": "Record",
            },
            "Record": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True},
        },
    }
    # THEN every statically named function, once, in state order; run-time names are skipped
    assert function_names(definition) == [f"{FUNCTION}:$LATEST", FUNCTION, "approver"]


class FakeLambda:
    def __init__(self, configurations):
        self.configurations = configurations

    def get_function_configuration(self, FunctionName):  # noqa: N803
        if FunctionName not in self.configurations:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetFunctionConfiguration")
        return self.configurations[FunctionName]


def test_log_group_is_the_functions_own_or_lambdas_default():
    client = FakeLambda(
        {
            FUNCTION: {"LoggingConfig": {"LogFormat": "JSON", "LogGroup": "Billing-ChargeCardLogs1234"}},
            "plain": {"FunctionName": "plain"},
        }
    )
    assert log_group_of(client, FUNCTION) == "Billing-ChargeCardLogs1234"
    assert log_group_of(client, "plain") == "/aws/lambda/plain"
    assert log_group_of(client, f"{FUNCTION}:$LATEST") == "/aws/lambda/billing-ChargeCard"


def test_filter_pattern_matches_the_powertools_key_and_escapes_quotes():
    assert filter_pattern("order-42") == '{ $.correlation_id = "order-42" }'
    assert filter_pattern('a"b\\c') == '{ $.correlation_id = "a\\"b\\\\c" }'


def _line(minutes, message, **extra):
    return {
        "timestamp": int((STARTED + timedelta(minutes=minutes)).timestamp() * 1000),
        "message": json.dumps(
            {"level": "INFO", "message": message, "service": "billing", "correlation_id": "order-42", **extra}
        )
        + "\n",
    }


class FakeLogs:
    """FilterLogEvents over fixed pages per log group; unknown groups fail like CloudWatch Logs."""

    def __init__(self, pages):
        self.pages = pages
        self.requests = []

    def filter_log_events(self, **request):
        self.requests.append(request)
        group = request["logGroupName"]
        if group == "unreachable":
            raise EndpointConnectionError(endpoint_url="https://logs")
        if group not in self.pages:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ResourceNotFoundException",
                        "Message": "The specified log group does not exist.",
                    }
                },
                "FilterLogEvents",
            )
        index = int(request.get("nextToken", 0))
        page = {"events": self.pages[group][index]}
        if index + 1 < len(self.pages[group]):
            page["nextToken"] = str(index + 1)
        return page


def test_search_merges_groups_in_time_order_and_reports_what_it_cannot_read():
    # GIVEN two readable log groups (one paginated), one that does not exist and one unreachable
    logs = FakeLogs(
        {
            "charge": [[_line(2, "Step started", step="charge_card")], [_line(4, "Step failed", error="E")]],
            "validate": [[_line(1, "Step started", step="validate")]],
        }
    )
    # WHEN searched
    found = search(
        logs,
        ["validate", "charge", "missing", "unreachable", "charge"],
        "order-42",
        started=STARTED,
        stopped=STARTED + timedelta(minutes=5),
    )
    # THEN lines come oldest first across groups, each group once, problems one line each
    assert [line.message for line in found.lines] == ["Step started", "Step started", "Step failed"]
    assert found.log_groups == ("validate", "charge", "missing", "unreachable")
    # (a group that does not exist has no lines: not a problem)
    assert found.problems == ('unreachable: Could not connect to the endpoint URL: "https://logs"',)
    # AND the window runs from a minute before the start to five minutes after the stop
    first = logs.requests[0]
    assert first["filterPattern"] == '{ $.correlation_id = "order-42" }'
    assert first["startTime"] == int((STARTED - timedelta(minutes=1)).timestamp() * 1000)
    assert first["endTime"] == int((STARTED + timedelta(minutes=10)).timestamp() * 1000)


def test_search_keeps_only_lines_of_the_correlation_id_even_when_the_filter_is_ignored():
    # GIVEN a log service that returns every line (as moto does), including another request's and plain text
    logs = FakeLogs(
        {
            "g": [
                [
                    _line(0, "mine"),
                    _line(1, "theirs", correlation_id="order-43"),
                    {"timestamp": 0, "message": "START RequestId: 1"},
                ]
            ]
        }
    )
    found = search(logs, ["g"], "order-42", started=STARTED, stopped=None)
    assert [line.message for line in found.lines] == ["mine"]


def test_metrics_documents_are_shown_by_their_values():
    # GIVEN a Powertools metrics document (EMF) of the request, as the handler decorator writes it
    emf = {
        "_aws": {
            "Timestamp": 0,
            "CloudWatchMetrics": [{"Namespace": "billing", "Metrics": [{"Name": "Paid"}]}],
        },
        "service": "billing",
        "correlation_id": "order-42",
        "Paid": [1.0],
    }
    line = parse_line("g", {"timestamp": 0, "message": json.dumps(emf)})
    # THEN it reads as the metrics it carries
    assert (line.message, line.extras) == ("metrics", {"Paid": [1.0]})


def test_search_keeps_the_newest_lines_within_the_limit():
    logs = FakeLogs({"g": [[_line(minute, f"line {minute}") for minute in range(5)]]})
    found = search(logs, ["g"], "order-42", started=STARTED, stopped=None, limit=2)
    assert [line.message for line in found.lines] == ["line 3", "line 4"]


def test_parse_line_keeps_the_extra_keys_and_text_lines():
    line = parse_line("g", _line(0, "Step finished", step="charge_card", duration_ms=12.5, function_name="f"))
    assert line.message == "Step finished"
    assert line.extras == {"step": "charge_card", "duration_ms": 12.5}
    assert line.timestamp == STARTED
    text = parse_line("g", {"timestamp": 0, "message": "START RequestId: 1\n"})
    assert (text.message, text.fields) == ("START RequestId: 1", {})
