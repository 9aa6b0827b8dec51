"""The pure mail parsing: worked examples and hypothesis properties (no database)."""

from __future__ import annotations

import base64
import quopri
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from steward.desk.mail.htmltext import html_to_text
from steward.desk.mail.parse import (
    LOOP_HEADER,
    MailRejected,
    ParsedMail,
    auto_reason_for,
    normalise_id,
    normalise_ids,
    parse,
    parse_headers,
    subject_ticket_number,
)
from steward.desk.mail.quoting import REPLY_MARKER, strip_quoted

LIMITS = {"max_bytes": 1_000_000, "max_parts": 50}


def mail(
    body: str = "The heating in room 4 is off.",
    *,
    subject: str = "Heating",
    sender: str = "Anna Alpha <anna@alpha.example>",
    headers: dict | None = None,
    html: str | None = None,
    files: list[tuple[str, bytes, str]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@steward.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 09 Mar 2026 10:00:00 +0100"
    msg["Message-ID"] = "<m1@alpha.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, ctype in files:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


# --- worked examples ------------------------------------------------------------------------------


def test_the_fields_of_a_plain_message():
    parsed = parse(mail(subject="=?utf-8?q?Heizung_f=C3=A4llt_aus?="), **LIMITS)
    assert parsed.message_id == "<m1@alpha.example>"
    assert parsed.from_address == "anna@alpha.example" and parsed.from_name == "Anna Alpha"
    assert parsed.to == ("support@steward.test",)
    assert parsed.subject == "Heizung fällt aus"
    assert parsed.date == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert parsed.body == "The heating in room 4 is off."
    assert parsed.attachments == () and not parsed.is_auto and not parsed.loop


def test_threading_ids_are_normalised_and_ordered_most_specific_first():
    folded = b"In-Reply-To: <b@x.example>\nReferences: <a@x.example>\n <b@x.example> junk <c@x.example>\n"
    raw = folded + mail()
    parsed = parse(raw, **LIMITS)
    assert parsed.in_reply_to == ("<b@x.example>",)
    assert parsed.references == ("<a@x.example>", "<b@x.example>", "<c@x.example>")
    assert parsed.thread_ids == ("<b@x.example>", "<c@x.example>", "<a@x.example>")
    assert normalise_id("  abc@x  ") == "<abc@x>"
    assert normalise_ids("") == ()
    long = normalise_id("<" + "x" * 400 + "@y>")
    assert len(long) < 255 and long == normalise_id("<" + "x" * 400 + "@y>")


def test_text_plain_is_preferred_over_html():
    parsed = parse(mail("plain words", html="<p>html words</p>"), **LIMITS)
    assert parsed.text.strip() == "plain words" and parsed.attachments == ()


def test_html_only_mail_becomes_text_without_scripts_or_styles():
    msg = EmailMessage()
    msg["From"] = "x@alpha.example"
    msg.set_content(
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>alert('x')</script><p>Dear&nbsp;desk,</p><p>the <b>pump</b> &amp; valve<br>leak.</p>"
        "<ul><li>one</li><li>two</li></ul></body></html>",
        subtype="html",
    )
    text = parse(msg.as_bytes(), **LIMITS).text
    assert text == "Dear desk,\n\nthe pump & valve\nleak.\n\n- one\n- two"
    assert "alert" not in text and "color" not in text


def test_html_to_text_handles_broken_markup():
    assert html_to_text("<p>unclosed <b>bold <script>x") == "unclosed bold"
    assert html_to_text("a<br/>b<style/>c") == "a\nb c" or html_to_text("a<br/>b<style/>c") == "a\nbc"


def test_attachments_are_kept_with_names_types_and_bytes_inline_images_included():
    msg = EmailMessage()
    msg["From"] = "anna@alpha.example"
    msg.set_content("see photo")
    msg.add_alternative('<p>see photo <img src="cid:img1"></p>', subtype="html")
    msg.get_payload()[1].add_related(b"\x89PNG...", maintype="image", subtype="png", cid="<img1>")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="report.pdf")
    parsed = parse(msg.as_bytes(), **LIMITS)
    by_name = {a.filename: a for a in parsed.attachments}
    assert (
        by_name["report.pdf"].content == b"%PDF-1.4"
        and by_name["report.pdf"].content_type == "application/pdf"
    )
    inline = [a for a in parsed.attachments if a.content_type == "image/png"]
    assert len(inline) == 1 and inline[0].content == b"\x89PNG..." and inline[0].filename.endswith(".png")
    assert parsed.text.strip() == "see photo"


def test_a_forwarded_message_is_one_eml_attachment():
    inner = EmailMessage()
    inner["From"] = "boss@alpha.example"
    inner["Subject"] = "original"
    inner.set_content("inner body")
    outer = EmailMessage()
    outer["From"] = "anna@alpha.example"
    outer.set_content("see below")
    outer.add_attachment(inner)
    parsed = parse(outer.as_bytes(), **LIMITS)
    assert [a.content_type for a in parsed.attachments] == ["message/rfc822"]
    assert b"inner body" in parsed.attachments[0].content and parsed.text.strip() == "see below"


def test_an_outlook_forward_is_not_stripped():
    body = "FYI\n________________________________\nFrom: Boss <b@x>\nSent: Monday\nTo: Anna\nSubject: x\n\nfix it"
    assert parse(mail(body, subject="FW: pump"), **LIMITS).body == body
    assert parse(mail(body, subject="Re: pump"), **LIMITS).body == "FYI"


def test_size_and_part_limits():
    raw = mail(files=[(f"f{i}.txt", b"x", "text/plain") for i in range(5)])
    with pytest.raises(MailRejected, match="larger than"):
        parse(raw, max_bytes=len(raw) - 1, max_parts=50)
    with pytest.raises(MailRejected, match="more than 4 MIME parts"):
        parse(raw, max_bytes=10**6, max_parts=4)
    assert parse(raw, max_bytes=len(raw), max_parts=7).part_count == 7  # mixed + text + 5 files


def test_a_hostile_nesting_is_rejected_not_a_crash():
    depth = 400
    parts = [f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(depth)]
    raw = ("From: x@y.example\n" + "".join(parts) + "Content-Type: text/plain\n\nhi\n").encode()
    with pytest.raises(MailRejected, match=r"nested|parts"):
        parse(raw, max_bytes=10**6, max_parts=10**6)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, "Auto-Submitted: auto-generated"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"Precedence": "junk"}, "Precedence: junk"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"X-Autoreply": "yes"}, "X-Autoreply header"),
        ({"X-Autorespond": "Out of office"}, "X-Autorespond header"),
        (
            {"List-Id": "<team.lists.example>", "Precedence": "first-class"},
            "mailing list (List-Id with Precedence)",
        ),
        ({"Return-Path": "<>"}, "empty Return-Path (a bounce)"),
    ],
)
def test_machine_written_mail_is_recognised(headers, reason):
    assert parse(mail(headers=headers), **LIMITS).auto_reason == reason


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "no"},
        {"Precedence": "first-class"},
        {"List-Id": "<x.example>"},
        {"Return-Path": "<a@b.example>"},
    ],
)
def test_mail_a_person_wrote_is_not_automatic(headers):
    assert parse(mail(headers=headers), **LIMITS).auto_reason == ""


