"""HTML to readable text with the standard library's parser, for ``web_fetch``.

Scripts, styles and other invisible parts are dropped; block elements become
line breaks, list items dashes, headings ``#`` lines, and links keep their
targets as ``[text](url)``. Text inside ``<pre>`` keeps its spacing.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

__all__ = ["html_to_text"]

_INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object"})
_PARAGRAPHS = frozenset(
    {"p", "pre", "blockquote", "table", "ul", "ol", "dl", "section", "article", "main",
     "header", "footer", "nav", "aside", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
_LINES = frozenset(
    {"br", "div", "li", "tr", "dt", "dd", "title", "hr", "figcaption", "caption", "label"}
)
_SPACE = re.compile(r"\s+")


def html_to_text(html: str, base_url: str = "") -> str:
    """The readable text of a page; relative link targets are resolved against ``base_url``."""
    parser = _TextParser(base_url)
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self._base_url = base_url
        self._parts: list[str] = []
        self._breaks = 0  # line breaks owed before the next text
        self._hidden = 0  # depth inside invisible elements
        self._pre = 0  # depth inside <pre>
        self._links: list[str | None] = []

    def text(self) -> str:
        return "".join(self._parts).strip()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag == "a":
            self._open_link(dict(attrs).get("href"))
        self._block(tag)
        if tag == "pre":
            self._pre += 1
        elif tag == "li":
            self._write("- ")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._write("#" * int(tag[1]) + " ")
        elif tag in ("td", "th"):
            self._write(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self._write(f"]({href})")
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        self._block(tag)

    def handle_data(self, data: str) -> None:
        if self._pre:
            self._write(data, raw=True)
        else:
            self._write(_SPACE.sub(" ", data))

    def _open_link(self, href: str | None) -> None:
        if href and not href.startswith(("#", "javascript:", "mailto:")):
            self._links.append(urljoin(self._base_url, href))
            self._write("[")
        else:
            self._links.append(None)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._breaks = max(self._breaks, 2)
        elif tag in _LINES:
            self._breaks = max(self._breaks, 1)

    def _write(self, text: str, *, raw: bool = False) -> None:
        """Add text, first paying the owed line breaks; no spaces at either end of a line."""
        if self._hidden or not text:
            return
        if not raw and text.isspace():  # the space between two inline elements
            if self._parts and not self._breaks and not self._parts[-1][-1:].isspace():
                self._parts.append(" ")
            return
        if self._breaks and self._parts:
            self._parts[-1] = self._parts[-1].rstrip(" ")
            self._parts.append("\n" * self._breaks)
        if not raw and (not self._parts or self._parts[-1].endswith("\n")):
            text = text.lstrip(" ")
        self._breaks = 0
        self._parts.append(text)
