"""Every stack and workflow of the app deploys to the local cloud as synthesized."""

from __future__ import annotations

from workflow_constructs.definition import STATE_MACHINE_TYPE
from workflow_constructs.workflow import WORKFLOW_TAG


def _state_machine_names(templates) -> list[str]:
    return sorted(
        resource["Properties"]["StateMachineName"]
        for template in templates.values()
        for resource in template.get("Resources", {}).values()
        if resource["Type"] == STATE_MACHINE_TYPE
    )


def test_every_stack_of_the_app_is_created(local_cloud, synthesized_app):
    stacks = local_cloud.client("cloudformation").describe_stacks()["Stacks"]
    # Only the app's: the stack-deployment tests deploy service stacks into the same local cloud.
    ours = [stack for stack in stacks if stack["StackName"] in synthesized_app.templates]

    assert {stack["StackName"]: stack["StackStatus"] for stack in ours} == {
        name: "CREATE_COMPLETE" for name in synthesized_app.templates
    }


def test_every_workflow_is_deployed_under_its_name_and_tagged_with_it(local_cloud, synthesized_app):
    # GIVEN the state machines the app synthesizes (none until the workflow stacks land)
    expected = _state_machine_names(synthesized_app.templates)

    # THEN each is deployed, named and tagged as the Workflow construct says
    assert local_cloud.workflows() == expected
    sfn = local_cloud.client("stepfunctions")
    for name in expected:
        tags = sfn.list_tags_for_resource(resourceArn=local_cloud.state_machine_arn(name))["tags"]
        assert {"key": WORKFLOW_TAG, "value": name} in tags


def test_the_operations_topic_is_encrypted_with_its_own_key(local_cloud):
    topics = local_cloud.client("sns").list_topics()["Topics"]
    (topic,) = [t["TopicArn"] for t in topics if "OperationsTopic" in t["TopicArn"]]

    attributes = local_cloud.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]

    key_id = attributes["KmsMasterKeyId"]
    assert local_cloud.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_stacks_read_the_powertools_layer_from_awss_public_ssm_parameter(local_cloud, synthesized_app):
    # GIVEN the app deployed: its templates read the layer ARN from AWS's public SSM parameter,
    # which the local cloud holds as AWS does (without it, CloudFormation fails the stacks)
    name = "/aws/service/powertools/python/arm64/python3.14/latest"
    layer = local_cloud.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    assert ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:" in layer
    # THEN every stack with functions resolved its layer parameter to that ARN
    cloudformation = local_cloud.client("cloudformation")
    with_functions = [
        stack
        for stack, template in synthesized_app.templates.items()
        if any(r["Type"] == "AWS::Lambda::Function" for r in template["Resources"].values())
    ]
    assert with_functions
    for stack in with_functions:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        resolved = {
            p["ParameterValue"]
            for p in described["Parameters"]
            if p["ParameterKey"].startswith("SsmParameter")
        }
        assert resolved == {layer}, stack
