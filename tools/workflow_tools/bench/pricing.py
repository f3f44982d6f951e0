"""List prices the cost report uses: USD, US East (N. Virginia), on demand, before free tiers.

Checked on 2026-11-25 against the AWS pricing pages cited on each constant. Prices differ by
region (Standard transitions cost $0.0279 per 1,000 in N. California, $0.0375 in São Paulo):
the report is a comparison between workflows and designs, not an invoice.
"""

from __future__ import annotations

import math

REGION = "us-east-1"
STEP_FUNCTIONS_PRICING = "https://aws.amazon.com/step-functions/pricing/"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"

# Step Functions Standard ----------------------------------------------------------------------
# Source: STEP_FUNCTIONS_PRICING, "State transitions pricing table": US East (N. Virginia) $0.0250 per
# 1,000 state transitions. "Step Functions counts a state transition each time a step of your
# workflow is executed ... including retries."
STANDARD_PRICE_PER_STATE_TRANSITION = 0.025 / 1_000

# Step Functions Express -----------------------------------------------------------------------
# Source: STEP_FUNCTIONS_PRICING, "Express Workflows pricing details": $1.00 per 1M requests; duration
# rounded up to the nearest 100 ms; memory billed in 64-MB chunks, estimated as 50 MB + definition
# size + execution data size; duration $0.00001667 per GB-second for the first 1,000 GB-hours a
# month ($0.06 per GB-hour; cheaper tiers beyond that are ignored here).
EXPRESS_PRICE_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PRICE_PER_GB_SECOND = 0.00001667
EXPRESS_DURATION_INCREMENT_MS = 100
EXPRESS_MEMORY_INCREMENT_MB = 64
EXPRESS_BASE_MEMORY_MB = 50

# Lambda (arm64) -------------------------------------------------------------------------------
# Source: LAMBDA_PRICING, US East (N. Virginia): requests $0.20 per 1M; Arm duration $0.0000133334
# per GB-second for the first 7.5 billion GB-seconds a month; duration rounded up to 1 ms. Since
# 2025-08-01 the INIT phase of a cold start is billed too (AWS Compute Blog, "AWS Lambda
# standardizes billing for INIT Phase"); cold starts are rare per invocation and not priced here.
LAMBDA_PRICE_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM64_PRICE_PER_GB_SECOND = 0.0000133334
LAMBDA_DURATION_INCREMENT_MS = 1

MB_PER_GB = 1024


def _round_up(value: float, increment: float) -> float:
    return math.ceil(value / increment) * increment if value > 0 else 0.0


def standard_execution_cost(state_transitions: int) -> float:
    """USD for one Standard execution that made ``state_transitions`` transitions (retries included)."""
    return state_transitions * STANDARD_PRICE_PER_STATE_TRANSITION


def express_billed_memory_mb(definition_bytes: int, payload_bytes: int) -> int:
    """The memory an Express execution is billed for: 50 MB + definition + data, in 64-MB chunks."""
    used_mb = EXPRESS_BASE_MEMORY_MB + (definition_bytes + payload_bytes) / (1024 * 1024)
    return int(_round_up(used_mb, EXPRESS_MEMORY_INCREMENT_MB))


def express_execution_cost(duration_ms: float, billed_memory_mb: int = EXPRESS_MEMORY_INCREMENT_MB) -> float:
    """USD for one Express execution: the request plus its duration at its billed memory."""
    billed_seconds = _round_up(duration_ms, EXPRESS_DURATION_INCREMENT_MS) / 1000
    gb_seconds = billed_seconds * billed_memory_mb / MB_PER_GB
    return EXPRESS_PRICE_PER_REQUEST + gb_seconds * EXPRESS_PRICE_PER_GB_SECOND


def lambda_invocation_cost(*, memory_mb: int, duration_ms: float) -> float:
    """USD for one arm64 Lambda invocation: the request plus its billed duration at its memory."""
    billed_seconds = _round_up(duration_ms, LAMBDA_DURATION_INCREMENT_MS) / 1000
    return (
        LAMBDA_PRICE_PER_REQUEST + billed_seconds * memory_mb / MB_PER_GB * LAMBDA_ARM64_PRICE_PER_GB_SECOND
    )


def price_table() -> dict[str, object]:
    """Every price and its source, for the report's JSON."""
    return {
        "region": REGION,
        "currency": "USD",
        "checked": "2026-11-25",
        "step_functions_standard_per_state_transition": STANDARD_PRICE_PER_STATE_TRANSITION,
        "step_functions_express_per_request": EXPRESS_PRICE_PER_REQUEST,
        "step_functions_express_per_gb_second": EXPRESS_PRICE_PER_GB_SECOND,
        "lambda_per_request": LAMBDA_PRICE_PER_REQUEST,
        "lambda_arm64_per_gb_second": LAMBDA_ARM64_PRICE_PER_GB_SECOND,
        "sources": [STEP_FUNCTIONS_PRICING, LAMBDA_PRICING],
    }
