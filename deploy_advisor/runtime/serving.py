"""What the route modules (OIP v2, SageMaker, tabular, info) need of the server, without
importing it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from .batching import MicroBatcher
    from .model import LoadedModel
    from .responses import Receive, Scope
    from .schema import InputSchema

__all__ = ["Server"]


class Server(Protocol):
    """The model server as a protocol handler sees it: its state, body reading and batcher."""

    ready: bool
    draining: bool
    model_name: str
    model: LoadedModel | None
    schema: InputSchema | None
    typed: bool

    def _ready_model(self) -> tuple[LoadedModel, MicroBatcher]: ...

    async def _body(
        self, scope: Scope, receive: Receive, kinds: tuple[bytes, ...]
    ) -> tuple[bytes, bytes]: ...

    def _matrix(self, payload: Any, model: LoadedModel, allow_list: bool = False) -> np.ndarray: ...
