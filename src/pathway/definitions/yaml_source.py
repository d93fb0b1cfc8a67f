"""Safe YAML that remembers where every value came from.

PyYAML's SafeLoader is used through its node API (its events parsed by libyaml where PyYAML has it,
see :data:`_FAST_PARSER`): the document is composed into nodes (which carry line and column), then
turned into plain Python while recording a position for every path. Two traps are closed here:

* YAML 1.1 reads ``on``, ``off``, ``yes``, ``no``, ``y``, ``n`` as booleans, so a step called ``no``
  or a trigger called ``on`` would silently become ``False``/``True``. Only ``true``/``false`` are
  booleans here (as in YAML 1.2); everything else stays a string.
* A duplicated key is silently overwritten by PyYAML; here it is an error at the second key.

And the file is bounded before it is built (:func:`check_bounds`, over PyYAML's event stream, which
needs no recursion): at most :data:`MAX_BYTES` of text, :data:`MAX_DEPTH` levels of nesting and
:data:`MAX_NODES` values once aliases are expanded, and no alias inside its own anchor — so a
recursive alias, a "billion laughs" file or a 5 000-deep nesting is a located error, not a
``RecursionError`` or minutes of expansion. NUL bytes and other characters YAML forbids are
located errors too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

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


#: The largest workflow file read (the shipped ones are under 30 kB).
MAX_BYTES = 1_000_000
#: The deepest nesting of mappings and lists (the shipped workflows use 6).
MAX_DEPTH = 40
#: Values in the document once every alias is expanded.
MAX_NODES = 200_000


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


class _ReplayLoader(Composer, SafeConstructor, Resolver):
    """Composes the document from the events :func:`check_bounds` already parsed (and bounded), so a
    file is parsed once, not twice (by libyaml or PyYAML, :func:`_parse`), and composed the same way
    whichever parsed it. The same Composer, constructor and resolvers as :class:`_Yaml12BoolLoader` (YAML 1.2 booleans)."""

    yaml_implicit_resolvers = _Yaml12BoolLoader.yaml_implicit_resolvers

    def __init__(self, events: list[yaml.Event]) -> None:
        self._events = events
        self._next = 0
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    # the parser's side of the Composer's interface, over the recorded events
    def check_event(self, *choices: type[yaml.Event]) -> bool:
        if self._next >= len(self._events):
            return False
        return not choices or isinstance(self._events[self._next], choices)

    def peek_event(self) -> yaml.Event | None:
        return self._events[self._next] if self._next < len(self._events) else None

    def get_event(self) -> yaml.Event | None:
        event = self.peek_event()
        self._next += 1
        return event

    def dispose(self) -> None:
        self._events = []


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load_with_positions(text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain Python plus a :class:`SourceMap`."""
    loader = _ReplayLoader(_bounded_events(text))
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
    except yaml.YAMLError as err:  # e.g. ReaderError: a character YAML does not allow
        raise _reader_problem(err, text) from None
    finally:
        loader.dispose()


def _reader_problem(err: yaml.YAMLError, text: str) -> YamlProblem:
    """A ReaderError (NUL byte, control character) located by its character position."""
    if isinstance(err, yaml.reader.ReaderError):
        char = f"U+{err.character:04X}" if isinstance(err.character, int) else repr(err.character)
        before = text[: err.position]
        where = Position(before.count("\n") + 1, err.position - (before.rfind("\n") + 1) + 1)
        return YamlProblem(f"the character {char} is not allowed in a YAML file", where)
    return YamlProblem(f"malformed YAML: {' '.join(str(err).split())[:200]}", Position(1, 1))


def _event_position(event: yaml.Event) -> Position:
    mark = event.start_mark
    return Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)


def check_bounds(text: str) -> None:
    """Refuse a text too big, too deep or too alias-heavy to build, at the place it goes too far.

    Walks PyYAML's event stream (iterative): a node's size is 1 plus its children's, an alias
    counts the size of its anchor's node, so the expanded size is known before anything is built.
    """
    _bounded_events(text)


def _bounded_events(text: str) -> list[yaml.Event]:
    """:func:`check_bounds`, returning the events it read, for :func:`load_with_positions` to compose."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"the file has {len(text)} characters; a workflow file may have at most {MAX_BYTES}",
                          Position(1, 1))
    sizes: dict[str, int] = {}
    open_anchors: set[str] = set()
    stack: list[list[Any]] = []  # per open mapping or list: [size so far, anchor or None]
    events: list[yaml.Event] = []
    try:
        for event in _parse(text):
            events.append(event)
            if isinstance(event, yaml.AliasEvent):
                if event.anchor in open_anchors:
                    raise YamlProblem(f"alias *{event.anchor} is inside its own anchor &{event.anchor}: "
                                      "it would never end", _event_position(event))
                size = sizes.get(event.anchor or "", 1)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep; a workflow needs far fewer",
                                      _event_position(event))
                stack.append([1, event.anchor])
                if event.anchor:
                    open_anchors.add(event.anchor)
                continue
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                size, anchor = stack.pop()
                if anchor:
                    open_anchors.discard(anchor)
                    sizes[anchor] = size
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            else:
                continue
            if stack:
                stack[-1][0] += size
            if stack and stack[-1][0] > MAX_NODES:
                raise YamlProblem(f"more than {MAX_NODES} values once aliases are expanded; "
                                  "a workflow needs far fewer", _event_position(event))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise YamlProblem(f"malformed YAML: {err.problem or err.context}",
                          _position(mark) if mark else Position(1, 1)) from None
    except yaml.YAMLError as err:
        raise _reader_problem(err, text) from None
    return events


#: libyaml's parser, where PyYAML was built with it (the wheels are): ~17× faster than PyYAML's
#: pure-Python one, which was most of a workflow's load time, so of every command that reads one. It
#: gives the same events, lines and columns for any text PyYAML reads (tests/unit/test_yaml_fast_parser.py;
#: an empty value in a flow list may sit one column apart), and is more lenient on some malformed YAML
#: (a tab after a value): such a text reaches the workflow's validation, which locates what is wrong.
#: PyYAML's parser stays the reference: it parses any text libyaml refuses (so a malformed file gets
#: PyYAML's located error, as before), that holds a character YAML forbids (PyYAML locates it by
#: character, libyaml by byte), whose last line has no line break (the two place the end differently;
#: an editor ends a file with one), or that has an explicit tag (none in a workflow; the two resolve
#: a bare ``!`` differently).
_FAST_PARSER: type[Any] | None = getattr(yaml, "CSafeLoader", None)


def _parse(text: str) -> Iterator[yaml.Event]:
    """The text's YAML events: libyaml's if it accepts the text, else PyYAML's (and its error)."""
    if (_FAST_PARSER is not None and text.endswith("\n")
            and yaml.reader.Reader.NON_PRINTABLE.search(text) is None):
        try:
            events = list(yaml.parse(text, Loader=_FAST_PARSER))
        except yaml.YAMLError:
            pass
        else:
            if not any(getattr(event, "tag", None) for event in events):  # no tags: they differ in '!'
                yield from events
                return
    yield from yaml.parse(text, Loader=_Yaml12BoolLoader)


def _convert(loader: _ReplayLoader, node: yaml.Node, path: Path, source_map: SourceMap) -> Any:
    source_map.positions[path] = _position(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a key must be a plain name, not a list or mapping", _position(key_node.start_mark))
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
