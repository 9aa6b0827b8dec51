"""A small IMAP4rev1 server for tests, speaking the real protocol on a local socket.

It implements what `imaplib` sends for `steward fetchmail`: CAPABILITY, LOGIN, SELECT, UID SEARCH
(UNSEEN or ALL), UID FETCH with BODY[] / BODY.PEEK[] as a literal, UID STORE of flags, NOOP and
LOGOUT, with tagged OK/NO/BAD answers. Messages live in memory with their UIDs and flags, so a
test can see which were marked \\Seen and when (the `log` records every command in order).
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    # A password with a space and a quote, so the client's quoting is exercised.
    def __init__(self, *, user: str = "desk@steward.test", password: str = 's3cret pass"word') -> None:  # noqa: S107
        self.user, self.password = user, password
        self.messages: list[StoredMessage] = []
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.next_uid = 101

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.messages.append(StoredMessage(uid, raw, {"\\Seen"} if seen else set()))
            return uid

    def seen(self, uid: int) -> bool:
        return any(m.uid == uid and "\\Seen" in m.flags for m in self.messages)


_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|([^\s()]+)')


def _arguments(line: bytes) -> list[str]:
    out = []
    for quoted, listed, atom in _TOKEN.findall(line):
        if quoted or (not listed and not atom):
            out.append(re.sub(rb"\\(.)", rb"\1", quoted).decode())
        else:
            out.append((listed or atom).decode())
    return out


class _Session(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def handle(self) -> None:
        box = self.server.mailbox  # type: ignore[attr-defined]
        authenticated = selected = False
        self.send("* OK Steward test IMAP4rev1 server ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = line.rstrip(b"\r\n").split(b" ", 2)
            tag = parts[0].decode()
            command = parts[1].decode().upper() if len(parts) > 1 else ""
            args = _arguments(parts[2]) if len(parts) > 2 else []
            box.log.append(" ".join([command, *args]))
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY completed\r\n")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            elif command == "LOGIN":
                if args == [box.user, box.password]:
                    authenticated = True
                    self.send(f"{tag} OK LOGIN completed\r\n")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
            elif not authenticated:
                self.send(f"{tag} BAD not authenticated\r\n")
            elif command == "SELECT":
                if args[:1] != ["INBOX"]:
                    self.send(f"{tag} NO [NONEXISTENT] no such mailbox\r\n")
                    continue
                selected = True
                self.send(
                    f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n"
                    f"* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT {box.next_uid}] next\r\n"
                    f"{tag} OK [READ-WRITE] SELECT completed\r\n"
                )
            elif command == "UID" and selected and args:
                self.uid_command(box, tag, args[0].upper(), args[1:])
            else:
                self.send(f"{tag} BAD unknown or misplaced command\r\n")

    def uid_command(self, box: Mailbox, tag: str, sub: str, args: list[str]) -> None:
        with box.lock:
            messages = list(enumerate(box.messages, 1))
        if sub == "SEARCH":
            wanted = [
                m.uid
                for _n, m in messages
                if "UNSEEN" not in [a.upper() for a in args] or "\\Seen" not in m.flags
            ]
            self.send(
                f"* SEARCH {' '.join(map(str, wanted))}\r\n{tag} OK SEARCH completed\r\n".replace(
                    "SEARCH \r", "SEARCH\r"
                )
            )
            return
        found = [(n, m) for n, m in messages if args and str(m.uid) == args[0]]
        if sub == "FETCH":
            for n, m in found:
                peek = "PEEK" in args[1].upper()
                self.send(f"* {n} FETCH (UID {m.uid} BODY[] {{{len(m.raw)}}}\r\n".encode() + m.raw + b")\r\n")
                if not peek:
                    m.flags.add("\\Seen")
            self.send(f"{tag} OK FETCH completed\r\n")
        elif sub == "STORE" and len(args) >= 3:
            flags = set(args[2].strip("()").split())
            for n, m in found:
                if args[1].upper().startswith("+"):
                    m.flags |= flags
                elif args[1].upper().startswith("-"):
                    m.flags -= flags
                else:
                    m.flags = flags
                self.send(f"* {n} FETCH (UID {m.uid} FLAGS ({' '.join(sorted(m.flags))}))\r\n")
            self.send(f"{tag} OK STORE completed\r\n")
        else:
            self.send(f"{tag} BAD unsupported UID command\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def start(mailbox: Mailbox) -> tuple[_Server, int]:
    server = _Server(("127.0.0.1", 0), _Session)
    server.mailbox = mailbox  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]
