"""Unit tests of reading a cloud assembly the way the loader deploys it (no local cloud needed)."""

from __future__ import annotations

import io
import zipfile

import pytest
from workflow_local_cloud.loader import (
    Assembly,
    LoadError,
    StackArtifact,
    _in_dependency_order,
    zip_folder,
)


def test_stacks_come_in_dependency_order_with_assets_addressed_to_this_account(showcase_outdir):
    # WHEN the showcase assembly is read for an account and region
    assembly = Assembly.read(showcase_outdir, account="123456789012", region="eu-west-1")

    # THEN the shared stack comes before the one importing from it
    assert [stack.stack_name for stack in assembly.stacks] == ["LocalCloudShared", "LocalCloudShowcase"]
    assert assembly.stacks[1].bootstrap_parameter == "/cdk-bootstrap/hnb659fds/version"
    # AND every asset goes to the bootstrap bucket of that account and region, the handler folder zipped
    assert {asset.bucket for asset in assembly.assets} == {"cdk-hnb659fds-assets-123456789012-eu-west-1"}
    zipped = [asset for asset in assembly.assets if asset.packaging == "zip"]
    assert len(zipped) == 1
    assert zipped[0].key.endswith(".zip")
    assert (zipped[0].source / "orders.py").is_file()


def test_a_folder_zips_the_same_every_time_with_its_files_at_the_root(tmp_path):
    # GIVEN a folder with a nested file
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "handler.py").write_text("def handler(event, context): ...\n")
    (tmp_path / "top.py").write_text("X = 1\n")

    # WHEN it is zipped twice
    first, second = zip_folder(tmp_path), zip_folder(tmp_path)

    # THEN the bytes are equal and the paths relative
    assert first == second
    assert zipfile.ZipFile(io.BytesIO(first)).namelist() == ["top.py", "pkg/handler.py"]


def test_a_dependency_cycle_is_refused(tmp_path):
    a = StackArtifact("A", "A", tmp_path / "A.json", ("B",))
    b = StackArtifact("B", "B", tmp_path / "B.json", ("A",))
    with pytest.raises(LoadError, match=r"cycle through \[A\]"):
        _in_dependency_order([a, b])
