"""The reliability report: counts tallied from the tests that ran, printed at the end of every run.

Registered by ``tests/conftest.py`` (``pytest_plugins``). ``--reliability-readme=README.md`` also
writes them into the README's reliability block when the run passed (``make reliability-report``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.tally import Tally, replace_readme_block

TALLY = pytest.StashKey[Tally]()
HERE = Path(__file__).parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-readme",
        metavar="README",
        default=None,
        help="after a passing run, write the reliability counts into this file's reliability block",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[TALLY] = Tally()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def tally(pytestconfig: pytest.Config) -> Tally:
    """The session's reliability counts (see ``tally.py``)."""
    return pytestconfig.stash[TALLY]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    tally = config.stash[TALLY]
    if tally.empty:
        return
    terminalreporter.section("reliability")
    for line in tally.lines():
        terminalreporter.write_line(line)
    readme = config.getoption("--reliability-readme")
    if readme is None:
        return
    if exitstatus != 0:
        terminalreporter.write_line(f"{readme} not updated: the run did not pass")
    elif replace_readme_block(Path(readme), tally.markdown()):
        terminalreporter.write_line(f"{readme}: reliability block updated")
    else:
        terminalreporter.write_line(f"{readme} has no reliability block to update")
