"""The one removal policy of every resource that holds data or its keys.

``RETAINED`` keeps the resource when the stack is deleted or the resource is replaced, but lets
CloudFormation delete it when the create that made it rolls back. A plain ``RemovalPolicy.RETAIN``
would also keep what a failed first deploy created: log groups, tables and buckets with fixed
names would then make the next deploy fail with "already exists", and nothing would have been
stored in them anyway. CloudFormation's ``DeletionPolicy: RetainExceptOnCreate``:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy

__all__ = ["RETAINED"]

RETAINED = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
"""Retain on stack deletion and replacement; delete when the resource's own create rolls back."""
