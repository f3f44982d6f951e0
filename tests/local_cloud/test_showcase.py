"""The local cloud runs real workflows: the showcase app, deployed by the in-process loader.

Each test drives the ``showcase-orders`` workflow (or its siblings) through one capability: Lambda
with the deployed code, DynamoDB, SNS, SQS, EventBridge, SES v2 templates, a Wait under simulated
time, an inline Map, a callback, a nested execution, JSONata, a distributed Map reading S3, faults,
and cross-stack references.
"""

from __future__ import annotations

import json
import uuid

import pytest
from workflow_local_cloud import FaultError, task_steps_of_templates

from tests.local_cloud.local_cloud_showcase import BATCH, BATCH_ITEMS_KEY, ORDERS, SENDER, SHIPPING

pytestmark = pytest.mark.behaviour

PAYMENT = "Collect the payment"


def _order(*, items: list[dict] | None = None, email: str | None = None) -> dict:
    correlation_id = f"c-{uuid.uuid4().hex[:8]}"
    items = [{"sku": "book", "price": 12.5}, {"sku": "pen", "price": 2}] if items is None else items
    return {
        "correlationId": correlation_id,
        "order": {"email": email or f"{correlation_id}@example.com", "items": items},
    }


def _stored_status(cloud, correlation_id: str) -> str:
    table = next(name for name in cloud.client("dynamodb").list_tables()["TableNames"] if "Orders" in name)
    item = cloud.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": correlation_id}})["Item"]
    return str(item["orderStatus"]["S"])


def _paid_order(cloud, order: dict):
    execution = cloud.start(ORDERS, order, reason="showcase test")
    cloud.complete_callback(execution, PAYMENT, {"paid": True})
    return execution, cloud.wait(execution)


def test_the_happy_path_runs_every_integration_and_ends_as_designed(cloud):
    # GIVEN an order of two items
    order = _order()

    # WHEN it is placed and its payment arrives
    execution, result = _paid_order(cloud, order)

    # THEN the workflow succeeded through every state, in order
    assert result.status == "SUCCEEDED", cloud.trace(execution).render()
    names = [run.name for run in cloud.trace(execution).runs]
    assert names[:5] == [
        "Validate the order",
        "Compute the order total",
        "Record the order",
        "Wait for the warehouse to open",
        "Pack each item",
    ]
    assert names[-1] == "Order complete"
    output = result.output
    # Lambda ran the deployed handler with a Lambda context
    assert output["validation"]["valid"] is True
    assert output["validation"]["memoryMb"] == "256"
    # JSONata computed the total; the nested workflow handed back its tracking id
    assert output["total"] == 14.5
    assert output["shipment"] == {"trackingId": f"track-{order['correlationId']}"}
    # the inline Map packed each item, the callback's output landed where ResultPath put it
    assert output["packed"] == [{"sku": "book", "packed": True}, {"sku": "pen", "packed": True}]
    assert output["payment"] == {"paid": True}
    # the child workflow updated the item the parent wrote, and the parent read it back
    assert output["stored"] == {"orderStatus": "shipped"}
    # an AWS SDK call answered in PascalCase, as Step Functions does
    assert output["sharedStack"] == {"status": "CREATE_COMPLETE"}


def test_the_nested_workflow_used_the_full_lambda_integration_and_s3_through_the_sdk(cloud):
    # GIVEN an order that went through
    order = _order()
    execution, result = _paid_order(cloud, order)
    assert result.succeeded

    # WHEN the child execution the parent started is looked at
    child_arn = next(
        run.result["ExecutionArn"] for run in cloud.trace(execution).runs if run.name == "Ship the order"
    )
    child = cloud.trace(child_arn)

    # THEN Lambda's Invoke response was the booking step's result, and the archived booking was read back
    book = next(run for run in child.runs if run.name == "Book the shipment")
    assert book.result["StatusCode"] == 200
    assert book.result["Payload"]["trackingId"] == f"track-{order['correlationId']}"
    read = next(run for run in child.runs if run.name == "Read the archived booking")
    assert read.output["archived"] == {"booking": {"trackingId": f"track-{order['correlationId']}"}}


def test_a_wait_of_an_hour_is_recorded_not_slept(cloud):
    execution, result = _paid_order(cloud, _order())

    assert result.succeeded
    waits = [p for p in cloud.pauses(execution) if p.kind == "wait"]
    assert [(p.state, p.seconds) for p in waits] == [("Wait for the warehouse to open", 3600.0)]
    assert result.seconds < 3600


def test_the_templated_email_is_sent_through_ses_v2_and_rendered(cloud):
    order = _order()

    _, result = _paid_order(cloud, order)

    assert result.succeeded
    (email,) = cloud.emails(to=order["order"]["email"])
    assert email.sender == SENDER
    assert email.template == "showcase-order-confirmation"
    assert email.subject == f"Order {order['correlationId']} is on its way"
    assert email.body == (
        f"Hello, your order {order['correlationId']} ships with tracking id track-{order['correlationId']}."
    )