def test_a_delivery_report_is_automatic():
    raw = (
        b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
        b"--R\nContent-Type: text/plain\n\nundeliverable\n--R--\n"
    )
    assert parse(raw, **LIMITS).auto_reason == "delivery or read report"


def test_our_own_loop_header_is_recognised_only_with_our_value():
    assert parse(
        mail(headers={LOOP_HEADER: "support@steward.test"}), **LIMITS, loop_id="Support@Steward.test"
    ).loop
    assert not parse(
        mail(headers={LOOP_HEADER: "other@elsewhere.example"}), **LIMITS, loop_id="support@steward.test"
    ).loop
    assert not parse(mail(), **LIMITS, loop_id="support@steward.test").loop


def test_subject_ticket_number():
    assert subject_ticket_number("Re: [T-000123] Heating") == 123
    assert subject_ticket_number("Re: [t-42] x") == 42
    assert subject_ticket_number("T-000123 without brackets") is None
    assert subject_ticket_number("") is None


def test_headers_only_for_oversize_mail():
    head = parse_headers(mail(subject="Big one") + b"x" * 1000)
    assert head.subject == "Big one" and head.from_address == "anna@alpha.example"
    assert head.message_id == "<m1@alpha.example>" and len(head.content_hash) == 64


# --- quoted replies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # top-posted reply over an attribution and a quote
        (
            "Thanks, works now.\n\nOn Mon, 9 Mar 2026 at 10:00, Steward <s@x> wrote:\n> Try a restart.\n> Bye",
            "Thanks, works now.",
        ),
        # the attribution wrapped over two lines
        (
            "Thanks.\n\nOn Mon, 9 Mar 2026 at 10:00, Steward Support\n<support@steward.test> wrote:\n> old",
            "Thanks.",
        ),
        # German client
        ("Danke!\n\nAm 09.03.2026 um 10:00 schrieb Steward <s@x>:\n> alt", "Danke!"),
        # Outlook original-message separator and header block
        ("New text.\n\n-----Original Message-----\nFrom: Steward\nSent: Monday\nold", "New text."),
        (
            "New text.\n________________________________\nFrom: Steward <s@x>\nSent: Monday, 9 March\nTo: Anna\nSubject: x\n\nold",
            "New text.",
        ),
        # our own marker, even quoted and with the client's attribution above it
        (f"Answer here.\n\nOn Mon, Steward wrote:\n> {REPLY_MARKER}\n> Old reply", "Answer here."),
        # a trailing quote block without attribution
        ("My answer.\n\n> quoted line\n> another\n", "My answer."),
    ],
)
def test_quoted_reply_is_stripped(text, expected):
    assert strip_quoted(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # bottom posting: the answer below the quote is kept whole
        "On Mon, 9 Mar 2026, Steward wrote:\n> Did a restart help?\n\nNo, it did not.",
        # inline answers between quoted lines are kept
        "> Is it on?\nYes.\n> Is it warm?\nNo.",
        # a message that only quotes stays whole rather than becoming empty
        "> only a quote",
        # an ordinary "From:" line in text is not an Outlook header
        "From: the basement, there is water.\nPlease come.",
        # a forwarded message is content, not a quote
        "Please see below.\n\n---------- Forwarded message ---------\nFrom: boss\nDate: today\nTo: me\n\nfix it",
    ],
)
def test_conservative_stripping_keeps_text_it_is_not_sure_about(text):
    assert strip_quoted(text) == text.strip()


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_parse_never_crashes_on_arbitrary_bytes(raw):
    result = parse(raw, max_bytes=10**6, max_parts=10**6)
    assert isinstance(result, ParsedMail) and result.size == len(raw) and len(result.content_hash) == 64


