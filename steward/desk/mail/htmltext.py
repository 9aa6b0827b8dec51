"""HTML mail bodies as plain text, with the standard library's tokenizer (pure: no Django).

Only text survives: tags are dropped, the contents of script, style, head, title and template
elements are dropped whole, entities are decoded, block elements and <br> become line breaks,
list items get a "- " and runs of blank lines collapse to one. Nothing is ever rendered or
executed, so the result is safe to store and show as text.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

# Elements whose content is never text for a reader.
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "iframe", "svg"})
# Elements that start on a new line.
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "table",
        "tr",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "address",
        "form",
        "fieldset",
        "center",
    }
)
# Void elements never get an end tag, so they cannot open a skipped region.
_VOID = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIPPED and tag not in _VOID:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "br":
            self.chunks.append("\n")
        elif tag == "li":
            self.chunks.append("\n- ")
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        elif tag in _BLOCKS:
            self.chunks.append(
                "\n\n" if tag in ("p", "blockquote", "pre", "table", "h1", "h2", "h3") else "\n"
            )

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        # <br/>, <script/>: a self-closed element has no content to skip.
        if not self.skip_depth and tag == "br":
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and tag not in _VOID:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if not self.skip_depth and tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            # Source line breaks inside HTML text are just spaces.
            self.chunks.append(re.sub(r"[ \t\r\n\f\v]+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of an HTML document or fragment."""
    parser = _TextCollector()
    # The tokenizer is lenient; should it still stumble, what was collected so far is kept.
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    lines = [line.strip() for line in "".join(parser.chunks).replace("\xa0", " ").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
