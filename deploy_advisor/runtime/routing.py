"""The route table: exact paths, and the OIP v2 ``/v2/models/{name}[/versions/{v}]/…`` routes."""

from __future__ import annotations

from .responses import Handler

__all__ = ["Route", "Router"]

Route = tuple[str, dict[str, Handler]]
"""A route's name in the metrics (its path pattern) and its handler per HTTP method."""


class Router:
    """Finds the route of a request path; routes can be swapped once the model has loaded."""

    def __init__(self) -> None:
        self.exact: dict[str, Route] = {}
        self.v2_model: dict[str, Route] = {}
        """The routes under ``/v2/models/{name}``, by what follows the name (``""`` for none)."""

    def add(self, path: str, methods: dict[str, Handler]) -> None:
        self.exact[path] = (path, methods)

    def add_v2_model(self, rest: str, methods: dict[str, Handler]) -> None:
        pattern = "/v2/models/{name}" + (f"/{rest}" if rest else "")
        self.v2_model[rest] = (pattern, methods)

    def swap_post(self, old: tuple[Handler, ...], new: Handler) -> None:
        """Every exact route whose POST handler is one of ``old`` now posts to ``new``."""
        for path, (_, methods) in self.exact.items():
            if methods.get("POST") in old:
                self.exact[path] = (path, {"POST": new})

    def match(self, path: str) -> tuple[Route | None, dict[str, str]]:
        hit = self.exact.get(path)
        if hit is not None:
            return hit, {}
        if path.startswith("/v2/models/"):
            parts = path[len("/v2/models/") :].split("/")
            name = parts[0]
            if name:
                rest = parts[1:]
                # /v2/models/{name}/versions/{version}[/...] addresses the one version we serve
                version = None
                if len(rest) >= 2 and rest[0] == "versions":
                    version = rest[1]
                    rest = rest[2:]
                if len(rest) <= 1:
                    entry = self.v2_model.get(rest[0] if rest else "")
                    if entry is not None:
                        params = {"name": name}
                        if version is not None:
                            params["version"] = version
                        return entry, params
        return None, {}
