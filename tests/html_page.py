"""A small DOM summary of a rendered report, for the report tests (standard library only)."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Elements with attributes, their text and their ancestors, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self.stack: list[dict] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": dict(attrs), "text": "",
                   "parents": [e["tag"] for e in self.stack],
                   "parent_ids": [e["attrs"].get("id") for e in self.stack]}
        self.elements.append(element)
        if tag == "script":
            self._script, self._text = element, []
        if tag not in {"meta", "link", "br", "img", "input", "hr"}:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script["attrs"], "".join(self._text)))
            self._script = None
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)
            return
        for element in self.stack:
            element["text"] += data

    def find(self, tag: str, **attrs: str) -> list[dict]:
        return [e for e in self.elements if e["tag"] == tag
                and all(e["attrs"].get(k.rstrip("_")) == v for k, v in attrs.items())]

    def inside(self, element_id: str, tag: str) -> list[dict]:
        return [e for e in self.elements if e["tag"] == tag and element_id in e["parent_ids"]]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page
