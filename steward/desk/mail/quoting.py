"""Quoted-reply stripping for the stored body of an inbound mail (pure: no Django).

A reply usually carries the whole earlier conversation under it. The ticket already has that
conversation, so the message we store is the new text only. Stripping is deliberately
conservative: when in doubt, keep the text (the raw message is always stored as well).

The rules, first match wins:

1. Our own marker. Every notification we send starts with `REPLY_MARKER`; a reply is cut at the
   first line that contains it (quoted or not), together with the "On … wrote:" line just above.
2. An Outlook-style original: a line "-----Original Message-----" (or the German "Ursprüngliche
   Nachricht"), or a header block that starts with "From:"/"Von:" and has "Sent:"/"Date:"/
   "Gesendet:" and "To:"/"Subject:"/"An:"/"Betreff:" in the next four lines. The text is cut there:
   Outlook always puts the original below the reply.
3. An attribution line "On <date>, <name> wrote:" (or "Am … schrieb …:", "Le … a écrit :"),
   possibly wrapped over two lines, is cut with what follows only when everything after it is
   quoted (">") or blank, so a bottom-posted answer below a quote is kept.
4. Otherwise a block of quoted lines (">") at the very end is removed.

A forwarded message ("---------- Forwarded message ---------", "Begin forwarded message:",
"Weitergeleitete Nachricht") stops rules 2 to 4: what was forwarded is what we are asked about.
Outlook forwards look like its replies, so the parser does not strip at all when the subject
says "Fwd:"/"FW:"/"WG:" (`is_forward`).

Whatever happens, a body that would become empty is returned whole: a message that only quotes
is still a message.
"""

from __future__ import annotations

import re

REPLY_MARKER = "##- Please type your reply above this line -##"

_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}\s*$", re.I
)
_HEADER_FROM = re.compile(r"^\s*\**(from|von|de)\s*:\**\s+\S", re.I)
_HEADER_SENT = re.compile(r"^\s*\**(sent|date|gesendet|datum|envoyé)\s*:", re.I)
_HEADER_TO = re.compile(r"^\s*\**(to|an|à|subject|betreff|objet)\s*:", re.I)
_FORWARDED = re.compile(
    r"(forwarded message|weitergeleitete nachricht|begin forwarded message|message transféré)", re.I
)
_ATTRIBUTION = re.compile(
    r"^\s*(on|am|le)\s.{4,300}?(wrote|schrieb\b.{0,200}?|a écrit)\s*(\([^)]*\))?\s*:\s*$", re.I | re.S
)


def is_forward(subject: str) -> bool:
    return bool(re.match(r"^\s*(fwd?|wg|tr)\s*:", subject or "", re.I))


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _outlook_header_at(lines: list[str], i: int) -> bool:
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = lines[i + 1 : i + 5]
    return any(_HEADER_SENT.match(x) for x in following) and any(_HEADER_TO.match(x) for x in following)


def _attribution_at(lines: list[str], i: int) -> int:
    """How many lines the attribution starting at line i spans (0: none here)."""
    if _ATTRIBUTION.match(lines[i]):
        return 1
    if i + 1 < len(lines) and lines[i].strip() and _ATTRIBUTION.match(lines[i] + " " + lines[i + 1]):
        return 2
    return 0


def _cut(lines: list[str], at: int) -> list[str]:
    kept = lines[:at]
    # An Outlook separator line of underscores often stands just above the header block.
    while kept and (not kept[-1].strip() or set(kept[-1].strip()) <= {"_", "-"}):
        kept.pop()
    return kept


def strip_quoted(text: str) -> str:
    """The new text of a reply (see the module docstring for the rules)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = _strip(lines)
    result = "\n".join(kept).strip()
    return result if result else text.strip()


def _strip(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if REPLY_MARKER in line:
            kept = _cut(lines, i)
            # The client's attribution ("On … wrote:") right above the quoted marker goes too.
            for back in (1, 2):
                if len(kept) >= back and _attribution_at(kept, len(kept) - back) == back:
                    return _cut(kept, len(kept) - back)
            return kept
    for i, line in enumerate(lines):
        if _FORWARDED.search(line):
            return lines  # what follows was forwarded to us on purpose: it is content
        if _ORIGINAL.match(line) or _outlook_header_at(lines, i):
            return _cut(lines, i)
        span = _attribution_at(lines, i)
        if span and all(_is_quoted(x) or not x.strip() for x in lines[i + span :]):
            return _cut(lines, i)
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_is_quoted(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    if start < end:
        return _cut(lines, start)
    return lines
