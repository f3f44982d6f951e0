"""Fixtures of the tests of this app's ``workflows`` plugins: those of the CLI's own tests."""

from tests.cli.conftest import aws_environment, cloud, run

__all__ = ["aws_environment", "cloud", "run"]