def test_the_parallel_branches_reached_sqs_and_the_handler_reached_dynamodb(cloud):
    order = _order()

    _, result = _paid_order(cloud, order)

    assert result.succeeded
    # SQS got the invoice message the Parallel's branch sent
    sqs = cloud.client("sqs")
    queue = next(url for url in sqs.list_queues()["QueueUrls"] if "Invoices" in url)
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    ]
    assert {"orderId": order["correlationId"]} in bodies
    # the shipping handler wrote with boto3 to the table of the other stack (AWS_ENDPOINT_URL works)
    table = next(name for name in cloud.client("dynamodb").list_tables()["TableNames"] if "Orders" in name)
    item = cloud.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": f"shipment#{order['correlationId']}"}}
    )
    assert item["Item"]["trackingId"] == {"S": f"track-{order['correlationId']}"}


def test_a_handler_exception_becomes_the_error_named_after_its_class(cloud):
    # GIVEN an order without items, which the validating handler rejects by raising OrderInvalid
    result = cloud.run(ORDERS, _order(items=[]))

    # THEN the Catch on OrderInvalid took it to the rejection, and the cause is Lambda's error document
    assert (result.status, result.error) == ("FAILED", "OrderRejected")
    validate = cloud.trace(result.execution).runs[0]
    assert validate.error == "OrderInvalid"
    assert json.loads(validate.cause)["errorMessage"] == "order has no items"


def test_a_transient_fault_is_retried_and_the_execution_recovers(cloud):
    # GIVEN the validating step will fail its first two attempts with an error its Retry names
    fault = cloud.inject_transient_fault(ORDERS, "Validate the order", times=2)

    # WHEN an order is placed
    execution, result = _paid_order(cloud, _order())

    # THEN it succeeded on the third attempt, and both backoffs were skipped, not slept
    assert fault.error == "Lambda.ServiceException"
    assert result.succeeded
    validate = cloud.trace(execution).runs[0]
    assert (validate.attempts, validate.retries) == (3, 2)
    retries = [p for p in cloud.pauses(execution) if p.kind == "retry"]
    assert [p.state for p in retries] == ["Validate the order"] * 2


def test_a_transient_fault_on_a_service_integration_uses_its_own_error_names(cloud):
    fault = cloud.inject_transient_fault(ORDERS, "Record the order")

    execution, result = _paid_order(cloud, _order())

    assert fault.error == "DynamoDB.ProvisionedThroughputExceededException"
    assert result.succeeded
    record = next(run for run in cloud.trace(execution).runs if run.name == "Record the order")
    assert record.retries == 1


def test_more_failures_than_the_retry_allows_are_refused(cloud):
    with pytest.raises(FaultError, match=r"retries \[Lambda.ServiceException\] 6 time\(s\); 7 failure"):
        cloud.inject_transient_fault(ORDERS, "Validate the order", times=7)


def test_a_permanent_fault_takes_the_catch_path(cloud):
    # GIVEN the validating step fails every attempt with the error only its Catch names
    fault = cloud.inject_permanent_fault(ORDERS, "Validate the order")

    # WHEN an order is placed
    result = cloud.run(ORDERS, _order())

    # THEN the execution went down the rejection path
    assert fault.error == "OrderInvalid"
    assert (result.status, result.error) == ("FAILED", "OrderRejected")


def test_an_answer_replaces_the_service_call_and_the_workflow_runs_on_it(cloud):
    # GIVEN the archived booking is answered instead of read from S3
    cloud.inject_answer(
        SHIPPING, "Read the archived booking", {"Body": json.dumps({"trackingId": "answered"})}
    )

    # WHEN a shipment is booked
    result = cloud.run(SHIPPING, {"orderId": f"o-{uuid.uuid4().hex[:8]}"})

    # THEN the step's ResultSelector and the states after it worked on the answer
    assert result.succeeded, cloud.trace(result.execution).render()
    assert result.output == {"trackingId": "answered"}
    read = next(run for run in cloud.trace(result.execution).runs if run.name == "Read the archived booking")
    assert read.output["archived"] == {"booking": {"trackingId": "answered"}}
    assert not [fault for fault in cloud.delivered_faults() if fault.state == "Read the archived booking"]


def test_an_answer_lasts_as_many_attempts_as_asked(cloud):
    cloud.inject_answer(
        SHIPPING, "Read the archived booking", {"Body": json.dumps({"trackingId": "once"})}, times=1
    )
    order_id = f"o-{uuid.uuid4().hex[:8]}"

    first = cloud.run(SHIPPING, {"orderId": order_id})
    second = cloud.run(SHIPPING, {"orderId": order_id})

    assert first.output == {"trackingId": "once"}
    assert second.output == {"trackingId": f"track-{order_id}"}  # read from S3 again


