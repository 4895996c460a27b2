"""A bounded mapping: memory stays flat on long sessions and big `--check` runs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """Least recently used entries go first, when there are more than `size` of them or their
    estimated bytes (`weigh(key, value)`) pass `budget`.

    Bounded by entries alone, a cache of block results grew by the size of every block ever
    typed (20,000 entries of up to a parsed tree each); the byte budget bounds what it holds
    whatever the blocks' sizes. Weights are estimates from the text length (a libcst tree is
    about 23 bytes per source character here, a block summary about 2.5 KB plus 2 per character).
    """

    def __init__(self, size: int, budget: int | None = None, weigh: Callable[[K, V], int] | None = None) -> None:
        self.size = size
        self.budget = budget
        self.weigh = weigh
        self.weight = 0  # estimated bytes held
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        self._data.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V) -> None:
        self.pop(key)
        weight = self.weigh(key, value) if self.weigh is not None else 0
        self._data[key] = (value, weight)
        self.weight += weight
        budget = self.budget
        while len(self._data) > self.size or (budget is not None and self.weight > budget and len(self._data) > 1):
            _, (_, dropped) = self._data.popitem(last=False)
            self.weight -= dropped

    def pop(self, key: K) -> None:
        entry = self._data.pop(key, None)
        if entry is not None:
            self.weight -= entry[1]

    def values(self) -> list[V]:
        return [value for value, _ in self._data.values()]

    def clear(self) -> None:
        self._data.clear()
        self.weight = 0
