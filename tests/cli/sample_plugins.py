"""Command plugins for the plugin tests: what another application's package would provide."""

from __future__ import annotations

import typer


def core_app() -> typer.Typer:
    """A stand-in for the core: one command named like the real one."""
    app = typer.Typer()

    @app.command("start")
    def start() -> None:
        typer.echo("started")

    return app


def greet(name: str) -> None:
    """Say hello (a command a plugin adds)."""
    typer.echo(f"hello {name}")


def register(app: typer.Typer) -> None:
    """A well-behaved plugin: one new command."""
    app.command("greet")(greet)


def register_clashing(app: typer.Typer) -> None:
    """A plugin that takes a name the core already has."""
    app.command("start")(greet)


def register_failing(app: typer.Typer) -> None:
    """A plugin whose registration fails."""
    raise RuntimeError("no configuration for greet")


NOT_A_FUNCTION = "greet"