_header_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_mime_bits = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=B\n",
        b"Content-Type: text/plain; charset=x-unknown\n",
        b"Content-Type: text/html\n",
        b"Content-Transfer-Encoding: base64\n",
        b"Content-Transfer-Encoding: quoted-printable\n",
        b"Content-Disposition: attachment; filename*=utf-8''%FF%FE.txt\n",
        b"Subject: =?utf-8?b?///=?= =?x-bogus?q?a?=\n",
        b"From: =?utf-8?q?\xff?= <@>, ,;<a@b>\n",
        b"Date: Mon, 99 Foo 99999 99:99:99 +9999\n",
        b"Message-ID: <<<>>>\n",
        b"References: < > <a@b\n",
        b"\n--B\n",
        b"\n--B--\n",
        b"=?=\n",
        b"\n",
        b"\xff\xfe\x00",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_mime_bits, max_size=30), _header_text)
def test_parse_never_crashes_on_malformed_mime(bits, tail):
    raw = b"".join(bits) + tail.encode()
    assert isinstance(parse(raw, max_bytes=10**6, max_parts=10**6), ParsedMail)


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=200)


def _variant(
    body: str, subject: str, *, encoding: str, newline: bytes, received: int, order: int, message_id: str
):
    """The same authored message as it might arrive by different routes."""
    data = body.encode("utf-8")
    if encoding == "base64":
        payload, cte = base64.encodebytes(data), b"base64"
    else:
        payload, cte = quopri.encodestring(data), b"quoted-printable"
    subject_header = "=?utf-8?b?" + base64.b64encode(subject.encode()).decode() + "?="
    headers = [
        b"From: Anna <ANNA@alpha.example>",
        b"To: support@steward.test",
        f"Subject: {subject_header}".encode(),
        b"Date: " + format_datetime(datetime(2026, 3, 9, 9, 0, tzinfo=UTC)).encode(),
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: " + cte,
    ]
    if message_id:
        headers.append(f"Message-ID: {message_id}".encode())
    headers = headers[order:] + headers[:order]
    trace = [
        f"Received: from relay{i}.example by mx.example; Mon, 9 Mar 2026 10:0{i}:00 +0100".encode()
        for i in range(received)
    ]
    lines = [*trace, *headers, b"", *payload.split(b"\n")]
    return newline.join(lines)


