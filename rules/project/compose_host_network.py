"""RV904 compose-host-network."""

from __future__ import annotations

from rules.api import Invalid, RuleMeta, Severity, Valid
from rules.api.configdata import ComposeFile, ConfigData, ConfigRule, FileKind


class ComposeHostNetwork(ConfigRule):
    """
    ## What it does
    Finds docker-compose services with `network_mode: host`.

    ## Why is this bad?
    The container shares the host's network stack: every port it opens is open on the
    host, it reaches services bound to localhost that were never meant to be exposed, and
    port conflicts between services appear only on the server that has them.

    ## Example
    ```yaml
    services:
      api:
        network_mode: host
    ```
    Use instead:
    ```yaml
    services:
      api:
        ports:
          - "8000:8000"
    ```

    ## Fix
    None: which ports to publish is a deployment decision.
    """

    kinds = frozenset((FileKind.COMPOSE,))
    meta = RuleMeta(code="RV904", name="compose-host-network", family="project", severity=Severity.WARNING)

    VALID = [
        Valid("services:\n  api:\n    image: shop\n    ports:\n      - '8000:8000'\n", path="docker-compose.yml"),
        Valid("services:\n  api:\n    network_mode: bridge\n  worker:\n    network_mode: 'service:api'\n", path="docker-compose.yml"),
    ]
    INVALID = [
        Invalid("services:\n  api:\n    image: shop\n    network_mode: host  # <- RV904\n", path="docker-compose.yml"),
        Invalid('services:\n  worker:\n    network_mode: "host"  # <- RV904\n', path="compose.yaml"),
    ]

    def check(self, data: ConfigData) -> None:
        if not isinstance(data, ComposeFile):
            return
        for service in data.services:
            if service.network_mode is not None and service.network_mode[0] == "host":
                self.report_span(
                    service.network_mode[1],
                    f"service `{service.name}` uses the host's network: every port it opens is open on the host",
                )
