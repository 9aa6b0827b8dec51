"""Mail in and out for the service desk.

Pure parts (no ORM): `parse` (raw bytes → `ParsedMail`), `htmltext` (HTML → plain text),
`quoting` (quoted-reply stripping). Database parts: `tokens` (signed reply addresses), `intake`
(one transaction per inbound message), `services` (triage), `outbound` (sending the desk's
notifications), `smtpd` and `imap` (the two ways real mail servers hand us mail).
"""
