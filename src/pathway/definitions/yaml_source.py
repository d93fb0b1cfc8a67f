"""Safe YAML that remembers where every value came from.

PyYAML's SafeLoader is used through its node API: the document is composed into nodes (which carry
line and column), then turned into plain Python while recording a position for every path. Two
traps are closed here:

* YAML 1.1 reads ``on``, ``off``, ``yes``, ``no``, ``y``, ``n`` as booleans, so a step called ``no``
  or a trigger called ``on`` would silently become ``False``/``True``. Only ``true``/``false`` are
  booleans here (as in YAML 1.2); everything else stays a string.
* A duplicated key is silently overwritten by PyYAML; here it is an error at the second key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class SourceMap:
    """Positions of every key and value, by path (``("steps", 2, "owner")``)."""

    positions: dict[Path, Position] = field(default_factory=dict)
    key_positions: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path) -> Position:
        """The position of ``path``, or of its nearest existing ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), Position(1, 1))

    def locate_key(self, path: Path) -> Position:
        return self.key_positions.get(tuple(path)) or self.locate(path)


class YamlProblem(Exception):
    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class _Yaml12BoolLoader(yaml.SafeLoader):
    """SafeLoader whose only booleans are true/false."""


_Yaml12BoolLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12BoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load_with_positions(text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain Python plus a :class:`SourceMap`."""
    loader = _Yaml12BoolLoader(text)
    source_map = SourceMap()
    try:
        root = loader.get_single_node()
        if root is None:
            raise YamlProblem("the file is empty; a workflow needs id, version, title, roles, steps and transitions", Position(1, 1))
        return _convert(loader, root, (), source_map), source_map
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = _position(mark) if mark else Position(1, 1)
        raise YamlProblem(f"malformed YAML: {err.problem or err.context}", where) from None
    finally:
        loader.dispose()


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: Path, source_map: SourceMap) -> Any:
    source_map.positions[path] = _position(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                raise YamlProblem(f"a key must be a plain name, not {key!r}", _position(key_node.start_mark))
            if key in result:
                raise YamlProblem(f"duplicate key '{key}'", _position(key_node.start_mark))
            source_map.key_positions[path + (key,)] = _position(key_node.start_mark)
            result[key] = _convert(loader, value_node, path + (key,), source_map)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, path + (i,), source_map) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
