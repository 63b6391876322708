"""Parse HTML output back with html.parser: tag balance, ids, links, text by element."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class Unbalanced(AssertionError):
    """An end tag that does not close the innermost open element, or elements left open."""


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def iter(self, tag: str | None = None) -> list[Element]:
        out = [self] if tag is None or self.tag == tag else []
        for child in self.children:
            out += child.iter(tag)
        return out

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def find_class(self, name: str) -> list[Element]:
        return [e for e in self.iter() if name in e.classes()]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack: list[Element] = [self.root]
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            raise Unbalanced(f"end tag for void element <{tag}>")
        top = self.stack[-1]
        if top.tag != tag:
            raise Unbalanced(f"</{tag}> closes <{top.tag}> at {self.getpos()}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack[1:]:
            element.text += data


def parse(markup: str) -> Element:
    """The document tree; raises Unbalanced unless every element is closed in order."""
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    if len(tree.stack) != 1:
        raise Unbalanced(f"unclosed: {[e.tag for e in tree.stack[1:]]}")
    return tree.root


def folded(text: str) -> str:
    return " ".join(text.split())