@settings(max_examples=150, deadline=None)
@given(
    body=_text,
    subject=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60),
    a=st.tuples(
        st.sampled_from(["base64", "qp"]),
        st.sampled_from([b"\n", b"\r\n"]),
        st.integers(0, 3),
        st.integers(0, 6),
    ),
    b=st.tuples(
        st.sampled_from(["base64", "qp"]),
        st.sampled_from([b"\n", b"\r\n"]),
        st.integers(0, 3),
        st.integers(0, 6),
    ),
)
def test_content_hash_is_stable_across_routes(body, subject, a, b):
    """Header order, Received lines, line endings, transfer encoding and Message-ID do not change
    the hash of the same authored message."""
    first = parse(
        _variant(body, subject, encoding=a[0], newline=a[1], received=a[2], order=a[3], message_id="<1@x>"),
        **LIMITS,
    )
    second = parse(
        _variant(body, subject, encoding=b[0], newline=b[1], received=b[2], order=b[3], message_id=""),
        **LIMITS,
    )
    assert first.content_hash == second.content_hash


@settings(max_examples=100, deadline=None)
@given(body=_text, other=_text)
def test_content_hash_tells_different_bodies_apart(body, other):
    assume(" ".join(body.split()) != " ".join(other.split()) and body.strip() and other.strip())
    assume(
        [x.rstrip() for x in body.strip().splitlines()] != [x.rstrip() for x in other.strip().splitlines()]
    )
    one = parse(
        _variant(body, "s", encoding="qp", newline=b"\n", received=0, order=0, message_id=""), **LIMITS
    )
    two = parse(
        _variant(other, "s", encoding="qp", newline=b"\n", received=0, order=0, message_id=""), **LIMITS
    )
    assert one.content_hash != two.content_hash


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_strip_quoted_never_empties_and_only_removes(text):
    result = strip_quoted(text)
    assert result.strip() or not text.strip()
    assert result in text.replace("\r\n", "\n").replace("\r", "\n") or result == text.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_characters="<"), max_size=500))
def test_html_to_text_drops_script_content_and_keeps_no_markup(text):
    """Whatever text surrounds it (entities, quotes, ampersands), a script's content is dropped and
    no tag survives. (Text with "<" may itself open markup, as it would in a browser.)"""
    out = html_to_text(f"<div>{text}<script>var secret=1;</script><p>after</p></div>")
    assert ("var secret" not in out or "var secret" in text) and "<script" not in out and "<p>" not in out


def test_auto_reason_on_raw_headers():
    assert auto_reason_for({"auto-submitted": ("Auto-Replied",)}) == "Auto-Submitted: auto-replied"
    assert auto_reason_for({}) == ""
