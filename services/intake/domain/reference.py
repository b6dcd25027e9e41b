"""Category catalogue and address library: code trees where a leaf's path names it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    parent: str | None = None


class Tree:
    def __init__(self, nodes: Iterable[Node]):
        self.nodes = {n.code: n for n in nodes}
        self._parents = {n.parent for n in self.nodes.values() if n.parent}

    def get(self, code: str) -> Node | None:
        return self.nodes.get(code)

    def is_leaf(self, code: str) -> bool:
        return code in self.nodes and code not in self._parents

    def path(self, code: str) -> list[str]:
        """Names from the root down to `code`."""
        names: list[str] = []
        node = self.nodes.get(code)
        while node is not None:
            names.append(node.name)
            node = self.nodes.get(node.parent) if node.parent else None
        return names[::-1]
