"""The pytest plugin: your own CDK app, deployed once per session to a local cloud, for your tests.

Installed with the package (entry point ``pytest11``), it adds three fixtures:

- ``local_cloud_assembly`` (session): the ``cdk.out`` folder to deploy. By default it is the folder
  the ini option ``local_cloud_assembly`` names, or the output of ``cdk synth`` of the app command the
  ini option ``local_cloud_app`` names (run with the real CDK CLI once per session). Override the
  fixture in a ``conftest.py`` to synthesize some other way;
- ``local_cloud_session`` (session): a :class:`~workflow_local_cloud.LocalCloudHarness` on one
  local cloud (a child process on a free port) with the assembly's stacks loaded. Synthesis runs
  while the server starts;
- ``local_cloud`` (function): the same harness, with every fault and answer the test armed
  cleared after it.

Configuration (``pytest --help`` lists it under "local cloud")::

    [tool.pytest.ini_options]
    local_cloud_assembly = "cdk.out"        # or: local_cloud_app = "python app.py"
    local_cloud_stacks = ["OrdersStack"]    # default: every stack of the assembly

Example::

    def test_order_is_stored(local_cloud):
        result = local_cloud.run("orders", {"orderId": "o-1"}, reason="new order")
        assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from workflow_local_cloud.harness import LocalCloudHarness

ASSEMBLY_OPTION = "local_cloud_assembly"
APP_OPTION = "local_cloud_app"
CDK_OPTION = "local_cloud_cdk"
STACKS_OPTION = "local_cloud_stacks"
REAL_TIME_OPTION = "local_cloud_real_time"
DEFAULT_CDK_COMMAND = "npx --no-install cdk"
SYNTH_TIMEOUT_SECONDS = 10 * 60  # the CDK CLI's first run on a cold machine installs nothing, but is slow
SYNTH_OUTPUT_LINES = 40
"""How much of a failed ``cdk synth``'s output the error shows (its end, where the cause is)."""


class LocalCloudConfigError(ValueError):
    """The plugin's options do not say which app to deploy, or say it wrongly.

    At start-up pytest reports it as a usage error (exit status 4) and runs nothing.
    """


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("local cloud", "workflow-local-cloud: deploy a CDK app to a local cloud")
    group.addoption(
        "--local-cloud-assembly",
        dest=ASSEMBLY_OPTION,
        metavar="DIR",
        help=f"a synthesized cloud assembly (cdk.out) to deploy; overrides the ini option {ASSEMBLY_OPTION}",
    )
    group.addoption(
        "--local-cloud-app",
        dest=APP_OPTION,
        metavar="COMMAND",
        help=f"the CDK app command to synthesize with `cdk synth --app`; overrides the ini {APP_OPTION}",
    )
    group.addoption(
        "--local-cloud-real-time",
        dest=REAL_TIME_OPTION,
        action="store_true",
        default=None,
        help="sleep through Wait states and retry intervals instead of skipping and recording them",
    )
    parser.addini(
        ASSEMBLY_OPTION,
        "a synthesized cloud assembly (cdk.out) the local cloud deploys, relative to the ini file",
        default="",
    )
    parser.addini(
        APP_OPTION,
        "a CDK app command (`python app.py`): synthesized once per session with the CDK CLI, then deployed",
        default="",
    )
    parser.addini(
        CDK_OPTION,
        f"the CDK CLI command that synthesizes {APP_OPTION} (default: {DEFAULT_CDK_COMMAND})",
        default=DEFAULT_CDK_COMMAND,
    )
    parser.addini(STACKS_OPTION, "the stacks to deploy (default: every stack)", type="linelist", default=[])
    parser.addini(
        REAL_TIME_OPTION,
        "sleep through waits and retry intervals (default: false)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check the options at start-up, before any test or local cloud runs (no side effects)."""
    try:
        _check_settings(config)
    except LocalCloudConfigError as error:
        raise pytest.UsageError(f"{type(error).__name__}: {error}") from error


def _check_settings(config: pytest.Config) -> None:
    assembly, app = _setting(config, ASSEMBLY_OPTION), _setting(config, APP_OPTION)
    if assembly and app:
        raise LocalCloudConfigError(
            f"set one of {ASSEMBLY_OPTION} and {APP_OPTION}, not both. Received: [{assembly}] and [{app}]"
        )
    if assembly:
        assembly_path(config)
    if app:
        _cdk_command(config)


def _cdk_command(config: pytest.Config) -> list[str]:
    cdk = str(config.getini(CDK_OPTION)).strip()
    command = shlex.split(cdk)
    if not command or shutil.which(command[0]) is None:
        raise LocalCloudConfigError(f"{CDK_OPTION} must be a command on PATH. Received: [{cdk}]")
    return command


def _base_dir(config: pytest.Config) -> Path:
    return Path(config.inipath).parent if config.inipath is not None else config.rootpath


def _setting(config: pytest.Config, name: str) -> str:
    """The command-line value of ``name`` if given, else the ini value (stripped)."""
    given = config.getoption(name)
    value = given if given is not None else config.getini(name)
    return str(value).strip()


def assembly_path(config: pytest.Config) -> Path:
    """The ``cdk.out`` the options name, checked: it must be a folder with a ``manifest.json``."""
    value = _setting(config, ASSEMBLY_OPTION)
    path = Path(value)
    path = path if path.is_absolute() else _base_dir(config) / path
    if not (path / "manifest.json").is_file():
        raise LocalCloudConfigError(
            f"{ASSEMBLY_OPTION} must be a synthesized cloud assembly (a folder with manifest.json). "
            f"Received: [{value}] ({path})"
        )
    return path


def synthesize(app: str, *, cdk: list[str], cwd: Path, outdir: Path) -> Path:
    """``cdk synth`` of the app command ``app`` into ``outdir`` (run in ``cwd``); returns ``outdir``."""
    command = [*cdk, "synth", "--app", app, "--output", str(outdir), "--quiet", "--no-notices"]
    environment = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    completed = subprocess.run(  # noqa: S603 - the command is the test configuration's own
        command,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-SYNTH_OUTPUT_LINES:])
        raise LocalCloudConfigError(f"`cdk synth` of [{app}] failed (exit {completed.returncode}):\n{tail}")
    return outdir


