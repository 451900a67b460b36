#!/usr/bin/python3
"""Postfix policy service of the test harness: POP before SMTP.

Run by Postfix's spawn(8) as an unprivileged user, one process per smtpd connection to the
policy socket (see mailservers.py, master.cf service "pop_policy"):

    pop_policy.py STATE_FILE WINDOW_SECONDS [LOG_FILE]

Speaks the Postfix policy delegation protocol on stdin/stdout (name=value lines, an empty line
ends a request; the answer is "action=...", then an empty line) and serves requests until smtpd
closes the connection. At RCPT it answers OK if the client's IP logged into POP3 (Dovecot) within
the last WINDOW_SECONDS, else a 554 refusal naming the reason.

STATE_FILE is written by Dovecot's post-login script (one "IP UNIX_TIME" line per client IP,
replaced atomically). It is read afresh for every request, so a test resets the state by deleting
or truncating it: a missing or empty file means "no logins". Lines that do not parse are ignored.

Nothing may be written to stdout except protocol answers; diagnostics go to LOG_FILE (stderr is
redirected there, or to /dev/null). Debian's /usr/bin/python3, standard library only.
"""

import os
import sys
import time

# Reply for a client without a recent POP3 login ("{ip}" is filled in). A 5xx: permanent refusal.
REFUSAL = "554 5.7.1 POP before SMTP: no recent POP3 login from {ip}"
# A login stamped slightly in the future (clock steps, sub-second rounding) still counts.
CLOCK_SLACK = 5


def last_logins(state_file):
    """{ip: unix time of its last POP3 login}; {} if the file is missing or empty."""
    logins = {}
    try:
        with open(state_file, encoding="ascii", errors="replace") as f:
            for line in f:
                fields = line.split()
                if len(fields) != 2:
                    continue
                try:
                    logins[fields[0]] = float(fields[1])
                except ValueError:
                    continue
    except FileNotFoundError:
        pass
    return logins


def decide(attrs, state_file, window):
    if attrs.get("protocol_state", "RCPT").upper() != "RCPT":
        return "DUNNO"
    ip = attrs.get("client_address", "")
    when = last_logins(state_file).get(ip)
    now = time.time()
    if when is not None and -CLOCK_SLACK <= now - when <= window:
        log(f"{ip}: POP3 login {now - when:.1f}s ago (window {window}s): OK")
        return "OK"
    why = "no POP3 login" if when is None else f"last POP3 login {now - when:.1f}s ago"
    log(f"{ip}: {why} (window {window}s): refused")
    return REFUSAL.format(ip=ip or "unknown")


def log(msg):
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pop_policy[{os.getpid()}]: {msg}",
          file=sys.stderr, flush=True)


def redirect_stderr(log_file):
    """stderr of a spawn(8) child is not ours to write to; use the log file (or nothing)."""
    try:
        fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if log_file else -1
    except OSError:
        fd = -1
    if fd < 0:
        fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 2)
    os.close(fd)


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: pop_policy.py STATE_FILE WINDOW_SECONDS [LOG_FILE]", file=sys.stderr)
        return 64
    state_file, window = argv[1], float(argv[2])
    redirect_stderr(argv[3] if len(argv) == 4 else None)
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    attrs = {}
    for raw in stdin:  # ends when smtpd closes the connection
        line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
        if line:
            name, _, value = line.partition("=")
            attrs[name] = value
            continue
        try:
            action = decide(attrs, state_file, window)
        except Exception as e:  # never leave smtpd without an answer
            log(f"error: {type(e).__name__}: {e}")
            action = "451 4.3.0 POP before SMTP: policy service error"
        stdout.write(f"action={action}\n\n".encode())
        stdout.flush()
        attrs = {}
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
