"""Deploy a synthesized cloud assembly (``cdk.out``) to a local cloud, in process, without the CDK CLI.

What ``cdk deploy --method=direct`` would do, done with boto3: publish every file asset of every
asset manifest (folders zipped, as the CLI does) to the bootstrap bucket, put the bootstrap version
parameter, then ``CreateStack`` each stack in dependency order (so ``Fn::ImportValue`` finds the
exports of the stacks before it) and wait until it is complete.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

STACK_ARTIFACT = "aws:cloudformation:stack"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
BOOTSTRAP_VERSION = "30"
"""What ``cdk bootstrap`` of CLI 2.1148 writes to ``/cdk-bootstrap/<qualifier>/version``."""
DEFAULT_BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation accepts inline; larger templates go by URL
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same folder always makes the same zip


class LoadError(RuntimeError):
    """A stack of the assembly could not be created in the local cloud."""


@dataclass(frozen=True)
class StackArtifact:
    """One stack of a cloud assembly."""

    artifact_id: str
    stack_name: str
    template_file: Path
    dependencies: tuple[str, ...]
    bootstrap_parameter: str = DEFAULT_BOOTSTRAP_PARAMETER

    def template(self) -> dict[str, Any]:
        """The stack's template, parsed."""
        return dict(json.loads(self.template_file.read_text()))


@dataclass(frozen=True)
class FileAsset:
    """One file asset: a folder (zipped) or a file, and where it is published."""

    source: Path
    packaging: str
    bucket: str
    key: str


@dataclass(frozen=True)
class Assembly:
    """The parts of ``manifest.json`` a deployment needs."""

    outdir: Path
    stacks: tuple[StackArtifact, ...]
    assets: tuple[FileAsset, ...] = field(default=())

    @classmethod
    def read(cls, outdir: Path | str, *, account: str, region: str, partition: str = "aws") -> Assembly:
        """Read ``outdir/manifest.json``, placeholders (``${AWS::AccountId}``, ...) filled in."""
        outdir = Path(outdir)
        artifacts: Mapping[str, Any] = json.loads((outdir / "manifest.json").read_text())["artifacts"]
        stacks, assets = [], []
        for artifact_id, artifact in artifacts.items():
            properties = artifact.get("properties", {})
            if artifact.get("type") == STACK_ARTIFACT:
                stacks.append(
                    StackArtifact(
                        artifact_id=artifact_id,
                        stack_name=properties.get("stackName", artifact_id),
                        template_file=outdir / properties["templateFile"],
                        dependencies=tuple(artifact.get("dependencies", [])),
                        bootstrap_parameter=properties.get(
                            "bootstrapStackVersionSsmParameter", DEFAULT_BOOTSTRAP_PARAMETER
                        ),
                    )
                )
            elif artifact.get("type") == ASSET_MANIFEST_ARTIFACT:
                manifest = json.loads((outdir / properties["file"]).read_text())
                for asset in manifest.get("files", {}).values():
                    for destination in asset["destinations"].values():
                        assets.append(
                            FileAsset(
                                source=outdir / asset["source"]["path"],
                                packaging=asset["source"].get("packaging", "file"),
                                bucket=_fill(destination["bucketName"], account, region, partition),
                                key=_fill(destination["objectKey"], account, region, partition),
                            )
                        )
        return cls(outdir=outdir, stacks=tuple(_in_dependency_order(stacks)), assets=tuple(assets))


@dataclass(frozen=True)
class DeployedStack:
    """A stack the loader created: its outputs and how long it took."""

    stack_name: str
    stack_id: str
    outputs: Mapping[str, str]
    seconds: float


