#!/usr/bin/env python3
"""Drive a running flowhost sandbox with Python's own clients (smtplib, poplib, ssl): an
independent implementation of SMTP, POP3 and TLS, so the server is not tested by itself.

Usage: sandbox_client_check.py --smtp P --smtps P --pop3 P --pop3s P --data DIR --ca FILE
                               [--user U --password P]

Prints "ok: NAME" for every check that passed and "FAIL: NAME: why" for the others; the last
line is "all checks passed" or "N check(s) failed"; the exit status is 0 only when all passed.
The order matters: the first messages are sent before any POP3 login (pop_before_smtp false), the
last one after (true). Standard library only; every socket has a time-out.
"""

import argparse
import ipaddress
import json
import pathlib
import poplib
import smtplib
import socket
import ssl
import sys
import traceback

TIMEOUT = 10
HOST = "127.0.0.1"

args = None
failures = []


def check(name):
    """Decorator: run the check now, record the outcome."""

    def run(function):
        try:
            function()
            print(f"ok: {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(name)
            detail = traceback.format_exc(limit=3).strip().splitlines()
            print(f"FAIL: {name}: {error!r}", flush=True)
            for line in detail[-4:]:
                print(f"    {line}", flush=True)
        return function

    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def tls_context():
    return ssl.create_default_context(cafile=args.ca)


def message(subject, extra=""):
    """A small message with CRLF line endings, a dot-leading line and 8-bit UTF-8."""
    text = (
        "From: Sender <sender@example.test>\r\n"
        "To: Receiver <receiver@example.test>\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject}@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Hello from the sandbox check.\r\n"
        ".leading dot (stuffed on the wire, unstuffed in the file)\r\n"
        "..two dots\r\n"
        "Gr\u00fc\u00dfe\r\n"
        f"{extra}"
    )
    return text.encode("utf-8")


def mail_dir():
    return pathlib.Path(args.data) / "mail"


def captured():
    """The captured .eml files (not hidden temp files), oldest first."""
    return sorted(p for p in mail_dir().glob("*.eml") if not p.name.startswith("."))


def stored(subject):
    """(eml path, eml bytes, sidecar dict) of the one captured message with that Subject."""
    needle = f"\r\nSubject: {subject}\r\n".encode()
    found = [p for p in captured() if needle in b"\r\n" + p.read_bytes()]
    expect(len(found) == 1, f"expected one message with Subject {subject}, found {len(found)}")
    eml = found[0]
    sidecar = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    return eml, eml.read_bytes(), sidecar


def expect_sidecar(subject, body, *, tls, auth_user, pop_before_smtp, recipients, sender,
                   transfer="DATA"):
    eml, data, sidecar = stored(subject)
    expect(data == body, f"{eml.name}: stored bytes differ from what was sent")
    expect(sidecar["from"] == sender, f"from: {sidecar['from']!r}")
    expect(sidecar["recipients"] == recipients, f"recipients: {sidecar['recipients']!r}")
    expect(sidecar["auth_user"] == auth_user, f"auth_user: {sidecar['auth_user']!r}")
    expect(sidecar["tls"] is tls, f"tls: {sidecar['tls']!r}")
    expect(sidecar["pop_before_smtp"] is pop_before_smtp,
           f"pop_before_smtp: {sidecar['pop_before_smtp']!r}")
    expect(sidecar["size"] == len(data), f"size: {sidecar['size']} != {len(data)}")
    expect(sidecar["transfer"] == transfer, f"transfer: {sidecar['transfer']!r}")
    expect(sidecar["received_at"].endswith("Z"), f"received_at: {sidecar['received_at']!r}")
    expect(sidecar["file"] == eml.name, f"file: {sidecar['file']!r}")
    return eml


def smtp_plain():
    client = smtplib.SMTP(HOST, args.smtp, local_hostname="check.example.test", timeout=TIMEOUT)
    client.ehlo()
    return client


def send(client, subject, *, sender="sender@example.test", recipients=("receiver@example.test",),
         options=("BODY=8BITMIME",)):
    body = message(subject)
    refused = client.sendmail(sender, list(recipients), body, mail_options=list(options))
    return body, refused


def main():
    global args
    parser = argparse.ArgumentParser()
    for name in ("smtp", "smtps", "pop3", "pop3s"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--user", default="sandbox")
    parser.add_argument("--password", default="sandbox")
    args = parser.parse_args()
    user, password = args.user, args.password

    # --- TLS: the generated certificate ---------------------------------------------------------
    @check("certificate verifies for localhost and 127.0.0.1 against the CA file")
    def _():
        for name in ("localhost", "127.0.0.1"):
            with socket.create_connection((HOST, args.smtps), timeout=TIMEOUT) as raw:
                with tls_context().wrap_socket(raw, server_hostname=name) as tls:
                    expect(tls.version() in ("TLSv1.2", "TLSv1.3"), tls.version())
                    cert = tls.getpeercert()
        san = cert["subjectAltName"]
        names = {v for k, v in san if k == "DNS"}
        ips = {ipaddress.ip_address(v.strip()) for k, v in san if k == "IP Address"}
        expect(names == {"localhost"}, f"DNS names {names}")
        expect(ips == {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")},
               f"IP addresses {ips}")

    @check("certificate is refused for another name and without the CA")
    def _():
        for context, name in ((tls_context(), "example.com"),
                              (ssl.create_default_context(), "localhost")):
            with socket.create_connection((HOST, args.smtps), timeout=TIMEOUT) as raw:
                try:
                    context.wrap_socket(raw, server_hostname=name).close()
                except ssl.SSLCertVerificationError:
                    continue
            raise AssertionError(f"verification passed for {name}")

    # --- SMTP -----------------------------------------------------------------------------------
    @check("EHLO on the plain port offers the extensions, STARTTLS and AUTH")
    def _():
        with smtp_plain() as client:
            for extension in ("pipelining", "8bitmime", "smtputf8", "enhancedstatuscodes",
                              "chunking", "starttls"):
                expect(client.has_extn(extension), f"no {extension}")
            expect(client.esmtp_features["size"] == "52428800", client.esmtp_features["size"])
            expect(set(client.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN", "CRAM-MD5"},
                   client.esmtp_features["auth"])
            code, text = client.verify("someone@example.test")
            expect(code == 252, f"VRFY {code}")

    @check("plaintext, no AUTH: stored exactly, sidecar without TLS, auth or POP")
    def _():
        with smtp_plain() as client:
            body, refused = send(client, "plain-noauth")
        expect(refused == {}, refused)
        expect_sidecar("plain-noauth", body, tls=False, auth_user=None, pop_before_smtp=False,
                       recipients=["receiver@example.test"], sender="sender@example.test")

    auth_variants = [
        ("PLAIN", "auth_plain", True),
        ("PLAIN", "auth_plain", False),
        ("LOGIN", "auth_login", True),
        ("LOGIN", "auth_login", False),
        ("CRAM-MD5", "auth_cram_md5", False),
    ]
    for mechanism, method, initial in auth_variants:
        subject = f"starttls-{mechanism.lower()}-{'ir' if initial else 'noir'}"

        @check(f"STARTTLS + AUTH {mechanism} ({'with' if initial else 'without'} initial "
               "response) + send")
        def _(mechanism=mechanism, method=method, initial=initial, subject=subject):
            with smtp_plain() as client:
                client.starttls(context=tls_context())  # verifies 127.0.0.1 against the IP SAN
                client.ehlo()
                expect(not client.has_extn("starttls"), "STARTTLS offered again after TLS")
                client.user, client.password = user, password
                code, _ = client.auth(mechanism, getattr(client, method),
                                      initial_response_ok=initial)
                expect(code == 235, f"AUTH {code}")
                body, _ = send(client, subject)
            expect_sidecar(subject, body, tls=True, auth_user=user, pop_before_smtp=False,
                           recipients=["receiver@example.test"], sender="sender@example.test")

    @check("a wrong password is refused with 535 5.7.8 (PLAIN, LOGIN, CRAM-MD5)")
    def _():
        with smtp_plain() as client:
            client.starttls(context=tls_context())
            client.ehlo()
            client.user, client.password = user, password + "-wrong"
            for mechanism, method in (("PLAIN", "auth_plain"), ("LOGIN", "auth_login"),
                                      ("CRAM-MD5", "auth_cram_md5")):
                try:
                    client.auth(mechanism, getattr(client, method))
                except smtplib.SMTPAuthenticationError as error:
                    expect(error.smtp_code == 535, f"{mechanism}: {error.smtp_code}")
                    expect(error.smtp_error.startswith(b"5.7.8"), error.smtp_error)
                    continue
                raise AssertionError(f"{mechanism} accepted a wrong password")
            client.user, client.password = "nobody", password
            try:
                client.auth("PLAIN", client.auth_plain)
                raise AssertionError("an unknown user was accepted")
            except smtplib.SMTPAuthenticationError as error:
                expect(error.smtp_code == 535, error.smtp_code)
            # the session is still usable after failures: mail without AUTH is accepted
            body, _ = send(client, "after-auth-failures")
        expect_sidecar("after-auth-failures", body, tls=True, auth_user=None,
                       pop_before_smtp=False, recipients=["receiver@example.test"],
                       sender="sender@example.test")

    @check("SMTPS (implicit TLS) on localhost: AUTH, send, no STARTTLS offered")
    def _():
        with smtplib.SMTP_SSL("localhost", args.smtps, context=tls_context(),
                              timeout=TIMEOUT) as client:
            client.ehlo()
            expect(not client.has_extn("starttls"), "STARTTLS offered on SMTPS")
            client.login(user, password)
            body, _ = send(client, "smtps-login")
        expect_sidecar("smtps-login", body, tls=True, auth_user=user, pop_before_smtp=False,
                       recipients=["receiver@example.test"], sender="sender@example.test")

    @check("fail-permanent gets 550 5.1.1, fail-temporary gets 451 4.3.0, the others pass")
    def _():
        with smtp_plain() as client:
            body, refused = send(client, "partial-recipients", recipients=(
                "one@example.test", "fail-permanent@example.test", "fail-temporary@example.test",
                "two@example.test"))
            expect(set(refused) == {"fail-permanent@example.test", "fail-temporary@example.test"},
                   refused)
            code, text = refused["fail-permanent@example.test"]
            expect(code == 550 and text.startswith(b"5.1.1"), (code, text))
            code, text = refused["fail-temporary@example.test"]
            expect(code == 451 and text.startswith(b"4.3.0"), (code, text))
            try:
                send(client, "all-refused", recipients=("fail-permanent@example.test",))
                raise AssertionError("a message with no valid recipient was accepted")
            except smtplib.SMTPRecipientsRefused:
                pass
        expect_sidecar("partial-recipients", body, tls=False, auth_user=None,
                       pop_before_smtp=False, recipients=["one@example.test", "two@example.test"],
                       sender="sender@example.test")
        expect(all(b"Subject: all-refused" not in p.read_bytes() for p in captured()),
               "the refused message was stored")

    @check("SMTPUTF8: a UTF-8 sender and recipient")
    def _():
        with smtp_plain() as client:
            body, _ = send(client, "smtputf8", sender="j\u00f6rg@example.test",
                           recipients=("zo\u00eb@example.test",),
                           options=("SMTPUTF8", "BODY=8BITMIME"))
        expect_sidecar("smtputf8", body, tls=False, auth_user=None, pop_before_smtp=False,
                       recipients=["zo\u00eb@example.test"], sender="j\u00f6rg@example.test")

    @check("BDAT by hand: two pipelined chunks, the second LAST; no dot handling")
    def _():
        chunk1 = message("bdat-chunks", extra="a line\r\n.\r\n")  # not an end marker in BDAT
        chunk2 = b"..kept as is\r\nlast line\r\n"
        with socket.create_connection((HOST, args.smtp), timeout=TIMEOUT) as sock:
            reader = sock.makefile("rb")

            def reply():
                lines = []
                while True:
                    line = reader.readline()
                    expect(line.endswith(b"\r\n"), f"reply line {line!r}")
                    lines.append(line)
                    if line[3:4] == b" ":
                        return lines

            expect(reply()[0].startswith(b"220 "), "greeting")
            sock.sendall(b"EHLO check.example.test\r\n")
            expect(reply()[-1].startswith(b"250 "), "EHLO")
            sock.sendall(b"MAIL FROM:<bdat@example.test>\r\nRCPT TO:<r@example.test>\r\n" +
                         b"BDAT %d\r\n" % len(chunk1) + chunk1 +
                         b"BDAT %d LAST\r\n" % len(chunk2) + chunk2)
            codes = [reply()[-1][:3] for _ in range(4)]
            expect(codes == [b"250"] * 4, codes)
            sock.sendall(b"QUIT\r\n")
            expect(reply()[-1].startswith(b"221 "), "QUIT")
        expect_sidecar("bdat-chunks", chunk1 + chunk2, tls=False, auth_user=None,
                       pop_before_smtp=False, recipients=["r@example.test"],
                       sender="bdat@example.test", transfer="BDAT")

    # --- POP3 (from here on, POP before SMTP is open for this address) --------------------------
    @check("POP3 USER/PASS: greeting with APOP timestamp, CAPA, STAT, LIST, UIDL, RETR, TOP, DELE")
    def _():
        files = captured()
        client = poplib.POP3(HOST, args.pop3, timeout=TIMEOUT)
        welcome = client.getwelcome()
        expect(welcome.startswith(b"+OK sandbox POP3 ready <") and
               welcome.endswith(b"@sandbox.invalid>"), welcome)
        capabilities = client.capa()
        for name in ("USER", "STLS", "UIDL", "TOP"):
            expect(name in capabilities, f"CAPA without {name}: {capabilities}")
        client.user(user)
        client.pass_(password)
        count, octets = client.stat()
        expect(count == len(files), f"STAT {count} messages, {len(files)} files")
        uids = [line.split()[1].decode() for line in client.uidl()[1]]
        expect(uids == [p.stem for p in files], f"UIDL {uids}")
        sizes = [int(line.split()[1]) for line in client.list()[1]]
        expect(sum(sizes) == octets, "LIST and STAT disagree")
        eml, data, _ = stored("plain-noauth")
        number = uids.index(eml.stem) + 1
        expect(sizes[number - 1] == len(data), f"LIST size {sizes[number - 1]} != {len(data)}")
        _, lines, _ = client.retr(number)
        expect(b"\r\n".join(lines) + b"\r\n" == data, "RETR differs from the captured file")
        _, lines, _ = client.top(number, 0)
        header_end = data.index(b"\r\n\r\n") + 2
        expect(b"\r\n".join(lines) + b"\r\n" == data[:header_end] + b"\r\n", "TOP 0")
        _, lines, _ = client.top(number, 2)
        expect(b"\r\n".join(lines) + b"\r\n" ==
               b"\r\n".join(data.split(b"\r\n")[:data[:header_end].count(b"\r\n") + 3]) + b"\r\n",
               "TOP 2")
        expect(client.dele(number).startswith(b"+OK"), "DELE")
        try:
            client.retr(number)
            raise AssertionError("RETR of a deleted message")
        except poplib.error_proto:
            pass
        client.quit()
        expect(eml.exists(), "DELE removed a captured file")

    @check("POP3 wrong password: -ERR [AUTH] Authentication failed")
    def _():
        client = poplib.POP3(HOST, args.pop3, timeout=TIMEOUT)
        client.user(user)
        try:
            client.pass_(password + "-wrong")
            raise AssertionError("a wrong password was accepted")
        except poplib.error_proto as error:
            expect(error.args[0] == b"-ERR [AUTH] Authentication failed", error.args)
        try:
            client.apop(user, password + "-wrong")
            raise AssertionError("a wrong APOP digest was accepted")
        except poplib.error_proto as error:
            expect(error.args[0] == b"-ERR [AUTH] Authentication failed", error.args)
        client.quit()

    @check("POP3 APOP")
    def _():
        client = poplib.POP3(HOST, args.pop3, timeout=TIMEOUT)
        expect(client.apop(user, password).startswith(b"+OK"), "APOP")
        expect(client.stat()[0] >= 1, "STAT after APOP")
        client.quit()

    @check("POP3 STLS then USER/PASS; CAPA no longer offers STLS")
    def _():
        client = poplib.POP3(HOST, args.pop3, timeout=TIMEOUT)
        client.stls(context=tls_context())  # verifies 127.0.0.1 against the IP SAN
        expect("STLS" not in client.capa(), "STLS offered after STLS")
        client.user(user)
        client.pass_(password)
        expect(client.stat()[0] >= 1, "STAT after STLS")
        client.quit()

    @check("POP3S (implicit TLS) on localhost: RETR returns the captured message")
    def _():
        client = poplib.POP3_SSL("localhost", args.pop3s, context=tls_context(), timeout=TIMEOUT)
        expect("STLS" not in client.capa(), "STLS offered on POP3S")
        client.user(user)
        client.pass_(password)
        eml, data, _ = stored("smtps-login")
        uids = [line.split()[1].decode() for line in client.uidl()[1]]
        _, lines, _ = client.retr(uids.index(eml.stem) + 1)
        expect(b"\r\n".join(lines) + b"\r\n" == data, "RETR over POP3S differs")
        client.quit()

    @check("after a POP3 login, mail from the same address is flagged pop_before_smtp")
    def _():
        with smtp_plain() as client:
            body, _ = send(client, "after-pop")
        eml = expect_sidecar("after-pop", body, tls=False, auth_user=None, pop_before_smtp=True,
                             recipients=["receiver@example.test"], sender="sender@example.test")
        latest = (mail_dir() / "latest").read_text().strip()
        expect(latest == eml.name, f"latest is {latest}, not {eml.name}")

    @check("every .eml has a .json sidecar and no temp file is left")
    def _():
        names = {p.name for p in mail_dir().iterdir()}
        emls = {n[:-4] for n in names if n.endswith(".eml")}
        jsons = {n[:-5] for n in names if n.endswith(".json")}
        expect(emls == jsons, f"unpaired: {emls ^ jsons}")
        expect(not [n for n in names if n.startswith(".tmp")], "temp files left")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
