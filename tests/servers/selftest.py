#!/usr/bin/env python3
"""Checks a running mail-server harness (see mailservers.py) end to end.

    selftest.py --run-dir DIR

Reads DIR/servers.json and, with Python's own smtplib/poplib/ssl: delivers a message through
every SMTP port and compares the captured .eml byte for byte; checks EHLO keywords, AUTH
mechanisms (right and wrong passwords), certificate verification for 'localhost' and
'127.0.0.1', the special reject/tempfail recipients, BDAT, POP3 logins (USER/PASS, APOP, STLS,
POP3S), POP before SMTP, and the normalisations Postfix is known to apply. One line per check; exit status 1 if
any check fails. Standard library only (Python 3.11).
"""

import argparse
import json
import poplib
import re
import smtplib
import socket
import ssl
import sys
import time
import traceback
import uuid
from pathlib import Path

DELIVERY_TIMEOUT = 10.0
IO_TIMEOUT = 10.0
WRONG_PASSWORD = "not-the-password"

PLAIN_PORTS = {"plain", "auth_plain", "nochunking", "nopipelining", "auth_required",
               "pop_before_smtp"}
STARTTLS_PORTS = {"starttls", "auth_starttls"}
IMPLICIT_TLS_PORTS = {"smtps", "auth_smtps"}
AUTH_PORTS = {"auth_plain", "auth_starttls", "auth_smtps", "auth_required"}


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def run(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            detail = fn(*args)
        except Exception as e:  # any exception is a failed check; keep going with the others
            self.failed.append(name)
            kind = "" if isinstance(e, CheckFailed) else f"{type(e).__name__}: "
            print(f"FAIL  {name}: {kind}{e}", flush=True)
            if not isinstance(e, (CheckFailed, OSError, smtplib.SMTPException, poplib.error_proto)):
                traceback.print_exc()
            return
        self.passed += 1
        took = time.monotonic() - t0
        print(f"ok    {name}" + (f": {detail}" if detail else "") +
              (f" ({took:.1f}s)" if took >= 0.5 else ""), flush=True)

    def summary(self):
        total = self.passed + len(self.failed)
        if self.failed:
            print(f"selftest: {len(self.failed)} of {total} checks FAILED: {', '.join(self.failed)}")
            return 1
        print(f"selftest: all {total} checks passed")
        return 0


# --------------------------------------------------------------------------------------------
# Harness access
# --------------------------------------------------------------------------------------------

class Harness:
    def __init__(self, run_dir):
        path = Path(run_dir) / "servers.json"
        self.cfg = json.loads(path.read_text())
        self.host = self.cfg["host"]
        self.smtp = self.cfg["smtp"]
        self.pop3 = self.cfg["pop3"]
        self.users = self.cfg["users"]
        self.domain = self.cfg["domain"]
        self.delivered = Path(self.cfg["delivered_dir"])

    def tls_context(self):
        return ssl.create_default_context(cafile=self.cfg["ca_file"])

    def rcpt(self, local):
        return f"{local}@{self.domain}"

    def connect(self, name, starttls=True):
        """smtplib session on SMTP port `name`, EHLO done; STARTTLS done on STARTTLS ports.
        TLS is verified against the harness CA for host name 127.0.0.1."""
        port = self.smtp[name]
        if name in IMPLICIT_TLS_PORTS:
            s = smtplib.SMTP_SSL(self.host, port, timeout=IO_TIMEOUT, context=self.tls_context())
        else:
            s = smtplib.SMTP(self.host, port, timeout=IO_TIMEOUT)
        s.ehlo("selftest.invalid")
        if starttls and name in STARTTLS_PORTS:
            s.starttls(context=self.tls_context())
            s.ehlo("selftest.invalid")
        return s

    def wait_delivered(self, queue_id, count):
        """The .eml bytes and sidecars of deliveries 1..count of queue_id (polls, bounded)."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        sidecars = [self.delivered / f"{queue_id}.{n}.json" for n in range(1, count + 1)]
        while not all(p.exists() for p in sidecars):
            if time.monotonic() > deadline:
                found = sorted(p.name for p in self.delivered.glob(f"{queue_id}.*"))
                raise CheckFailed(f"queue id {queue_id}: expected {count} deliveries within "
                                  f"{DELIVERY_TIMEOUT}s, found {found} (see {self.cfg['postfix_log']})")
            time.sleep(0.02)
        return [(p.with_suffix(".eml").read_bytes(), json.loads(p.read_text())) for p in sidecars]


def queue_id_of(reply):
    m = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
    expect(m, f"no queue id in reply {reply!r}")
    return m.group(1).decode()


def sample_message(tag, extra=b""):
    """A message exercising what must pass unchanged: a client Received: header, folded header,
    8-bit UTF-8, lines starting with '.', a lone '.', 'From ', trailing blanks, a 3000-char line."""
    return (b"Received: from client.invalid by relay.invalid; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            b"From: Selftest <sender@example.test>\r\n"
            b"To: rcpt@example.test\r\n"
            b"Subject: selftest " + tag.encode() + b"\r\n"
            b"X-Folded: first\r\n\tsecond\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n"
            b"\r\n"
            b"Gr\xc3\xbc\xc3\x9fe, \xe2\x82\xac\r\n"
            b".leading dot\r\n"
            b"..two dots\r\n"
            b".\r\n"
            b"From the start of a line\r\n"
            b"trailing blanks   \r\n"
            b"\ttab\r\n"
            + b"L" * 3000 + b"\r\n" + extra +
            b"last line\r\n")


def send(s, sender, rcpts, msg, mail_options=("BODY=8BITMIME",)):
    code, reply = s.mail(sender, list(mail_options))
    expect(code == 250, f"MAIL FROM: {code} {reply!r}")
    for r in rcpts:
        code, reply = s.rcpt(r)
        expect(code == 250, f"RCPT TO:<{r}>: {code} {reply!r}")
    code, reply = s.data(msg)
    expect(code == 250, f"DATA: {code} {reply!r}")
    return queue_id_of(reply)


def check_delivery(h, queue_id, msg, sender, rcpts, expect_user=""):
    got = h.wait_delivered(queue_id, len(rcpts))
    seen = []
    for n, (eml, side) in enumerate(got, 1):
        if eml != msg:
            raise CheckFailed(f"{queue_id}.{n}.eml differs from what was sent: "
                              f"{first_difference(msg, eml)}")
        expect(side["queue_id"] == queue_id and side["sender"] == sender,
               f"sidecar {queue_id}.{n}.json: {side}")
        expect(side.get("sasl_username", "") == expect_user,
               f"sidecar sasl_username {side.get('sasl_username')!r}, expected {expect_user!r}")
        seen.append(side["recipient"])
    expect(sorted(seen) == sorted(rcpts), f"recipients {seen}, expected {rcpts}")
    return f"{queue_id} x{len(rcpts)}, {len(msg)} bytes identical"


def first_difference(sent, got):
    i = next((i for i, (a, b) in enumerate(zip(sent, got)) if a != b), min(len(sent), len(got)))
    return (f"sent {len(sent)} bytes, got {len(got)}; first difference at byte {i}: "
            f"sent {sent[max(0, i - 20):i + 20]!r}, got {got[max(0, i - 20):i + 20]!r}")


# --------------------------------------------------------------------------------------------
# A minimal raw SMTP/POP3 client, for what smtplib/poplib cannot do (BDAT, bare CR/LF, TLS
# with a host name other than the address connected to).
# --------------------------------------------------------------------------------------------

class Raw:
    def __init__(self, h, port, tls_name=None):
        self.sock = socket.create_connection((h.host, port), timeout=IO_TIMEOUT)
        self.h = h
        if tls_name:
            self.starttls(tls_name)
        else:
            self.file = self.sock.makefile("rb")

    def starttls(self, server_hostname):
        self.sock = self.h.tls_context().wrap_socket(self.sock, server_hostname=server_hostname)
        self.file = self.sock.makefile("rb")

    def smtp_reply(self):
        lines = []
        while True:
            line = self.file.readline()
            expect(line, f"connection closed; got so far {lines!r}")
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)

    def smtp(self, data):
        self.sock.sendall(data)
        return self.smtp_reply()

    def pop3_line(self):
        line = self.file.readline()
        expect(line, "connection closed")
        return line

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def raw_smtp_session(h, name):
    """Greeting and EHLO done; TLS (verified for 'localhost') on implicit-TLS ports."""
    r = Raw(h, h.smtp[name], tls_name="localhost" if name in IMPLICIT_TLS_PORTS else None)
    code, reply = r.smtp_reply()
    expect(code == 220, f"greeting {reply!r}")
    code, reply = r.smtp(b"EHLO selftest.invalid\r\n")
    expect(code == 250, f"EHLO {reply!r}")
    return r, reply


def raw_mail_transaction(r, rcpt):
    for cmd in (b"MAIL FROM:<sender@example.test>\r\n", b"RCPT TO:<%s>\r\n" % rcpt.encode()):
        code, reply = r.smtp(cmd)
        expect(code == 250, f"{cmd.strip()!r}: {reply!r}")


# --------------------------------------------------------------------------------------------
# SMTP checks
# --------------------------------------------------------------------------------------------

def expected_keywords(name):
    base = {"PIPELINING", "8BITMIME", "SMTPUTF8", "SIZE", "ENHANCEDSTATUSCODES", "DSN", "CHUNKING"}
    if name == "nochunking":
        base -= {"CHUNKING"}
    if name == "nopipelining":
        base -= {"CHUNKING", "PIPELINING"}
    return base


def check_ehlo(h, name):
    s = h.connect(name, starttls=False)
    try:
        features = {k.upper() for k in s.esmtp_features}
        want = expected_keywords(name)
        expect(want <= features, f"missing {sorted(want - features)} in {sorted(features)}")
        absent = {"CHUNKING", "PIPELINING"} - want
        expect(not (absent & features), f"should not offer {sorted(absent & features)}")
        expect(s.esmtp_features.get("size") == str(h.cfg.get("message_size_limit", 20000000)),
               f"SIZE {s.esmtp_features.get('size')!r}")
        expect(("STARTTLS" in features) == (name in STARTTLS_PORTS),
               f"STARTTLS offered: {'STARTTLS' in features}")
        auth_now = name in AUTH_PORTS and name != "auth_starttls"
        expect(("AUTH" in features) == auth_now, f"AUTH offered before TLS: {'AUTH' in features}")
        if name in STARTTLS_PORTS:
            s.starttls(context=h.tls_context())
            s.ehlo("selftest.invalid")
            features = {k.upper() for k in s.esmtp_features}
            expect("STARTTLS" not in features, "STARTTLS offered again after TLS")
            expect(("AUTH" in features) == (name in AUTH_PORTS), "AUTH after STARTTLS")
        if name in AUTH_PORTS:
            mechs = sorted(s.esmtp_features["auth"].split())
            expect(mechs == ["CRAM-MD5", "LOGIN", "PLAIN"], f"AUTH mechanisms {mechs}")
        s.quit()
        return " ".join(sorted(features))
    finally:
        s.close()


def check_deliver(h, name):
    """One message through the port (authenticated as alice on AUTH ports), byte-identical."""
    s = h.connect(name)
    try:
        user = ""
        if name in AUTH_PORTS:
            s.login("alice", h.users["alice"])
            user = "alice"
        msg = sample_message(f"{name} {uuid.uuid4()}")
        sender, rcpt = "sender@example.test", h.rcpt(f"{name}.rcpt")
        qid = send(s, sender, [rcpt], msg)
        s.quit()
    finally:
        s.close()
    return check_delivery(h, qid, msg, sender, [rcpt], expect_user=user)


def auth_attempt(h, name, mech, user, password):
    s = h.connect(name)
    try:
        s.user, s.password = user, password
        authobject = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login,
                      "CRAM-MD5": s.auth_cram_md5}[mech]
        try:
            code, reply = s.auth(mech, authobject)
        except smtplib.SMTPAuthenticationError as e:
            code, reply = e.smtp_code, e.smtp_error
        try:
            s.quit()
        except smtplib.SMTPServerDisconnected:
            pass
        return code, reply
    finally:
        s.close()


def check_auth(h, name, mech):
    code, reply = auth_attempt(h, name, mech, "alice", h.users["alice"])
    expect(code == 235, f"alice: {code} {reply!r}")
    code, reply = auth_attempt(h, name, mech, "bob", h.users["bob"])
    expect(code == 235, f"bob: {code} {reply!r}")
    code, reply = auth_attempt(h, name, mech, "alice", WRONG_PASSWORD)
    expect(code == 535, f"wrong password: {code} {reply!r}")
    # Also guards the harness's "nodelay" passdb (nopassword): it must never log anyone in.
    code2, reply2 = auth_attempt(h, name, mech, "nosuchuser", WRONG_PASSWORD)
    expect(code2 == 535, f"unknown user: {code2} {reply2!r}")
    code3, reply3 = auth_attempt(h, name, mech, "alice", h.users["bob"])
    expect(code3 == 535, f"alice with bob's password: {code3} {reply3!r}")
    return f"alice/bob 235, wrong password/unknown user {code} {reply.decode(errors='replace')}"


def check_special_recipients(h, name):
    s = h.connect(name)
    try:
        if name in AUTH_PORTS:
            s.login("alice", h.users["alice"])
        s.mail("sender@example.test")
        code, reply = s.rcpt(h.cfg["special_recipients"]["reject"])
        expect(code == 550 and reply.startswith(b"5.1.1"), f"reject@: {code} {reply!r}")
        code2, reply2 = s.rcpt(h.cfg["special_recipients"]["tempfail"])
        expect(code2 == 450 and reply2.startswith(b"4.2.0"), f"tempfail@: {code2} {reply2!r}")
        code3, reply3 = s.rcpt(h.rcpt("ordinary"))
        expect(code3 == 250, f"ordinary recipient after them: {code3} {reply3!r}")
        s.rset()
        s.quit()
    finally:
        s.close()
    return f"{code} {reply.decode()} / {code2} {reply2.decode()}"


def check_auth_required(h):
    s = h.connect("auth_required")
    try:
        s.mail("sender@example.test")
        code, reply = s.rcpt(h.rcpt("someone"))
        expect(500 <= code < 600, f"unauthenticated RCPT: {code} {reply!r}")
        s.rset()
        s.user, s.password = "alice", WRONG_PASSWORD
        try:
            s.auth("PLAIN", s.auth_plain)
            raise CheckFailed("wrong password accepted")
        except smtplib.SMTPAuthenticationError as e:
            expect(e.smtp_code == 535, f"wrong password: {e.smtp_code}")
        s.mail("sender@example.test")
        code2, reply2 = s.rcpt(h.rcpt("someone"))
        expect(500 <= code2 < 600, f"RCPT after failed AUTH: {code2} {reply2!r}")
        s.quit()
    finally:
        s.close()
    return f"unauthenticated RCPT {code} {reply.decode()}"


def check_multi_recipient(h):
    """One delivery (one .eml/.json pair, n = 1, 2, ...) per recipient."""
    s = h.connect("plain")
    try:
        msg = sample_message(f"multi {uuid.uuid4()}")
        rcpts = [h.rcpt("one"), h.rcpt("two"), h.rcpt("three")]
        qid = send(s, "", rcpts, msg)  # also: the null sender appears as ""
        s.quit()
    finally:
        s.close()
    return check_delivery(h, qid, msg, "", rcpts)


def check_smtputf8(h):
    s = h.connect("plain")
    try:
        msg = ("Subject: \u00fcber\r\nFrom: \u00e4@example.test\r\n\r\n\u00e9t\u00e9\r\n").encode()
        sender, rcpt = "\u00e4@example.test", h.rcpt("\u7528\u6237")
        qid = send(s, sender, [rcpt], msg, mail_options=("SMTPUTF8", "BODY=8BITMIME"))
        s.quit()
    finally:
        s.close()
    return check_delivery(h, qid, msg, sender, [rcpt])


def check_bdat(h, name):
    """BDAT by hand (smtplib has none): several chunks, content that DATA would dot-stuff."""
    r, ehlo = raw_smtp_session(h, name)
    try:
        expect(b"CHUNKING" in ehlo, "CHUNKING not offered")
        rcpt = h.rcpt("bdat")
        raw_mail_transaction(r, rcpt)
        msg = sample_message(f"bdat {uuid.uuid4()}")
        chunks = [msg[:100], msg[100:2000], msg[2000:]]
        for i, chunk in enumerate(chunks):
            last = b" LAST" if i == len(chunks) - 1 else b""
            code, reply = r.smtp(b"BDAT %d%s\r\n" % (len(chunk), last) + chunk)
            expect(code == 250, f"BDAT chunk {i}: {reply!r}")
        qid = queue_id_of(reply)
        r.smtp(b"QUIT\r\n")
    finally:
        r.close()
    return check_delivery(h, qid, msg, "sender@example.test", [rcpt])


def check_normalisation(h, how, sent, expected):
    """Documents what Postfix still changes (see README.md); fails if that ever changes."""
    r, _ = raw_smtp_session(h, "plain")
    try:
        raw_mail_transaction(r, h.rcpt("norm"))
        if how == "DATA":
            code, reply = r.smtp(b"DATA\r\n")
            expect(code == 354, f"DATA: {reply!r}")
            code, reply = r.smtp(sent + b".\r\n")
        else:
            code, reply = r.smtp(b"BDAT %d LAST\r\n" % len(sent) + sent)
        expect(code == 250, f"{how}: {reply!r}")
        qid = queue_id_of(reply)
        r.smtp(b"QUIT\r\n")
    finally:
        r.close()
    [(eml, _)] = h.wait_delivered(qid, 1)
    expect(eml == expected, f"sent {sent!r}, expected {expected!r}, got {eml!r}")
    return f"{sent!r} -> {eml!r}"


NORMALISATIONS = [
    ("bare LF becomes CRLF", "DATA",
     b"Subject: lf\r\n\r\none\ntwo\r\n", b"Subject: lf\r\n\r\none\r\ntwo\r\n"),
    ("bare CR inside a line becomes a space", "DATA",
     b"Subject: cr\r\n\r\na\rb\r\n", b"Subject: cr\r\n\r\na b\r\n"),
    ("CR before CRLF is dropped", "DATA",
     b"Subject: crcr\r\n\r\nx\r\r\n", b"Subject: crcr\r\n\r\nx\r\n"),
    ("BDAT content without final CRLF gets one", "BDAT",
     b"Subject: nocrlf\r\n\r\nno newline", b"Subject: nocrlf\r\n\r\nno newline\r\n"),
    ("message without a header section gets an empty line in front", "DATA",
     b"not a header line\r\n", b"\r\nnot a header line\r\n"),
]


# --------------------------------------------------------------------------------------------
# TLS verification by host name
# --------------------------------------------------------------------------------------------

def tls_handshake(h, kind, name, server_hostname):
    """Handshake on a TLS port verifying the server certificate for server_hostname; returns the
    negotiated protocol version."""
    if kind == "pop3":
        port = h.pop3[name]
        r = Raw(h, port, tls_name=server_hostname if name == "pop3s" else None)
        try:
            greeting = r.pop3_line()
            expect(greeting.startswith(b"+OK"), f"greeting {greeting!r}")
            if name == "pop3":
                r.sock.sendall(b"STLS\r\n")
                line = r.pop3_line()
                expect(line.startswith(b"+OK"), f"STLS: {line!r}")
                r.starttls(server_hostname)
            r.sock.sendall(b"QUIT\r\n")
            expect(r.pop3_line().startswith(b"+OK"), "QUIT over TLS")
            return r.sock.version()
        finally:
            r.close()
    port = h.smtp[name]
    r = Raw(h, port, tls_name=server_hostname if name in IMPLICIT_TLS_PORTS else None)
    try:
        code, reply = r.smtp_reply()
        expect(code == 220, f"greeting {reply!r}")
        if name in STARTTLS_PORTS:
            r.smtp(b"EHLO selftest.invalid\r\n")
            code, reply = r.smtp(b"STARTTLS\r\n")
            expect(code == 220, f"STARTTLS: {reply!r}")
            r.starttls(server_hostname)
        code, reply = r.smtp(b"EHLO selftest.invalid\r\n")
        expect(code == 250, f"EHLO over TLS: {reply!r}")
        r.smtp(b"QUIT\r\n")
        return r.sock.version()
    finally:
        r.close()


def check_tls_names(h, kind, name):
    versions = {n: tls_handshake(h, kind, name, n) for n in h.cfg.get("tls_names", ["localhost", "127.0.0.1"])}
    try:
        tls_handshake(h, kind, name, "wrong.invalid")
    except ssl.SSLCertVerificationError:
        pass
    else:
        raise CheckFailed("certificate also verified for 'wrong.invalid'")
    return ", ".join(f"{n} {v}" for n, v in versions.items()) + "; wrong.invalid rejected"


# --------------------------------------------------------------------------------------------
# POP3 checks
# --------------------------------------------------------------------------------------------

def pop3_connect(h, name, stls=False):
    if name == "pop3s":
        p = poplib.POP3_SSL(h.host, h.pop3[name], timeout=IO_TIMEOUT, context=h.tls_context())
    else:
        p = poplib.POP3(h.host, h.pop3[name], timeout=IO_TIMEOUT)
        if stls:
            p.stls(context=h.tls_context())
    return p


def pop3_session(h, name, login, stls=False):
    p = pop3_connect(h, name, stls)
    try:
        login(p)
        count, size = p.stat()
        p.quit()
        return count
    finally:
        p.close()


def check_pop3_userpass(h, name, stls=False):
    for user, password in h.users.items():
        count = pop3_session(h, name, lambda p: (p.user(user), p.pass_(password)), stls)
    refused = []
    for user, password in [("alice", WRONG_PASSWORD), ("alice", ""), ("nosuchuser", "x")]:
        try:
            pop3_session(h, name, lambda p: (p.user(user), p.pass_(password)), stls)
        except poplib.error_proto as e:
            refused.append(e)
            continue
        raise CheckFailed(f"USER {user} / PASS {password!r} accepted")
    return f"alice and bob logged in ({count} messages for bob); wrong ones: {refused[0]}"


def check_pop3_apop(h, name):
    p = pop3_connect(h, name)
    try:
        greeting = p.getwelcome()
        expect(re.search(rb"<[^>]+@[^>]+>|<[^>]+>", greeting), f"no APOP timestamp in {greeting!r}")
    finally:
        p.close()
    for user, password in h.users.items():
        pop3_session(h, name, lambda p: p.apop(user, password))
    for user, password in [("alice", WRONG_PASSWORD), ("nosuchuser", "x")]:
        try:
            pop3_session(h, name, lambda p: p.apop(user, password))
        except poplib.error_proto:
            continue
        raise CheckFailed(f"APOP {user} with a wrong password accepted")
    return f"greeting {greeting.decode()}"


# --------------------------------------------------------------------------------------------
# POP before SMTP (port "pop_before_smtp")
# --------------------------------------------------------------------------------------------

def pbs_reset(h, how="delete"):
    """Forget every POP3 login: delete (or truncate) the state file, as a test would."""
    state = Path(h.cfg["pop_before_smtp"]["state_file"])
    if how == "delete":
        state.unlink(missing_ok=True)
    else:
        state.write_text("")


def pbs_recorded(h):
    """{ip: time} from the state file (format: one "IP UNIX_TIME" line per IP)."""
    try:
        text = Path(h.cfg["pop_before_smtp"]["state_file"]).read_text()
    except FileNotFoundError:
        return {}
    return {f[0]: float(f[1]) for f in (line.split() for line in text.splitlines()) if len(f) == 2}


def pbs_rcpt(h, source_ip=None):
    """(code, reply) to one RCPT on the pop_before_smtp port (from source_ip if given)."""
    s = smtplib.SMTP(h.host, h.smtp["pop_before_smtp"], timeout=IO_TIMEOUT,
                     source_address=(source_ip, 0) if source_ip else None)
    try:
        s.ehlo("selftest.invalid")
        code, reply = s.mail("sender@example.test")
        expect(code == 250, f"MAIL FROM: {code} {reply!r}")
        code, reply = s.rcpt(h.rcpt("pbs.refused"))
        s.quit()
        return code, reply
    finally:
        s.close()


def pbs_expect_refused(h, source_ip=None):
    code, reply = pbs_rcpt(h, source_ip)
    expect(code == 554 and b"POP before SMTP" in reply, f"RCPT: {code} {reply!r}, expected 554")
    return f"{code} {reply.decode(errors='replace')}"


def pbs_expect_delivered(h, how):
    """After a POP3 login: the login is recorded, and a message goes through and arrives."""
    recorded = pbs_recorded(h)
    expect("127.0.0.1" in recorded and abs(time.time() - recorded["127.0.0.1"]) < 10,
           f"state file after the POP3 login: {recorded}")
    s = smtplib.SMTP(h.host, h.smtp["pop_before_smtp"], timeout=IO_TIMEOUT)
    try:
        s.ehlo("selftest.invalid")
        msg = sample_message(f"pop before smtp ({how}) {uuid.uuid4()}")
        sender, rcpt = "sender@example.test", h.rcpt("pbs.rcpt")
        qid = send(s, sender, [rcpt], msg)
        s.quit()
    finally:
        s.close()
    return f"after {how}: " + check_delivery(h, qid, msg, sender, [rcpt])


def pbs_pop3_login(h, name, mech, stls=False):
    user = "bob"
    login = {"USER/PASS": lambda p: (p.user(user), p.pass_(h.users[user])),
             "APOP": lambda p: p.apop(user, h.users[user])}[mech]
    pop3_session(h, name, login, stls)


def check_pbs_refused(h, how="delete"):
    pbs_reset(h, how)
    return pbs_expect_refused(h)


def check_pbs_after_login(h, name, mech, stls=False):
    pbs_reset(h)
    pbs_pop3_login(h, name, mech, stls)
    return pbs_expect_delivered(h, f"{mech} on {name}{' with STLS' if stls else ''}")


def check_pbs_failed_login(h):
    """Refused POP3 logins (USER/PASS and APOP, wrong password and unknown user) record nothing."""
    pbs_reset(h)
    for name, login in [("pop3", lambda p: (p.user("alice"), p.pass_(WRONG_PASSWORD))),
                        ("pop3", lambda p: p.apop("alice", WRONG_PASSWORD)),
                        ("pop3s", lambda p: (p.user("nosuchuser"), p.pass_("x")))]:
        try:
            pop3_session(h, name, login)
        except poplib.error_proto:
            continue
        raise CheckFailed(f"wrong POP3 login on {name} accepted")
    expect(not pbs_recorded(h), f"failed logins were recorded: {pbs_recorded(h)}")
    return "3 refused logins, nothing recorded, then " + pbs_expect_refused(h)


def check_pbs_expired(h):
    """A login older than the window does not count (state written by hand, as a test may)."""
    window = h.cfg["pop_before_smtp"]["window_seconds"]
    state = Path(h.cfg["pop_before_smtp"]["state_file"])
    state.write_text(f"127.0.0.1 {int(time.time()) - window - 2}\n")
    try:
        refused = pbs_expect_refused(h)
    finally:
        pbs_reset(h)
    state.write_text(f"127.0.0.1 {int(time.time()) - window + 10}\n")
    try:
        code, reply = pbs_rcpt(h)
        expect(code == 250, f"login {window - 10}s ago: RCPT {code} {reply!r}")
    finally:
        pbs_reset(h)
    return f"login {window + 2}s ago: {refused}; {window - 10}s ago: accepted"


def check_pbs_special_recipients(h):
    """After a POP3 login the reject@/tempfail@ recipients still get their codes."""
    pbs_reset(h)
    pbs_pop3_login(h, "pop3", "USER/PASS")
    try:
        return check_special_recipients(h, "pop_before_smtp")
    finally:
        pbs_reset(h)


def check_pbs_per_ip(h):
    """A login from 127.0.0.1 does not open the port for another client IP (127.0.0.2)."""
    try:
        socket.create_server(("127.0.0.2", 0)).close()
    except OSError as e:
        return f"skipped: cannot use 127.0.0.2 as a source address here ({e})"
    pbs_reset(h)
    pbs_pop3_login(h, "pop3", "USER/PASS")
    try:
        refused = pbs_expect_refused(h, source_ip="127.0.0.2")
        code, reply = pbs_rcpt(h)
        expect(code == 250, f"from 127.0.0.1 after its login: {code} {reply!r}")
    finally:
        pbs_reset(h)
    return f"from 127.0.0.2: {refused}"


# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-dir", required=True)
    args = ap.parse_args(argv)
    h = Harness(args.run_dir)
    rep = Report()
    t0 = time.monotonic()

    for name in h.smtp:
        rep.run(f"smtp[{name}] EHLO keywords", check_ehlo, h, name)
        if name != "pop_before_smtp":  # needs a POP3 login first: checked further down
            rep.run(f"smtp[{name}] DATA delivery byte-identical", check_deliver, h, name)
    for name in ("plain", "smtps"):
        rep.run(f"smtp[{name}] BDAT delivery byte-identical", check_bdat, h, name)
    for name in ("auth_plain", "auth_starttls", "auth_smtps", "auth_required"):
        for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
            rep.run(f"smtp[{name}] AUTH {mech}", check_auth, h, name, mech)
    rep.run("smtp[auth_required] refuses unauthenticated mail", check_auth_required, h)
    for name in ("plain", "auth_required"):
        rep.run(f"smtp[{name}] reject@/tempfail@ codes", check_special_recipients, h, name)
    rep.run("smtp[plain] three recipients, null sender", check_multi_recipient, h)
    rep.run("smtp[plain] SMTPUTF8 addresses", check_smtputf8, h)
    for label, how, sent, expected in NORMALISATIONS:
        rep.run(f"normalisation: {label}", check_normalisation, h, how, sent, expected)
    for name in ("starttls", "smtps", "auth_starttls", "auth_smtps"):
        rep.run(f"smtp[{name}] certificate verifies by name", check_tls_names, h, "smtp", name)
    for name in ("pop3", "pop3s"):
        rep.run(f"pop3[{name}] certificate verifies by name", check_tls_names, h, "pop3", name)

    rep.run("pop3[pop3] USER/PASS", check_pop3_userpass, h, "pop3")
    rep.run("pop3[pop3] STLS then USER/PASS", check_pop3_userpass, h, "pop3", True)
    rep.run("pop3[pop3s] USER/PASS", check_pop3_userpass, h, "pop3s")
    rep.run("pop3[pop3] APOP", check_pop3_apop, h, "pop3")
    rep.run("pop3[pop3s] APOP", check_pop3_apop, h, "pop3s")

    # POP before SMTP. Every client here is 127.0.0.1, so the logins of the checks above count
    # too: each check first resets the state, as a test must before relying on "no login".
    if "pop_before_smtp" in h.cfg:
        rep.run("smtp[pop_before_smtp] no POP3 login: RCPT refused", check_pbs_refused, h)
        rep.run("smtp[pop_before_smtp] after USER/PASS on pop3: delivered",
                check_pbs_after_login, h, "pop3", "USER/PASS")
        rep.run("smtp[pop_before_smtp] reset (delete): refused", check_pbs_refused, h)
        rep.run("smtp[pop_before_smtp] after APOP on pop3: delivered",
                check_pbs_after_login, h, "pop3", "APOP")
        rep.run("smtp[pop_before_smtp] reset (truncate): refused", check_pbs_refused, h,
                "truncate")
        rep.run("smtp[pop_before_smtp] after STLS + USER/PASS on pop3: delivered",
                check_pbs_after_login, h, "pop3", "USER/PASS", True)
        rep.run("smtp[pop_before_smtp] after USER/PASS on pop3s: delivered",
                check_pbs_after_login, h, "pop3s", "USER/PASS")
        rep.run("smtp[pop_before_smtp] after APOP on pop3s: delivered",
                check_pbs_after_login, h, "pop3s", "APOP")
        rep.run("smtp[pop_before_smtp] failed POP3 logins open nothing", check_pbs_failed_login, h)
        rep.run("smtp[pop_before_smtp] reject@/tempfail@ codes after a POP3 login",
                check_pbs_special_recipients, h)
        rep.run("smtp[pop_before_smtp] login older than the window: refused", check_pbs_expired, h)
        rep.run("smtp[pop_before_smtp] window is per client IP", check_pbs_per_ip, h)
        rep.run("smtp[pop_before_smtp] reset at the end: refused again", check_pbs_refused, h)

    print(f"selftest: {time.monotonic() - t0:.1f}s")
    return rep.summary()


if __name__ == "__main__":
    sys.exit(main())