def load_assembly(
    outdir: Path | str, *, session: Any, endpoint_url: str, stacks: Iterable[str] | None = None
) -> list[DeployedStack]:
    """Deploy the stacks of the assembly in ``outdir`` (all, or those named) to the local cloud.

    ``session`` is a ``boto3.Session`` with the local cloud's region and (fake) credentials.

    Example::

        load_assembly(synthesized_app.outdir, session=boto3.Session(region_name="us-east-1", ...),
                      endpoint_url=cloud.endpoint_url)
    """

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    account = client("sts").get_caller_identity()["Account"]
    region = session.region_name
    assembly = Assembly.read(outdir, account=account, region=region)
    wanted = set(stacks) if stacks is not None else None
    chosen = [stack for stack in assembly.stacks if wanted is None or stack.stack_name in wanted]
    if wanted is not None and len(chosen) != len(wanted):
        missing = sorted(wanted - {stack.stack_name for stack in chosen})
        raise LoadError(
            f"the assembly has no stacks {missing}; it has {[stack.stack_name for stack in assembly.stacks]}"
        )

    s3 = client("s3")
    _publish_assets(s3, assembly.assets, region)
    ssm = client("ssm")
    for parameter in sorted({stack.bootstrap_parameter for stack in chosen}):
        ssm.put_parameter(Name=parameter, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True)
    cloudformation = client("cloudformation")
    return [_create_stack(cloudformation, stack, assembly.assets, region) for stack in chosen]


def zip_folder(folder: Path) -> bytes:
    """A folder as a zip the way CDK packages assets: sorted entries, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_ZIP_EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


# Internals ----------------------------------------------------------------------------------------


def _fill(text: str, account: str, region: str, partition: str) -> str:
    return (
        text.replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", partition)
    )


def _in_dependency_order(stacks: list[StackArtifact]) -> list[StackArtifact]:
    by_id = {stack.artifact_id: stack for stack in stacks}
    ordered: list[StackArtifact] = []
    visiting: set[str] = set()

    def visit(stack: StackArtifact) -> None:
        if stack in ordered:
            return
        if stack.artifact_id in visiting:
            raise LoadError(f"stacks depend on each other in a cycle through [{stack.artifact_id}]")
        visiting.add(stack.artifact_id)
        for dependency in stack.dependencies:
            if dependency in by_id:
                visit(by_id[dependency])
        visiting.discard(stack.artifact_id)
        ordered.append(stack)

    for stack in stacks:
        visit(stack)
    return ordered


def _publish_assets(s3: Any, assets: Iterable[FileAsset], region: str) -> None:
    buckets: set[str] = set()
    for asset in assets:
        if asset.bucket not in buckets:
            _ensure_bucket(s3, asset.bucket, region)
            buckets.add(asset.bucket)
        body = zip_folder(asset.source) if asset.packaging == "zip" else asset.source.read_bytes()
        s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=body)


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **extra)


def _create_stack(
    cloudformation: Any, stack: StackArtifact, assets: Iterable[FileAsset], region: str
) -> DeployedStack:
    started = time.monotonic()
    body = stack.template_file.read_text()
    template: dict[str, Any]
    if len(body.encode()) <= TEMPLATE_BODY_LIMIT:
        template = {"TemplateBody": body}
    else:
        asset = next((a for a in assets if a.source.resolve() == stack.template_file.resolve()), None)
        if asset is None:
            raise LoadError(
                f"template of [{stack.stack_name}] is over {TEMPLATE_BODY_LIMIT} bytes and not an asset"
            )
        template = {"TemplateURL": f"https://s3.{region}.amazonaws.com/{asset.bucket}/{asset.key}"}
    try:
        stack_id = cloudformation.create_stack(
            StackName=stack.stack_name, Capabilities=list(CAPABILITIES), **template
        )["StackId"]
    except ClientError as error:
        raise LoadError(f"CreateStack [{stack.stack_name}] failed: {error}") from error
    description = _wait_for_stack(cloudformation, stack_id)
    status = description["StackStatus"]
    if status != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
        reasons = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
            for e in events
            if e.get("ResourceStatus", "").endswith("FAILED")
        ]
        raise LoadError(f"stack [{stack.stack_name}] ended {status}: {reasons or 'no reason given'}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    return DeployedStack(stack.stack_name, stack_id, outputs, time.monotonic() - started)


def _wait_for_stack(cloudformation: Any, stack_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        description = dict(cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0])
        if not description["StackStatus"].endswith("_IN_PROGRESS"):
            return description
        if time.monotonic() > deadline:
            raise LoadError(f"stack [{stack_id}] still {description['StackStatus']} after {timeout:.0f} s")
        time.sleep(0.05)
