"""The JSONata expressions of the change set deployment fragment, kept apart so they can be tested alone.

Each function returns the body of one expression; :func:`jsonata` wraps it for a state field
(``{% ... %}``). They read the
state's ``$states`` and the workflow variables assigned earlier (``$request``, ``$stack``,
``$changeSetName``, ``$changes`` ...), never a Lambda. Pure Python: importing this module does not
load aws-cdk-lib, so the unit tests evaluate the very same text with ``jsonata-python``.
"""

from __future__ import annotations

import re

from workflow_constructs import aws_errors
from workflow_constructs.aws_errors import THROTTLING_CAUSE_PATTERN

# Step Functions allows at most this many characters in a Fail state's Cause.
CAUSE_MAX_LENGTH = 32_768
# CloudFormation's own limits.
STACK_NAME_MAX_LENGTH = 128
CHANGE_SET_NAME_PREFIX = "deploy-"
"""Change set names are this prefix + the execution name made safe (letters, digits, '-')."""
REASON_MAX_LENGTH = 1024  # a change set Description holds at most 1024 characters
CORRELATION_ID_MAX_LENGTH = 256
MAX_TAGS = 50  # per stack
NO_CHANGES_REASONS = ("didn't contain changes", "No updates are to be performed")
"""What CloudFormation says in a FAILED change set's StatusReason when the update changes nothing."""

SUCCESS_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
UPDATABLE_STATUSES = (
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
)
"""A stack in one of these can take an UPDATE change set."""
CREATABLE_STATUSES = ("DOES_NOT_EXIST", "REVIEW_IN_PROGRESS")
"""Take a CREATE change set: no stack yet, or one left by a change set that was never executed."""
CLOUDFORMATION_GENERIC_ERROR = aws_errors.SDK["cloudformation"].generic or ""
STACK_DOES_NOT_EXIST = "DOES_NOT_EXIST"
LOOKUP_FAILED = "LOOKUP_FAILED"

# https://<bucket>.s3[.<region>|-<region>].amazonaws.com[.cn]/<key>
_VIRTUAL_HOSTED_URL = (
    r"/^https:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/(.+)$/"
)
# https://s3[.<region>|-<region>].amazonaws.com[.cn]/<bucket>/<key>
_PATH_STYLE_URL = (
    r"/^https:\/\/s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/"
)
_STACK_NAME = rf"/^[A-Za-z][A-Za-z0-9-]{{0,{STACK_NAME_MAX_LENGTH - 1}}}$/"
_UNQUOTABLE = re.compile(r"""\\|'.*"|".*'""")


def jsonata(body: str) -> str:
    """An expression as a state field takes it: ``{% body %}``."""
    return "{% " + body + " %}"


def present_or(path: str, default: str) -> str:
    """``path`` when it has a value, else ``default``.

    Step Functions fails a state whose ``{% %}`` field evaluates to nothing (undefined), so every
    optional value read into a field goes through here.
    """
    return f"$exists({path}) ? {path} : {default}"


def _expression(*parts: str) -> str:
    """One expression from readable pieces (joined by a space: no piece may rely on line breaks)."""
    return " ".join(parts)


def _quoted(value: str) -> str:
    """A JSONata string literal. Values here are names, messages and deploy-time tokens: never both
    kinds of quote nor a backslash, so no escaping is needed."""
    if _UNQUOTABLE.search(value):
        raise ValueError(f"cannot be quoted in a JSONata expression. Received: [{value}]")
    return f'"{value}"' if "'" in value else f"'{value}'"


def _in(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_quoted(value) for value in values) + "]"