def test_a_lambda_step_takes_no_answer(cloud):
    with pytest.raises(FaultError, match=r"runs a Lambda function: its code runs, it takes no answer"):
        cloud.inject_answer(ORDERS, "Validate the order", {"valid": True})


def test_a_callback_that_times_out_cancels_the_order(cloud):
    # GIVEN an order waiting for its payment
    order = _order()
    execution = cloud.start(ORDERS, order)

    # WHEN the payment step times out (simulated time: now, not in a day)
    cloud.time_out_callback(execution, PAYMENT)
    result = cloud.wait(execution)

    # THEN States.Timeout was caught, the order cancelled in DynamoDB, and the execution failed as designed
    assert (result.status, result.error) == ("FAILED", "PaymentNotReceived")
    payment = next(run for run in cloud.trace(execution).runs if run.name == PAYMENT)
    assert payment.error == "States.Timeout"
    assert _stored_status(cloud, order["correlationId"]) == "cancelled"


def test_a_failed_callback_fails_the_step_with_the_senders_error_and_cause(cloud):
    execution = cloud.start(ORDERS, _order())

    cloud.fail_callback(execution, PAYMENT, error="PaymentDeclined", cause="insufficient funds")
    result = cloud.wait(execution)

    assert (result.status, result.error, result.cause) == ("FAILED", "PaymentDeclined", "insufficient funds")


def test_a_heartbeat_reaches_the_waiting_step(cloud):
    execution = cloud.start(ORDERS, _order())

    token = cloud.heartbeat(execution, PAYMENT)
    cloud.client("stepfunctions").send_task_success(taskToken=token, output="{}")

    assert cloud.wait(execution).succeeded


def test_lambda_output_is_kept_as_log_lines_with_the_correlation_id_and_never_the_task_token(cloud):
    # GIVEN an order whose payment step handed a task token to a Lambda function
    order = _order()
    execution = cloud.start(ORDERS, order)
    token = cloud.complete_callback(execution, PAYMENT, {"paid": True})
    assert cloud.wait(execution).succeeded

    # WHEN the functions' log lines are read
    lines = cloud.lambda_log_lines()

    # THEN Powertools' JSON lines of this order are there, and the token is in none of them
    mine = [
        json.loads(line.message)
        for line in lines
        if line.message.startswith("{") and order["correlationId"] in line.message
    ]
    assert {entry["message"] for entry in mine} >= {"Order validated", "Item packed", "Payment requested"}
    assert all(entry["correlation_id"] == order["correlationId"] for entry in mine)
    assert not [line for line in lines if token in line.message]


def test_warm_workers_serve_the_next_executions(cloud):
    # GIVEN every function has a worker, and has run once (one item: no concurrent packing)
    cloud.prewarm(wait=True)
    one_item = [{"sku": "book", "price": 12.5}]
    assert _paid_order(cloud, _order(items=one_item))[1].succeeded
    workers = cloud.health()["lambdaWorkers"]

    # WHEN two more orders go through
    for _ in range(2):
        assert _paid_order(cloud, _order(items=one_item))[1].succeeded

    # THEN no new worker process was needed
    assert cloud.health()["lambdaWorkers"] == workers


def test_a_distributed_map_reads_its_items_from_s3(cloud):
    # GIVEN the batch file in the bucket the workflow reads
    s3 = cloud.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "batchitems" in b["Name"])
    s3.put_object(Bucket=bucket, Key=BATCH_ITEMS_KEY, Body=json.dumps([{"line": n} for n in range(4)]))

    # WHEN the batch runs
    result = cloud.run(BATCH, {"correlationId": "batch-1"})

    # THEN every line was checked by the item processor
    assert result.succeeded, cloud.trace(result.execution).render()
    assert result.output["checked"] == [{"ok": True, "line": n} for n in range(4)]


def test_cross_stack_references_resolve_to_the_other_stacks_resources(cloud):
    table = next(name for name in cloud.client("dynamodb").list_tables()["TableNames"] if "Orders" in name)
    functions = [
        f for f in cloud.client("lambda").list_functions()["Functions"] if "Showcase" in f["FunctionName"]
    ]

    assert table.startswith("LocalCloudShared-")
    assert {f["Environment"]["Variables"]["TABLE_NAME"] for f in functions} == {table}


