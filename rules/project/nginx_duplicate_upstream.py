"""RV906 nginx-duplicate-upstream."""

from __future__ import annotations

from rules.api import Invalid, RuleMeta, Severity, Valid
from rules.api.configdata import ConfigData, ConfigRule, FileKind, NginxFile


class NginxDuplicateUpstream(ConfigRule):
    """
    ## What it does
    Finds an nginx `upstream NAME { ... }` block defined twice.

    ## Why is this bad?
    nginx refuses to start (`duplicate upstream "app"`): the reload in the deploy fails,
    and with it every configuration change that came along.

    ## Example
    ```nginx
    upstream app { server web:8000; }
    upstream app { server web2:8000; }
    ```
    Use instead: one `upstream app` block listing both servers.

    ## Fix
    None: which servers belong in the block is for a person to merge.
    """

    kinds = frozenset((FileKind.NGINX,))
    meta = RuleMeta(code="RV906", name="nginx-duplicate-upstream", family="project", severity=Severity.ERROR)

    VALID = [
        Valid("upstream app {\n    server web:8000;\n}\nupstream api {\n    server api:9000;\n}\n", path="nginx/nginx.conf"),
        Valid("# upstream app {\nupstream app {\n    server web:8000;  # upstream app { in a comment\n}\n", path="nginx/conf.d/site.conf"),
    ]
    INVALID = [
        Invalid(
            """
            upstream app {
                server web:8000;
            }

            upstream app {  # <- RV906
                server web2:8000;
            }
            """,
            path="nginx/nginx.conf",
        ),
        Invalid('http {\n  upstream "backend" { server a:1; }\n  upstream backend { server b:1; }  # <- RV906\n}\n', path="deploy/nginx.conf"),
    ]

    def check(self, data: ConfigData) -> None:
        if not isinstance(data, NginxFile):
            return
        seen: dict[str, int] = {}
        for upstream in data.upstreams:
            if upstream.name in seen:
                self.report_span(
                    upstream.span,
                    f"upstream `{upstream.name}` is already defined on line {seen[upstream.name]}: nginx refuses to start",
                )
            else:
                seen[upstream.name] = upstream.span.line