def request_problems(*, stack_name_prefix: str, template_bucket_name: str) -> str:
    """Every problem with the execution input, as a list of messages (empty when the input is valid).

    Checks that the input is an object, then ``correlationId``, ``stackName`` (CloudFormation's rules
    and the allowed prefix), ``templateUrl`` (an https S3 object URL in the template bucket),
    ``parameters`` and ``tags`` (objects of plain values), ``requireApproval`` (boolean when given)
    and ``reason``.
    """
    prefix = _quoted(stack_name_prefix)
    bucket = _quoted(template_bucket_name)
    return _expression(
        "(",
        "$in := $states.input;",
        "$show := function($v) { $exists($v) ? $string($v) : '(missing)' };",
        "$text := function($v, $max) {",
        "$type($v) = 'string' and $length($trim($v)) > 0 and $length($v) <= $max };",
        "$plain := function($v) { $type($v) in ['string', 'number', 'boolean'] };",
        "$url := $in.templateUrl;",
        f"$virtualHosted := $type($url) = 'string' ? $match($url, {_VIRTUAL_HOSTED_URL});",
        f"$pathStyle := $type($url) = 'string' ? $match($url, {_PATH_STYLE_URL});",
        "$bucket := $virtualHosted ? $virtualHosted.groups[0] : $pathStyle.groups[0];",
        f"$nameIsValid := $type($in.stackName) = 'string' and $contains($in.stackName, {_STACK_NAME});",
        # A path into an array maps over its items: [{...valid request...}] must not pass for one.
        "$type($in) != 'object' ? ['the input must be a JSON object. Received: [' & $type($in) & ']'] :",
        "[",
        f"$text($in.correlationId, {CORRELATION_ID_MAX_LENGTH}) ? () :",
        f"'correlationId must be a non-empty string of at most {CORRELATION_ID_MAX_LENGTH} characters."
        " Received: [' & $show($in.correlationId) & ']',",
        "$nameIsValid ? () :",
        f"'stackName must be 1-{STACK_NAME_MAX_LENGTH} letters, digits and hyphens, starting with a letter."
        " Received: [' & $show($in.stackName) & ']',",
        f"$nameIsValid and $substring($in.stackName, 0, $length({prefix})) != {prefix} ?",
        f"'stackName must start with ' & {prefix} & ', the prefix of the stacks this workflow may deploy."
        " Received: [' & $in.stackName & ']',",
        "$bucket ? () :",
        "'templateUrl must be the https:// URL of an Amazon S3 object"
        " (https://<bucket>.s3.<region>.amazonaws.com/<key>). Received: [' & $show($url) & ']',",
        f"$bucket and $bucket != {bucket} ?",
        f"'templateUrl must point into the template bucket ' & {bucket} & '. Received: [' & $url & ']',",
        "$exists($in.parameters) and $not($type($in.parameters) = 'object'",
        "and $count($each($in.parameters, function($v) { $plain($v) ? () : 1 })) = 0) ?",
        "'parameters must be an object of ParameterKey: value (string, number or boolean)."
        " Received: [' & $show($in.parameters) & ']',",
        f"$exists($in.tags) and $not($type($in.tags) = 'object' and $count($keys($in.tags)) <= {MAX_TAGS}",
        "and $count($each($in.tags, function($v, $k) {",
        "$type($v) = 'string' and $substring($k, 0, 4) != 'aws:' ? () : 1 })) = 0) ?",
        f"'tags must be an object of at most {MAX_TAGS} Key: string value, no key starting with aws:."
        " Received: [' & $show($in.tags) & ']',",
        "$exists($in.requireApproval) and $type($in.requireApproval) != 'boolean' ?",
        "'requireApproval must be true or false. Received: [' & $show($in.requireApproval) & ']',",
        f"$text($in.reason, {REASON_MAX_LENGTH}) ? () :",
        f"'reason must be a non-empty string of at most {REASON_MAX_LENGTH} characters."
        " Received: [' & $show($in.reason) & ']'",
        "]",
        ")",
    )


def deployment_request() -> str:
    """The input in the shapes CloudFormation takes (only read once the input is known valid).

    ``parameters`` becomes ``[{ParameterKey, ParameterValue}]`` (values as strings), ``tags``
    becomes ``[{Key, Value}]``; ``tagsGiven`` says whether to replace the stack's tags at all.
    """
    return _expression(
        "(",
        "$in := $states.input;",
        "{",
        "'correlationId': $in.correlationId,",
        "'stackName': $in.stackName,",
        "'templateUrl': $in.templateUrl,",
        "'parameters': $type($in.parameters) = 'object' ? [$each($in.parameters, function($v, $k) {",
        "{'ParameterKey': $k, 'ParameterValue': $string($v)} })] : [],",
        "'tagsGiven': $exists($in.tags),",
        "'tags': $type($in.tags) = 'object' ? [$each($in.tags, function($v, $k) {",
        "{'Key': $k, 'Value': $v} })] : [],",
        "'requireApproval': $in.requireApproval = true,",
        "'reason': $in.reason,",
        "'requestedBy': $type($in.requestedBy) = 'string' ? $in.requestedBy : null",
        "}",
        ")",
    )


def approved_by_another() -> str:
    """Approved, by a named approver who is not the requester (the entry set both; it also compares
    role sessions by role and session name, this only catches an identical ARN slipping through)."""
    return _expression(
        "$approved and $type($approvedBy) = 'string' and $type($request.requestedBy) = 'string'",
        "and $approvedBy != $request.requestedBy",
    )


def change_set_name() -> str:
    """``deploy-`` + the execution name with anything but letters, digits and '-' made '-'.

    Execution names are unique per state machine and at most 80 characters, so the change set name
    is unique per execution, starts with a letter and stays far below CloudFormation's 128.
    """
    room = STACK_NAME_MAX_LENGTH - len(CHANGE_SET_NAME_PREFIX)
    return _expression(
        f"{_quoted(CHANGE_SET_NAME_PREFIX)} &",
        f"$substring($replace($states.context.Execution.Name, /[^A-Za-z0-9-]/, '-'), 0, {room})",
    )


