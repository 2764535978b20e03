"""ItemBatcher: same-key batches, row and padded-token caps, lone requests never held past the
wait, and a batch failure confined to the request that causes it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from deploy_advisor.runtime.tensors import InputError, Prepared
from deploy_advisor.runtime.text_batching import ItemBatcher


class Recorder:
    """A model that answers each item with its data and records every call's items."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[list[Any]] = []
        self.delay = delay

    def __call__(self, items: list[Any]) -> list[Any]:
        self.calls.append(list(items))
        time.sleep(self.delay)
        if any(i == "boom" for i in items):
            raise RuntimeError("cannot take boom")
        return [f"answer:{i}" for i in items]


def _text(word: str, tokens: int) -> Prepared:
    return Prepared(word, None, tokens)


def test_token_budget_caps_padded_tokens_and_rows() -> None:
    model = Recorder(delay=0.05)
    batcher = ItemBatcher(model, max_rows=8, max_tokens=40)

    async def main() -> list[Any]:
        first = asyncio.ensure_future(batcher.submit([_text("warm", 2)]))
        await asyncio.sleep(0.01)  # the first call is running: the rest queue behind it
        reqs = [batcher.submit([_text(f"t{k}", 10 if k != 3 else 30)]) for k in range(6)]
        return [await first, *await asyncio.gather(*reqs)]

    results = asyncio.run(main())
    batcher.close()
    assert [r[0] for r in results] == [["answer:warm"]] + [[f"answer:t{k}"] for k in range(6)]
    for call in model.calls:
        longest = max(30 if i == "t3" else 10 if i != "warm" else 2 for i in call)
        assert len(call) * longest <= 40 or len(call) == 1
    assert ["t0", "t1", "t2"] in model.calls  # 3 x 10 tokens fit; t3 (30) would make 4 x 30


def test_other_shapes_wait_for_their_own_batch() -> None:
    model = Recorder(delay=0.05)
    batcher = ItemBatcher(model, max_rows=16)

    async def main() -> None:
        warm = asyncio.ensure_future(batcher.submit([Prepared("w", (1,))]))
        await asyncio.sleep(0.01)
        await asyncio.gather(
            batcher.submit([Prepared("a1", (4,))]),
            batcher.submit([Prepared("b1", (8,))]),
            batcher.submit([Prepared("a2", (4,))]),
        )
        await warm

    asyncio.run(main())
    batcher.close()
    assert model.calls == [["w"], ["a1", "a2"], ["b1"]]


def test_a_lone_request_waits_at_most_the_wait_and_failures_stay_with_their_request() -> None:
    model = Recorder()
    batcher = ItemBatcher(model, max_rows=64, max_wait_s=0.05)

    async def main() -> tuple[float, list[Any]]:
        started = time.perf_counter()
        await batcher.submit([_text("alone", 3)])
        waited = time.perf_counter() - started
        results = await asyncio.gather(
            batcher.submit([_text("ok", 2)]),
            batcher.submit([_text("boom", 2)]),
            return_exceptions=True,
        )
        return waited, results

    waited, results = asyncio.run(main())
    batcher.close()
    assert 0.04 <= waited < 1.0
    assert results[0] == (["answer:ok"], 2)
    assert isinstance(results[1], InputError) and "cannot take boom" in results[1].message


@pytest.mark.parametrize("rows", [1, 5])
def test_a_big_request_is_cut_into_runs_within_the_caps(rows: int) -> None:
    model = Recorder()
    batcher = ItemBatcher(model, max_rows=2, max_tokens=100)

    async def main() -> Any:
        return await batcher.submit([_text(f"x{k}", 5) for k in range(rows)])

    answers, size = asyncio.run(main())
    batcher.close()
    assert answers == [f"answer:x{k}" for k in range(rows)] and size == rows
    assert all(len(c) <= 2 for c in model.calls)


def test_the_queue_is_full_at_its_limit_while_a_forward_pass_runs() -> None:
    async def main() -> tuple[list[bool], list[Any]]:
        batcher = ItemBatcher(Recorder(delay=0.3), max_rows=1, limit=2)
        seen = [batcher.full()]
        first = asyncio.ensure_future(batcher.submit([Prepared("a")]))
        await asyncio.sleep(0.05)  # the first forward pass is running
        queued = [asyncio.ensure_future(batcher.submit([Prepared(x)])) for x in "bc"]
        await asyncio.sleep(0.01)
        seen += [batcher.full(), batcher.depth == 2]
        answers = await asyncio.gather(first, *queued)
        seen.append(batcher.full())
        batcher.close()
        return seen, [a for a, _ in answers]

    seen, answers = asyncio.run(main())
    assert seen == [False, True, True, False]
    assert answers == [["answer:a"], ["answer:b"], ["answer:c"]]
