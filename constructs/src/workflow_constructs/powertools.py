"""Where the AWS-published Powertools for AWS Lambda (Python) layer is found (no aws-cdk-lib import).

AWS publishes the layer's newest version per region as a public SSM parameter,
``/aws/service/powertools/python/<architecture>/<python>/latest`` (and ``.../<package version>``),
holding the layer version ARN: https://docs.aws.amazon.com/powertools/python/latest/#lambda-layer
(SSM Parameter Store section). ``PythonFunction`` reads it at deploy time by default, so every
deploy takes the current layer; ``powertools_layer_version=`` pins one instead.
"""

from __future__ import annotations

POWERTOOLS_LAYER_ACCOUNT = "017000801446"
"""The AWS account that publishes the Powertools for AWS Lambda (Python) layers."""
POWERTOOLS_LAYER_VERSION = 27
"""A known layer version of ``AWSLambdaPowertoolsPythonV3-<python>-<arch>`` (Powertools 3.x): the value
to pin with ``powertools_layer_version=``, and what the local cloud's public parameter holds."""
POWERTOOLS_PARAMETER_PREFIX = "/aws/service/powertools/python"


def layer_parameter_name(*, architecture: str, python: str) -> str:
    """The public SSM parameter with the newest layer ARN (``architecture`` ``arm64`` or ``x86_64``,
    ``python`` like ``python3.14``)."""
    return f"{POWERTOOLS_PARAMETER_PREFIX}/{architecture}/{python}/latest"


def layer_name(*, architecture: str, python: str) -> str:
    """``AWSLambdaPowertoolsPythonV3-python314-arm64`` for ``python3.14`` on ``arm64``."""
    return f"AWSLambdaPowertoolsPythonV3-{python.replace('.', '')}-{architecture}"


def layer_arn(*, partition: str, region: str, architecture: str, python: str, version: int) -> str:
    """The ARN of one published version of the layer."""
    name = layer_name(architecture=architecture, python=python)
    return f"arn:{partition}:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:{name}:{version}"