def stack_status_after_lookup_error() -> str:
    """``DOES_NOT_EXIST`` when DescribeStacks failed because the stack is absent, else ``LOOKUP_FAILED``.

    Only CloudFormation's ValidationError says a stack is absent, and it arrives as the generic
    class (``CloudFormation.CloudFormationException``) like throttling does: both the class and the
    words are checked, and a throttled look-up never reaches here (it is called again first).
    """
    return _expression(
        f"$callError.Error = {_quoted(CLOUDFORMATION_GENERIC_ERROR)} and",
        f"$contains($callError.Cause, 'does not exist') ? {_quoted(STACK_DOES_NOT_EXIST)}"
        f" : {_quoted(LOOKUP_FAILED)}",
    )


def was_throttled(*, max_retries: int) -> str:
    """The call just caught was throttled and may be made again (``$throttles`` counts the tries).

    CloudFormation's ``Throttling`` is not in its SDK model, so Step Functions raises the generic
    class; only the Cause ("Rate exceeded ... Error Code: Throttling") tells it from a permanent
    ValidationError. https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
    """
    return _expression(
        f"$callError.Error = {_quoted(CLOUDFORMATION_GENERIC_ERROR)} and",
        f"$contains($callError.Cause, /{THROTTLING_CAUSE_PATTERN}/) and $throttles <= {max_retries}",
    )


def throttled_wait_seconds(*, max_seconds: int) -> str:
    """Capped exponential backoff with full jitter, in whole seconds (at least 1)."""
    return _expression(f"$round($random() * $min([$power(2, $throttles), {max_seconds}])) + 1")


def is_creatable() -> str:
    """The stack needs a CREATE change set."""
    return _expression(f"$stackStatus in {_in(CREATABLE_STATUSES)}")


def is_updatable() -> str:
    """The stack can take an UPDATE change set."""
    return _expression(f"$stackStatus in {_in(UPDATABLE_STATUSES)}")


def tags_argument() -> str:
    """The tags to give the change set: the requested ones, or the stack's own when none were asked for.

    CloudFormation removes every stack tag when an update passes an empty list, so "no tags in the
    input" must resend the current ones rather than send nothing.
    """
    return _expression("$request.tagsGiven ? $request.tags : ($exists($stack.Tags) ? $stack.Tags : [])")


def change_list(*, append_to_previous: bool) -> str:
    """The change set's resource changes as ``[{action, logicalId, physicalId, resourceType, replacement}]``.

    ``replacement`` is ``Yes``, ``No`` or ``Conditional`` (CloudFormation's True/False/Conditional;
    additions and removals are never replacements). With ``append_to_previous`` the page is added to
    ``$changes`` (DescribeChangeSet returns long change lists in pages).
    """
    page = (
        "[$states.result.Changes[Type = 'Resource'].ResourceChange.{"
        "'action': Action, 'logicalId': LogicalResourceId, 'physicalId': PhysicalResourceId,"
        " 'resourceType': ResourceType,"
        " 'replacement': Replacement = 'True' ? 'Yes' : (Replacement = 'Conditional' ? 'Conditional' : 'No')"
        "}]"
    )
    return _expression(f"$append($changes, {page})" if append_to_previous else page)


def is_no_changes_failure() -> str:
    """The change set failed only because the update would change nothing."""
    checks = " or ".join(f"$contains($changeSetReason, {_quoted(reason)})" for reason in NO_CHANGES_REASONS)
    return _expression(f"$changeSetStatus = 'FAILED' and ({checks})")


def change_summary() -> str:
    """One line per change for people: ``Modify Queue (AWS::SQS::Queue), replaced``."""
    return _expression(
        "[$changes.(action & ' ' & logicalId & ' (' & resourceType & ')' &",
        "(replacement = 'Yes' ? ', REPLACED' : (replacement = 'Conditional' ? ', may be replaced' : '')))]",
    )


def stack_outputs() -> str:
    """The stack's outputs as ``{OutputKey: OutputValue}`` (``{}`` when it has none)."""
    return _expression("$merge([$stack.Outputs{OutputKey: OutputValue}])")


def is_settled_successfully() -> str:
    """The stack reached a successful terminal status."""
    return _expression(f"$stack.StackStatus in {_in(SUCCESS_STATUSES)}")


def is_in_progress() -> str:
    """The stack is still changing (``*_IN_PROGRESS``, including the cleanup phases)."""
    return _expression("$contains($stack.StackStatus, /_IN_PROGRESS$/)")