def test_the_step_catalogue_of_the_templates_matches_the_deployed_definitions(cloud, showcase_outdir):
    # GIVEN the synthesized templates of the showcase
    templates = {
        p.name.removesuffix(".template.json"): json.loads(p.read_text())
        for p in showcase_outdir.glob("*.template.json")
    }

    # WHEN their Task states are listed, and those of the deployed state machines
    from_templates = {(s.workflow, s.state, s.path) for s in task_steps_of_templates(templates)}
    deployed = {(s.workflow, s.state, s.path) for s in cloud.task_steps()}

    # THEN they are the same steps, including those inside Map and Parallel states
    assert from_templates == deployed
    assert (ORDERS, "Tell operations", ("Announce the order",)) in deployed
    assert cloud.step(ORDERS, PAYMENT).is_callback


def test_jsonata_tasks_assign_variables_and_shape_their_output(cloud):
    # GIVEN a JSONata state machine (created through the API) calling a deployed function and DynamoDB
    function = next(name for name in cloud.function_names() if "PackItem" in name)
    table = next(name for name in cloud.client("dynamodb").list_tables()["TableNames"] if "Orders" in name)
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Pack one",
        "States": {
            "Pack one": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": function, "Payload": {"sku": "{% $states.input.sku %}"}},
                "Assign": {"packed": "{% $states.result.Payload.packed %}"},
                "Output": "{% $states.result.Payload %}",
                "Next": "Record it",
            },
            "Record it": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Arguments": {
                    "TableName": table,
                    "Item": {
                        "pk": {"S": "{% 'jsonata#' & $states.input.sku %}"},
                        "packed": {"BOOL": "{% $packed %}"},
                    },
                },
                "Output": "{% $states.input %}",
                "Next": "Double each",
            },
            "Double each": {
                "Type": "Map",
                "Items": "{% [1, 2, 3] %}",
                "ItemProcessor": {
                    "StartAt": "Double",
                    "States": {"Double": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": True}},
                },
                "Output": "{% {'doubled': $states.result, 'id': $uuid(), 'digest': $hash('abc', 'SHA-256'),"
                " 'quote': $states.input.sku & ' \\\"x\\\"'} %}",
                "End": True,
            },
        },
    }
    cloud.client("stepfunctions").create_state_machine(
        name="showcase-jsonata", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/x"
    )

    # WHEN it runs
    result = cloud.run("showcase-jsonata", {"sku": "pen"})

    # THEN arguments, variables, Map items and Step Functions' own functions all evaluated
    assert result.succeeded, cloud.trace(result.execution).render()
    assert result.output["doubled"] == [2, 4, 6]
    assert len(result.output["id"]) == 36
    assert result.output["digest"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert result.output["quote"] == 'pen "x"'
    item = cloud.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "jsonata#pen"}})["Item"]
    assert item["packed"] == {"BOOL": True}


def test_the_demos_self_check_succeeds_with_a_day_skipped(cloud):
    # GIVEN the demo's self-check scenario
    from workflow_tools.demo.local_cloud_check import SCENARIOS

    (scenario,) = SCENARIOS
    scenario.before(cloud)

    # WHEN it runs
    result = cloud.run(scenario.workflow, scenario.input(), reason=scenario.reason)

    # THEN JSONata greeted, the Choice found the greeting, and the day-long Wait was skipped
    assert result.succeeded, cloud.trace(result.execution).render()
    assert result.output == {"greeting": "Hello, Ada!"}
    assert [(p.state, p.seconds) for p in cloud.pauses(result.execution)] == [("Wait a day", 86_400.0)]


def test_cloudformation_secrets_hold_their_string_or_a_generated_one(cloud):
    # GIVEN a stack with a literal secret and one generated into a JSON template (as CDK writes them)
    template = {
        "Resources": {
            "Literal": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "s3cret"}},
            "Generated": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "GenerateSecretString": {
                        "SecretStringTemplate": '{"user": "billing"}',
                        "GenerateStringKey": "signingSecret",
                        "PasswordLength": 64,
                        "ExcludePunctuation": True,
                    }
                },
            },
        },
        "Outputs": {
            "LiteralArn": {"Value": {"Ref": "Literal"}},
            "GeneratedArn": {"Value": {"Ref": "Generated"}},
        },
    }
    cloudformation = cloud.client("cloudformation")

    # WHEN it is created
    cloudformation.create_stack(StackName="LocalCloudSecrets", TemplateBody=json.dumps(template))

    # THEN Ref is each secret's ARN, and the values are the literal and a generated one in the template
    (stack,) = cloudformation.describe_stacks(StackName="LocalCloudSecrets")["Stacks"]
    arns = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    secrets = cloud.client("secretsmanager")
    assert secrets.get_secret_value(SecretId=arns["LiteralArn"])["SecretString"] == "s3cret"
    generated = json.loads(secrets.get_secret_value(SecretId=arns["GeneratedArn"])["SecretString"])
    assert generated["user"] == "billing"
    assert len(generated["signingSecret"]) == 64
    assert generated["signingSecret"].isalnum()
    assert arns["GeneratedArn"].startswith("arn:aws:secretsmanager:")