@pytest.fixture(scope="session")
def local_cloud_assembly(pytestconfig: pytest.Config) -> Iterator[Path]:
    """The cloud assembly (``cdk.out``) the session's local cloud deploys.

    From the option ``local_cloud_assembly`` (a folder), or ``cdk synth`` of ``local_cloud_app``
    (a command, synthesized into a temporary folder that is removed after the session). Override this
    fixture to synthesize the app in process or with extra context.
    """
    assembly, app = _setting(pytestconfig, ASSEMBLY_OPTION), _setting(pytestconfig, APP_OPTION)
    if assembly:  # both set was refused at start-up (pytest_configure)
        yield assembly_path(pytestconfig)
        return
    if not app:
        raise LocalCloudConfigError(
            f"the local cloud needs an app: set the ini option {ASSEMBLY_OPTION} (a cdk.out folder) or "
            f"{APP_OPTION} (a CDK app command), or override the fixture local_cloud_assembly"
        )
    outdir = Path(tempfile.mkdtemp(prefix="local-cloud-cdk.out-"))
    try:
        yield synthesize(app, cdk=_cdk_command(pytestconfig), cwd=_base_dir(pytestconfig), outdir=outdir)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture(scope="session")
def local_cloud_session(request: pytest.FixtureRequest) -> Iterator[LocalCloudHarness]:
    """The session's local cloud (a child process) with the stacks of ``local_cloud_assembly`` loaded.

    The assembly is asked for while the server starts, so synthesis and moto's start-up overlap.
    """
    from workflow_local_cloud.harness import running_local_cloud

    config = request.config
    stacks = [str(name) for name in config.getini(STACKS_OPTION)] or None
    real_time = config.getoption(REAL_TIME_OPTION) or bool(config.getini(REAL_TIME_OPTION))
    with running_local_cloud(
        lambda: request.getfixturevalue("local_cloud_assembly"), simulated_time=not real_time, stacks=stacks
    ) as harness:
        yield harness


@pytest.fixture
def local_cloud(local_cloud_session: LocalCloudHarness) -> Iterator[LocalCloudHarness]:
    """The session's local cloud, with no fault or answer left armed after the test.

    Run executions (``run``, ``start``/``wait``), skip waits (simulated time: ``pauses``), arm
    faults (``inject_transient_fault``, ``inject_permanent_fault``, ``inject_answer``), answer task
    tokens (``complete_callback``, ``fail_callback``) and look at what happened (``trace``,
    ``history``, ``inventory``, ``emails``, ``lambda_log_lines``, ``client``).
    """
    yield local_cloud_session
    local_cloud_session.clear_faults()