def failed_events_so_far(*, first_page: bool) -> str:
    """The FAILED events of this deployment read so far (newest first), with this page's added.

    Events of this deployment carry the change set name as ``ClientRequestToken`` (ExecuteChangeSet
    is called with it). When no event of the first page does (an emulator that drops the token),
    the stack's failed events on that page stand in.
    """
    events = "$states.result.StackEvents"
    pool = f"($exists($ours) ? $ours : {events})" if first_page else "$ours"
    previous = "[]" if first_page else "$failedEvents"
    return _expression(
        "(",
        f"$ours := {events}[ClientRequestToken = $changeSetName];",
        f"$append({previous}, [{pool}[$contains(ResourceStatus, '_FAILED')]])",
        ")",
    )


def events_of_deployment_run_out() -> str:
    """This page reached events older than this deployment (newest come first), or was the last."""
    return _expression(
        "$not($type($states.result.NextToken) = 'string') or",
        "$count($states.result.StackEvents[$not(ClientRequestToken = $changeSetName)]) > 0",
    )


def failure_events(*, count: int) -> str:
    """The first ``count`` FAILED events of this deployment, oldest first, with their reasons.

    The first failures are the cause; the later ones (cancelled updates, rollback) follow from them.
    """
    return _expression(
        "(",
        "$failed := $reverse($failedEvents);",
        f"[$filter($failed, function($e, $i) {{ $i < {count} }}).{{",
        "'timestamp': Timestamp, 'logicalId': LogicalResourceId, 'resourceType': ResourceType,",
        "'status': ResourceStatus, 'reason': ResourceStatusReason",
        "}]",
        ")",
    )


def deployment_failure_cause(*, count: int) -> str:
    """The Cause of ``StackDeploymentFailed``: the final status and the failed events, one per line."""
    return _expression(
        "(",
        f"$failureEvents := {failure_events(count=count)};",
        "$substring(",
        "'Stack ' & $request.stackName & ' ended ' & $stack.StackStatus &",
        "($stack.StackStatusReason ? ' (' & $stack.StackStatusReason & ')' : '') & '.' &",
        "($count($failureEvents) > 0",
        "? ' Failed events, oldest first:' & $join($failureEvents.('\\n' & timestamp & ' ' & logicalId &",
        "' (' & resourceType & ') ' & status & ($exists(reason) ? ': ' & reason : '')))",
        ": ' No failed resource events were found; read the stack events in the CloudFormation console.')",
        f", 0, {CAUSE_MAX_LENGTH})",
        ")",
    )


def lookup_failed() -> str:
    """DescribeStacks failed for another reason than a missing stack."""
    return _expression(f"$stackStatus = {_quoted(LOOKUP_FAILED)}")


def polls_left(*, counter: str, max_polls: int) -> str:
    """The poll counter variable has not reached its bound."""
    return _expression(f"${counter} < {max_polls}")


def not_deployable_cause() -> str:
    """Why a stack in its current status cannot take a change set, and what to do."""
    return _expression(
        "'Stack ' & $request.stackName & ' is ' & $stackStatus & ' and cannot take a change set now:",
        "wait for the operation in progress to end, or delete a stack that failed to create",
        "(ROLLBACK_COMPLETE) and deploy again.'",
    )


def change_set_timed_out_cause(*, max_polls: int, interval: str) -> str:
    """Why ``ChangeSetTimedOut``: the change set's last status and how long it was given."""
    return _expression(
        f"'Change set ' & $changeSetName & ' was still ' & $changeSetStatus & ' after {max_polls}",
        f"checks {interval} apart.'",
    )


def stack_timed_out_cause(*, max_polls: int, interval: str) -> str:
    """Why ``StackDeploymentTimedOut``: the stack's last status, and that CloudFormation carries on."""
    return _expression(
        f"'Stack ' & $request.stackName & ' was still ' & $stack.StackStatus & ' after {max_polls}",
        f"checks {interval} apart; CloudFormation carries on: follow it in the console.'",
    )


def deployment_result(*, changes: str) -> str:
    """The workflow's output: what was deployed, what changed, the stack's status and outputs.

    ``changes`` is the expression for the change list (``[]`` when nothing changed).
    """
    return _expression(
        "{",
        "'correlationId': $request.correlationId,",
        "'stackName': $request.stackName,",
        "'stackId': $stack.StackId,",
        "'changeSetName': $changeSetName,",
        "'changeSetType': $changeSetType,",
        "'stackStatus': $stack.StackStatus,",
        f"'changes': {changes},",
        f"'outputs': {stack_outputs()},",
        "'requestedBy': $request.requestedBy,",
        "'approvedBy': $approvedBy",
        "}",
    )
