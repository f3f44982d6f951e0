"""AWS access for the CLI: one boto3 session, clients made on first use.

The normal credential chain applies (environment, profile, SSO, instance role). ``endpoint_url``
(``--endpoint-url`` or ``AWS_ENDPOINT_URL``) points every client elsewhere instead (a local cloud, say).
Tests pass their own ``Aws`` (or anything with ``client(service)``) as the Typer context object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
from botocore.config import Config

# Someone on call is waiting: retry throttling briefly, and give up on an unreachable endpoint in
# seconds rather than the SDK default of about half a minute.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="workflows-cli",
)


class ClientFactory(Protocol):
    """What the commands need: a client per service name."""

    def client(self, service: str) -> Any: ...


@dataclass
class Aws:
    """Clients of one session (profile, region) and, optionally, one endpoint for every service."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _session: boto3.Session | None = field(default=None, repr=False)

    def session(self) -> boto3.Session:
        """The boto3 session (created once): its credentials sign requests to HTTPS entry points."""
        if self._session is None:
            self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
        return self._session

    def client(self, service: str) -> Any:
        """The boto3 client for ``service`` (created once)."""
        if service not in self._clients:
            self._clients[service] = self.session().client(
                service,
                endpoint_url=self.endpoint_url,
                config=_CONFIG,
            )
        return self._clients[service]
