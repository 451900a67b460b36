#!/usr/bin/env python3
"""Starts and stops private Postfix 3.7 and Dovecot 2.3 instances for the SMTP client's tests.

    mailservers.py start --run-dir DIR   # fresh DIR, PKI, configs, daemons; writes DIR/servers.json
    mailservers.py stop  --run-dir DIR   # stops everything started for DIR; idempotent

Everything lives under DIR; nothing under /etc, /var or /run is written. Both servers listen on
127.0.0.1 only, on free ports chosen at start. See README.md for the ports map and behaviour.
Needs root (Postfix and Dovecot drop to their own users), Python 3.11 standard library only.
"""

import argparse
import json
import os
import pty
import pwd
import grp
import re
import secrets
import select
import shlex
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import poplib
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
DOMAIN = "example.test"
MYHOSTNAME = "harness.invalid"
MESSAGE_SIZE_LIMIT = 20000000
USERS = {"alice": "Tr0ub4dor&3 x", "bob": "s3cret"}
SPECIAL_RECIPIENTS = {
    f"reject@{DOMAIN}": "550 5.1.1 Mailbox unavailable (harness: permanent reject)",
    f"tempfail@{DOMAIN}": "450 4.2.0 Mailbox busy (harness: temporary failure)",
}
SMTP_PORT_NAMES = ["plain", "starttls", "smtps", "auth_plain", "auth_starttls", "auth_smtps",
                   "nochunking", "nopipelining", "auth_required", "pop_before_smtp"]
POP3_PORT_NAMES = ["pop3", "pop3s"]
SASL_MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5"]

# Unprivileged account that runs the capture script and owns the POP3 mailboxes.
DELIVERY_USER = "nobody"
# POP before SMTP (port "pop_before_smtp"): a client IP may send for this many seconds after a
# successful POP3 login. Dovecot's post-login script records logins (running as POSTLOGIN_USER,
# Dovecot's $default_internal_user); Postfix's policy service reads them (as POLICY_USER; spawn(8)
# refuses root and the mail_owner "postfix").
POP_BEFORE_SMTP_WINDOW = 60
POSTLOGIN_USER = "dovecot"
POLICY_USER = "nobody"
PYTHON_FOR_DELIVERY = "/usr/bin/python3"  # readable by DELIVERY_USER, unlike a pyenv under /root

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
REAP_TIMEOUT = 5.0
MARKER = ".mailservers-run-dir"  # identifies a directory this script may wipe


class HarnessError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------

class Layout:
    """Every path the harness uses, all under the run directory."""

    def __init__(self, run_dir):
        self.run = Path(run_dir).resolve()
        self.marker = self.run / MARKER
        self.servers_json = self.run / "servers.json"
        self.pids_json = self.run / "pids.json"
        self.log = self.run / "log"
        self.postfix_log = self.log / "postfix.log"
        self.dovecot_log = self.log / "dovecot.log"
        self.pki = self.run / "pki"
        self.ca_crt = self.pki / "ca.crt"
        self.ca_key = self.pki / "ca.key"
        self.server_crt = self.pki / "server.crt"
        self.server_key = self.pki / "server.key"
        self.bin = self.run / "bin"
        self.capture = self.bin / "capture.py"
        self.pop_policy = self.bin / "pop_policy.py"
        self.postlogin_script = self.bin / "pop-postlogin.sh"
        self.pop_policy_log = self.log / "pop_policy.log"
        # POP before SMTP state: owned by POSTLOGIN_USER (writes it), readable by POLICY_USER.
        self.pbs_dir = self.run / "pop-before-smtp"
        self.pbs_state = self.pbs_dir / "logins"
        self.delivered = self.run / "delivered"
        # Postfix config_directory (postfix -c). The queue and data directories must not live
        # inside it: "postfix start" checks that everything below config_directory is owned by
        # root and not writable by others, and would warn about every queue directory.
        self.postfix = self.run / "postfix"
        self.queue = self.run / "postfix-queue"
        self.data = self.run / "postfix-data"
        self.postfix_pid = self.queue / "pid" / "master.pid"
        self.dovecot = self.run / "dovecot"
        self.dovecot_conf = self.dovecot / "dovecot.conf"
        self.passwd = self.dovecot / "passwd"
        self.dovecot_base = self.dovecot / "run"     # base_dir: sockets, master.pid
        self.dovecot_state = self.dovecot / "state"  # state_dir: instance registry etc.
        self.dovecot_pid = self.dovecot_base / "master.pid"
        self.sasl_socket = self.dovecot_base / "auth-postfix"
        self.mail = self.run / "mail"

    def maildir(self, user):
        return self.mail / user / "Maildir"


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def log(msg):
    print(f"mailservers: {msg}", flush=True)


def write_file(path, text, mode=0o644):
    path.write_text(text)
    path.chmod(mode)


def write_json_atomically(path, obj):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    os.rename(tmp, path)


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return f"({path}: not written)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path}: empty)"


def chown(path, user, group=None):
    os.chown(path, pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid if group else -1)


def run(cmd, timeout=30):
    """Run a short helper command; raise with its output on failure."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"timed out after {timeout}s: {' '.join(map(str, cmd))}")
    if p.returncode != 0:
        raise HarnessError(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                           f"{p.stdout.decode(errors='replace')}{p.stderr.decode(errors='replace')}")
    return p


def run_on_pty(cmd, timeout):
    """Run a daemon-starting command with stdout/stderr on a pseudo-terminal; return (rc, output).

    Two reasons: Postfix commands report errors on stderr only when stderr is a terminal
    (otherwise only to syslog, which does not exist here), and the daemons they start must not
    inherit our own stdout/stderr -- a caller capturing our output would then wait forever for EOF.
    We wait for the command to exit, not for EOF: a daemon might keep the terminal open.
    """
    master_fd, slave_fd = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave_fd, stderr=slave_fd,
                                start_new_session=True)
    finally:
        os.close(slave_fd)
    output = bytearray()
    deadline = time.monotonic() + timeout

    def drain(wait):
        while select.select([master_fd], [], [], wait)[0]:
            try:
                chunk = os.read(master_fd, 65536)
            except OSError:  # EIO: no writer left
                return
            if not chunk:
                return
            output.extend(chunk)
            wait = 0

    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise HarnessError(f"timed out after {timeout}s: {' '.join(map(str, cmd))}\n"
                                   f"{output.decode(errors='replace')}")
            drain(0.05)
        drain(0)
    finally:
        os.close(master_fd)
    return proc.returncode, output.decode(errors="replace").replace("\r\n", "\n").strip()


def pick_free_ports(count):
    """Ask the kernel for distinct free loopback ports (all bound at once, so no duplicates)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def check_traversable(path, who):
    """Postfix's smtpd (user postfix), the capture script (nobody) and Dovecot need to reach
    files under the run directory; a 0700 ancestor (e.g. /root) would break them obscurely."""
    for p in [path, *path.parents]:
        if not (p.stat().st_mode & 0o001):
            raise HarnessError(f"{p} is not searchable by other users (mode "
                               f"{oct(p.stat().st_mode & 0o777)}); {who} could not reach {path}. "
                               f"Choose a run directory under e.g. /tmp.")


# --------------------------------------------------------------------------------------------
# Processes: find and end only what was started for this run directory
# --------------------------------------------------------------------------------------------

def proc_stat(pid):
    """(state, session id) of a process, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may contain spaces
    return fields[0], int(fields[3])


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


# Executables a harness daemon (or its pipe child) can be; guards against pid reuse.
OWN_EXECUTABLE_PREFIXES = ("/usr/lib/postfix/", "/usr/sbin/postfix", "/usr/sbin/dovecot",
                           "/usr/lib/dovecot/", "/usr/bin/python3", "/usr/sbin/postlog",
                           "/usr/sbin/postdrop", "/usr/sbin/postqueue", "/usr/sbin/postsuper")


def session_members(sid, zombies=False):
    """Processes in session sid that run one of the harness's executables (live ones, or with
    zombies=True also exited ones not yet reaped). Both Postfix's master and Dovecot's master
    call setsid(), so all their children share the master's pid as session id."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = proc_stat(int(entry))
        if st is None or st[1] != sid:
            continue
        if st[0] == "Z":
            if zombies:
                members.append(int(entry))
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
        except OSError:
            continue
        if exe.startswith(OWN_EXECUTABLE_PREFIXES):
            members.append(int(entry))
    return members


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def read_pid_file(path):
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def running_master(lay, pid_file, known_pid):
    """The pid of a master daemon of this run dir if it still runs, else None. Both masters
    chdir into the run dir (Postfix: queue_directory, Dovecot: base_dir); checking that guards
    against a stale pid file naming a recycled pid."""
    for pid in (read_pid_file(pid_file), known_pid):
        if not pid or not alive(pid):
            continue
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            continue
        if cwd == lay.run or lay.run in cwd.parents:
            return pid
    return None


def end_session(name, sid, timeout):
    """Wait for the processes of session sid to exit; SIGKILL stragglers, one pid at a time.
    Then wait (bounded) until they are reaped: the daemons were orphaned to init, which here
    reaps only every second or two, and until then `ps` still lists them as <defunct>."""
    if not wait_until(lambda: not session_members(sid), timeout):
        leftovers = session_members(sid)
        log(f"{name}: killing leftover processes {leftovers}")
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not wait_until(lambda: not session_members(sid), 2.0):
            raise HarnessError(f"{name}: processes {session_members(sid)} survive SIGKILL")
    if not wait_until(lambda: not session_members(sid, zombies=True), REAP_TIMEOUT, 0.1):
        log(f"{name}: exited, but init has not reaped {session_members(sid, zombies=True)} yet")


def detached_helpers(lay):
    """Live processes running a script from this run dir's bin/ that are outside the masters'
    sessions: spawn(8) starts each pop_policy.py in a session of its own (setsid), so
    end_session() does not see it. It exits when its smtpd closes the policy connection."""
    prefix = str(lay.bin) + "/"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            exe = os.readlink(f"/proc/{entry}/exe")
        except OSError:
            continue
        if exe.startswith(OWN_EXECUTABLE_PREFIXES) and \
                any(os.fsdecode(a).startswith(prefix) for a in argv[1:3]):
            found.append(int(entry))
    return found


def end_detached(pids, timeout):
    """Wait for the given detached helpers to exit (SIGTERM, then SIGKILL, stragglers one pid at
    a time), then (bounded) until init has reaped them, so ps lists no <defunct> entry."""
    if not wait_until(lambda: not any(alive(p) for p in pids), timeout):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in [p for p in pids if alive(p)]:
                log(f"helper process {pid} still running; sending {sig.name}")
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if wait_until(lambda: not any(alive(p) for p in pids), 2.0):
                break
        else:
            raise HarnessError(f"helper processes {[p for p in pids if alive(p)]} survive SIGKILL")
    if not wait_until(lambda: all(proc_stat(p) is None for p in pids), REAP_TIMEOUT, 0.1):
        log(f"helpers exited, but init has not reaped "
            f"{[p for p in pids if proc_stat(p) is not None]} yet")


# --------------------------------------------------------------------------------------------
# PKI
# --------------------------------------------------------------------------------------------

OPENSSL_CNF = """\
# Used only by the harness's openssl invocations, so the system openssl.cnf plays no part.
[req]
distinguished_name = dn
[dn]

[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


def make_pki(lay):
    """Test CA plus a server certificate valid for localhost, 127.0.0.1 and ::1.
    EC P-256 keys: generated in milliseconds, unlike RSA."""
    lay.pki.mkdir()
    cnf = lay.pki / "openssl.cnf"
    write_file(cnf, OPENSSL_CNF)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"]
    run(["openssl", "req", "-config", cnf, "-x509", *ec, "-keyout", lay.ca_key, "-out", lay.ca_crt,
         "-days", "3650", "-subj", "/O=SMTP client test harness/CN=Harness Test CA",
         "-extensions", "ca_ext", "-set_serial", f"0x{secrets.token_hex(8)}"])
    csr = lay.pki / "server.csr"
    run(["openssl", "req", "-config", cnf, "-new", *ec, "-keyout", lay.server_key, "-out", csr,
         "-subj", "/O=SMTP client test harness/CN=localhost"])
    run(["openssl", "x509", "-req", "-in", csr, "-CA", lay.ca_crt, "-CAkey", lay.ca_key,
         "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "825",
         "-extfile", cnf, "-extensions", "server_ext", "-out", lay.server_crt])
    csr.unlink()
    for key in (lay.ca_key, lay.server_key):
        key.chmod(0o600)  # read by the root-run daemon parents before they drop privileges
    lay.ca_crt.chmod(0o644)
    lay.server_crt.chmod(0o644)


# --------------------------------------------------------------------------------------------
# Dovecot
# --------------------------------------------------------------------------------------------

def dovecot_conf(lay, ports):
    return f"""\
# Private Dovecot instance of the SMTP client test harness (generated by mailservers.py).
# Used for POP3 and as Postfix's SASL back end. Nothing outside {lay.run} is written.
instance_name = harness-{secrets.token_hex(4)}
base_dir = {lay.dovecot_base}
state_dir = {lay.dovecot_state}
log_path = {lay.dovecot_log}
info_log_path = {lay.dovecot_log}
debug_log_path = {lay.dovecot_log}
auth_verbose = yes

protocols = pop3
listen = {HOST}
shutdown_clients = yes

ssl = yes
ssl_cert = <{lay.server_crt}
ssl_key = <{lay.server_key}
ssl_min_protocol = TLSv1.2

# Plaintext USER/PASS and AUTH without TLS stay allowed: refusing them is the client's job.
disable_plaintext_auth = no
# CRAM-MD5 and APOP need the clear password on the server (passwd-file, {{PLAIN}} scheme);
# apop makes the POP3 greeting carry the APOP timestamp.
auth_mechanisms = plain login cram-md5 apop
# Wrong-password tests must not slow down every later login.
auth_failure_delay = 0
# Even with auth_failure_delay = 0, Dovecot 2.3 answers every failed login from a 500 ms timer
# unless the request carries the "nodelay" field. A failing passdb has its own fields rolled
# back, so this first passdb only adds nodelay (noauthenticate: it decides nothing; nopassword and
# noauthenticate are dropped before the next passdb) and the passwd-file passdb then decides.
passdb {{
  driver = static
  args = nopassword noauthenticate nodelay=yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {lay.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {lay.passwd}
}}
mail_location = maildir:~/Maildir

service pop3-login {{
  inet_listener pop3 {{
    address = {HOST}
    port = {ports['pop3']}
  }}
  inet_listener pop3s {{
    address = {HOST}
    port = {ports['pop3s']}
    ssl = yes
  }}
}}

# POP before SMTP: after every successful POP3 login (any listener, any mechanism; not after a
# failed one) the pop3 process asks the pop-postlogin service, which runs the script (as user
# {POSTLOGIN_USER}) that records the client IP and time for Postfix's policy service. The script
# ends with exec "$@", which hands the session back to pop3.
service pop3 {{
  executable = pop3 pop-postlogin
}}
service pop-postlogin {{
  executable = script-login {lay.postlogin_script}
  user = $default_internal_user
  unix_listener pop-postlogin {{
  }}
}}

service auth {{
  # Postfix smtpd (smtpd_sasl_type = dovecot) connects here as user postfix.
  unix_listener {lay.sasl_socket.name} {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}

service anvil {{
  # mode 0 disables anvil's per-IP authentication penalty (extra delays after failed logins;
  # every test client is 127.0.0.1).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


# Dovecot post-login script (see PostLoginScripting in the Dovecot 2.3 wiki). stdin/stdout are
# the client's connection (nothing may be printed there), stderr goes to Dovecot's log, $IP is the
# client address. Whatever happens, it must end by exec'ing "$@", or the POP3 login fails.
POSTLOGIN_SCRIPT = """\
#!/bin/sh
# POP before SMTP for the test harness (generated by mailservers.py): records that $IP logged
# into POP3 just now. The state file holds one "IP UNIX_TIME" line per client IP and is replaced
# atomically (temporary file, then mv); deleting or truncating it forgets every login.
state={state}
if [ -n "$IP" ]; then
  (
    /usr/bin/flock -w 5 9 || echo "pop-postlogin: no lock on {lock}, going on" >&2
    umask 022  # the policy service's user must read the state file
    tmp="$state.tmp.$$"
    {{
      if [ -f "$state" ]; then
        while read -r ip when; do
          [ -z "$ip" ] || [ "$ip" = "$IP" ] || printf '%s %s\\n' "$ip" "$when"
        done < "$state"
      fi
      printf '%s %s\\n' "$IP" "$(/bin/date +%s)"
    }} > "$tmp" && /bin/mv -f "$tmp" "$state" ||
      {{ echo "pop-postlogin: could not record the login of $USER from $IP in $state" >&2
         /bin/rm -f "$tmp"; }}
  ) 9>>{lock} </dev/null >&2
fi
exec "$@"
"""


def setup_dovecot(lay, ports):
    lay.dovecot.mkdir()
    lay.dovecot_state.mkdir()
    # POP before SMTP: the state directory belongs to the post-login script's user (root, i.e.
    # the tests, can write anyway); the policy service's user reads the 0644 state file.
    lay.pbs_dir.mkdir()
    chown(lay.pbs_dir, POSTLOGIN_USER, POSTLOGIN_USER)
    lay.pbs_dir.chmod(0o755)
    lay.bin.mkdir(exist_ok=True)
    write_file(lay.postlogin_script, POSTLOGIN_SCRIPT.format(
        state=shlex.quote(str(lay.pbs_state)), lock=shlex.quote(str(lay.pbs_dir / ".lock"))),
        0o755)
    nobody = pwd.getpwnam(DELIVERY_USER)
    # passwd-file: user:password:uid:gid:gecos:home:shell. The auth process runs as user dovecot.
    lines = [f"{user}:{{PLAIN}}{password}:{nobody.pw_uid}:{nobody.pw_gid}::{lay.mail / user}::"
             for user, password in USERS.items()]
    write_file(lay.passwd, "\n".join(lines) + "\n", 0o640)
    chown(lay.passwd, "root", "dovecot")
    # Empty maildirs owned by the mail user, so the first POP3 login works and tests can drop
    # messages into Maildir/new.
    lay.mail.mkdir()
    for user in USERS:
        for sub in ("cur", "new", "tmp"):
            lay.maildir(user).joinpath(sub).mkdir(parents=True)
        for p in [lay.mail / user, lay.maildir(user), *lay.maildir(user).iterdir()]:
            os.chown(p, nobody.pw_uid, nobody.pw_gid)
    write_file(lay.dovecot_conf, dovecot_conf(lay, ports))


def start_dovecot(lay):
    rc, out = run_on_pty(["dovecot", "-c", str(lay.dovecot_conf)], timeout=10)
    if rc != 0:
        raise HarnessError(f"dovecot failed to start (exit {rc}):\n{out}")
    # Postfix must find the SASL socket when it starts its first smtpd.
    if not wait_until(lambda: lay.sasl_socket.exists() and read_pid_file(lay.dovecot_pid), 10):
        raise HarnessError(f"dovecot did not create {lay.sasl_socket}")
    return read_pid_file(lay.dovecot_pid)


# --------------------------------------------------------------------------------------------
# Postfix
# --------------------------------------------------------------------------------------------

def postfix_main_cf(lay):
    return f"""\
# Private Postfix instance of the SMTP client test harness (generated by mailservers.py).
# Run as "postfix -c {lay.postfix} start|stop". Nothing outside {lay.run} is written;
# /etc/postfix serves only as meta_directory (postfix-files, dynamicmaps.cf, scripts).
compatibility_level = 3.6
meta_directory = /etc/postfix
queue_directory = {lay.queue}
data_directory = {lay.data}
maillog_file = {lay.postfix_log}
maillog_file_prefixes = {lay.log}

myhostname = {MYHOSTNAME}
mydomain = {MYHOSTNAME}
myorigin = $myhostname
mydestination =
inet_interfaces = {HOST}
inet_protocols = ipv4
biff = no
# Nothing is delivered locally; empty alias and local recipient maps also keep smtpd from
# opening /etc/aliases.db or NIS.
alias_maps =
alias_database =
local_recipient_maps =

# No DNS anywhere: no reverse lookup of clients, no MX lookups (nothing leaves the box anyway).
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled

# Loopback is stated explicitly: Postfix would otherwise treat 127.0.0.1 as a remote client
# ("Relay access denied" for any domain but the relay_domains).
mynetworks = 127.0.0.0/8
relay_domains = {DOMAIN}
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{lay.postfix}/recipient_access, permit

# Every accepted message goes to the capture script, whatever the domain (no local delivery,
# no outbound SMTP); one pipe run per recipient so ${{original_recipient}} is a single address.
default_transport = capture
relay_transport = capture
local_transport = error:5.3.0 no local delivery in the test harness
capture_destination_recipient_limit = 1

# Byte-exact delivery: no header added or rewritten for loopback clients (by default
# permit_inet_interfaces would add Message-ID/Date/To and rewrite addresses), no MIME
# processing; the Received: header smtpd adds is dropped by header_checks, which apply to
# top-level headers only (not to MIME part or attached-message headers).
local_header_rewrite_clients =
remote_header_rewrite_domain =
always_add_missing_headers = no
disable_mime_input_processing = yes
header_checks = regexp:{lay.postfix}/header_checks
mime_header_checks =
nested_header_checks =
smtpd_tls_received_header = no
# Bare LF stays accepted as a line end (delivered as CRLF), as in Postfix 3.7 by default;
# stated because later Postfix versions handle it more strictly.
smtpd_forbid_bare_newline = no

message_size_limit = {MESSAGE_SIZE_LIMIT}
# Negative tests: no penalty sleeps, and many errors per session before Postfix hangs up.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtputf8_enable = yes

# TLS is off unless a master.cf service turns it on.
smtpd_tls_chain_files = {lay.server_key}, {lay.server_crt}
smtpd_tls_security_level = none
smtpd_tls_loglevel = 1

# SASL via Dovecot; switched on per master.cf service. Dovecot's auth_mechanisms decide what
# EHLO lists. An absolute path works because no daemon runs chrooted.
smtpd_sasl_type = dovecot
smtpd_sasl_path = {lay.sasl_socket}
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous

# POP before SMTP (master.cf services pop_before_smtp and pop_policy). spawn(8) would kill the
# policy process after command_time_limit (1000 s) while its smtpd may still use it.
pop_policy_time_limit = 3600
"""


def postfix_master_cf(lay, ports):
    """One smtpd line per test port, with -o overrides; then the internal services (all chroot=n)."""
    overrides = {
        "plain": [],
        "starttls": ["smtpd_tls_security_level=may"],
        "smtps": ["smtpd_tls_wrappermode=yes", "smtpd_tls_security_level=encrypt"],
        "auth_plain": ["smtpd_sasl_auth_enable=yes"],
        "auth_starttls": ["smtpd_tls_security_level=may", "smtpd_tls_auth_only=yes",
                          "smtpd_sasl_auth_enable=yes"],
        "auth_smtps": ["smtpd_tls_wrappermode=yes", "smtpd_tls_security_level=encrypt",
                       "smtpd_sasl_auth_enable=yes"],
        "nochunking": ["smtpd_discard_ehlo_keywords=silent-discard,chunking"],
        "nopipelining": ["smtpd_discard_ehlo_keywords=silent-discard,chunking,pipelining"],
        # Mail only from authenticated clients: loopback is not exempt here (no permit_mynetworks).
        "auth_required": ["smtpd_sasl_auth_enable=yes",
                          "smtpd_relay_restrictions=permit_sasl_authenticated,reject"],
        # Recipients only for a client IP with a recent POP3 login (policy service below; it
        # answers OK or a 554 with its reason). Loopback is not exempt (no permit_mynetworks);
        # smtpd_recipient_restrictions (reject@/tempfail@) still apply after an OK.
        "pop_before_smtp": ["smtpd_relay_restrictions=check_policy_service,"
                            "unix:private/pop_policy,reject"],
    }
    lines = ["# Generated by mailservers.py. service type private unpriv chroot wakeup maxproc command",
             "# One smtpd per test port (names match servers.json \"smtp\")."]
    for name in SMTP_PORT_NAMES:
        lines.append(f"{HOST}:{ports[name]} inet n - n - - smtpd")
        lines.append(f"  -o syslog_name=postfix/{name}")
        lines += [f"  -o {o}" for o in overrides[name]]
    # Macros become key=value arguments (never empty argv entries). No flags: pipe(8) then adds
    # no Delivered-To/X-Original-To/Return-Path/From_ line and does no dot or From quoting.
    # null_sender= makes the null sender "" instead of MAILER-DAEMON.
    capture_args = " ".join(f"{k}=${{{m}}}" for k, m in [
        ("queue_id", "queue_id"), ("sender", "sender"), ("recipient", "original_recipient"),
        ("final_recipient", "recipient"), ("client_helo", "client_helo"),
        ("client_protocol", "client_protocol"), ("sasl_method", "sasl_method"),
        ("sasl_username", "sasl_username")])
    lines += [
        "# POP before SMTP policy service: spawn(8) starts one pop_policy.py per smtpd connection,",
        "# as an unprivileged user (spawn refuses root and the mail owner); maxproc 0 = no limit.",
        "pop_policy unix -       n       n       -       0       spawn",
        f"  user={POLICY_USER} argv={PYTHON_FOR_DELIVERY} {lay.pop_policy} {lay.pbs_state}"
        f" {POP_BEFORE_SMTP_WINDOW} {lay.pop_policy_log}",
        "# Final delivery of every message: the capture script, as an unprivileged user.",
        "capture   unix  -       n       n       -       -       pipe",
        f"  user={DELIVERY_USER} null_sender=",
        f"  argv={PYTHON_FOR_DELIVERY} {lay.capture} {lay.delivered} {capture_args}",
        "pickup    unix  n       -       n       60      1       pickup",
        "cleanup   unix  n       -       n       -       0       cleanup",
        "qmgr      unix  n       -       n       300     1       qmgr",
        "tlsmgr    unix  -       -       n       1000?   1       tlsmgr",
        "rewrite   unix  -       -       n       -       -       trivial-rewrite",
        "bounce    unix  -       -       n       -       0       bounce",
        "defer     unix  -       -       n       -       0       bounce",
        "trace     unix  -       -       n       -       0       bounce",
        "verify    unix  -       -       n       -       1       verify",
        "flush     unix  n       -       n       1000?   0       flush",
        "proxymap  unix  -       -       n       -       -       proxymap",
        "proxywrite unix -       -       n       -       1       proxymap",
        "showq     unix  n       -       n       -       -       showq",
        "error     unix  -       -       n       -       -       error",
        "retry     unix  -       -       n       -       -       error",
        "discard   unix  -       -       n       -       -       discard",
        "anvil     unix  -       -       n       -       1       anvil",
        "scache    unix  -       -       n       -       1       scache",
        "postlog   unix-dgram n  -       n       -       1       postlogd",
    ]
    return "\n".join(lines) + "\n"


# Drops only the Received: header smtpd itself adds ("... by harness.invalid (Postfix) with ...");
# a Received: header the client sent is kept. The pattern sees the whole multi-line header.
HEADER_CHECKS = (
    "/^Received: from .*[[:space:]]by " + re.escape(MYHOSTNAME) + r" \(Postfix\) with /"
    " IGNORE\n"
)


def setup_postfix(lay, ports):
    lay.postfix.mkdir()
    lay.queue.mkdir()
    lay.data.mkdir()
    chown(lay.data, "postfix")  # master.lock and caches live here
    write_file(lay.postfix / "main.cf", postfix_main_cf(lay))
    write_file(lay.postfix / "master.cf", postfix_master_cf(lay, ports))
    write_file(lay.postfix / "header_checks", HEADER_CHECKS)
    # texthash: read at daemon start, no postmap needed.
    write_file(lay.postfix / "recipient_access",
               "".join(f"{rcpt} {action}\n" for rcpt, action in SPECIAL_RECIPIENTS.items()))
    # The capture script is copied in: the delivery user must be able to read it wherever the
    # checkout lives.
    lay.bin.mkdir(exist_ok=True)
    shutil.copy(HERE / "capture.py", lay.capture)
    lay.capture.chmod(0o755)
    shutil.copy(HERE / "pop_policy.py", lay.pop_policy)
    lay.pop_policy.chmod(0o755)
    lay.pop_policy_log.touch()
    chown(lay.pop_policy_log, POLICY_USER)
    # Postfix will not load a main.cf or texthash file whose mtime is not yet in the past (it
    # sleeps in 300 ms steps until the file is "old"); backdating saves ~2 s per start.
    past = time.time() - 60
    for f in lay.postfix.iterdir():
        os.utime(f, (past, past))
    lay.delivered.mkdir()
    (lay.delivered / ".tmp").mkdir()
    for d in (lay.delivered, lay.delivered / ".tmp"):
        chown(d, DELIVERY_USER)
        d.chmod(0o755)


def start_postfix(lay):
    # As root, "postfix -c DIR" needs no alternate_config_directories entry in /etc/postfix/main.cf
    # (that check applies only to set-gid commands run by other users).
    rc, out = run_on_pty(["postfix", "-c", str(lay.postfix), "start"], timeout=30)
    if rc != 0:
        raise HarnessError(f"postfix failed to start (exit {rc}):\n{out}")
    pid = read_pid_file(lay.postfix_pid)
    if not pid:
        raise HarnessError(f"postfix started but wrote no {lay.postfix_pid}:\n{out}")
    return pid


# --------------------------------------------------------------------------------------------
# Readiness
# --------------------------------------------------------------------------------------------

PROBE_TIMEOUT = 2.0


def client_tls_context(lay):
    return ssl.create_default_context(cafile=str(lay.ca_crt))


def probe_smtp(lay, name, port):
    """The port greets; on TLS ports the handshake verifies against the new CA; AUTH ports list
    the Dovecot mechanisms (proves the smtpd -> Dovecot SASL link)."""
    ctx = client_tls_context(lay)
    if name.endswith("smtps"):
        s = smtplib.SMTP_SSL(HOST, port, timeout=PROBE_TIMEOUT, context=ctx)
    else:
        s = smtplib.SMTP(HOST, port, timeout=PROBE_TIMEOUT)
    try:
        s.ehlo("probe.invalid")
        if name.endswith("starttls"):
            s.starttls(context=ctx)
            s.ehlo("probe.invalid")
        if name.startswith("auth_"):
            mechs = s.esmtp_features.get("auth", "").upper().split()
            if sorted(mechs) != sorted(SASL_MECHANISMS):
                raise HarnessError(f"smtp {name}: EHLO AUTH lists {mechs}, expected {SASL_MECHANISMS}")
        if name == "pop_before_smtp":
            # Nobody has logged into POP3 yet: the policy service (spawned as POLICY_USER,
            # reading the state file) must refuse. Proves the smtpd -> spawn -> policy link.
            s.mail("probe@example.test")
            code, reply = s.rcpt(f"probe@{DOMAIN}")
            if code != 554 or b"POP before SMTP" not in reply:
                raise HarnessError(f"smtp {name}: RCPT without POP3 login got {code} {reply!r}, "
                                   f"expected 554 from the policy service (see {lay.postfix_log}, "
                                   f"{lay.pop_policy_log})")
        s.quit()
    finally:
        s.close()


def probe_pop3(lay, name, port):
    if name == "pop3s":
        p = poplib.POP3_SSL(HOST, port, timeout=PROBE_TIMEOUT, context=client_tls_context(lay))
    else:
        p = poplib.POP3(HOST, port, timeout=PROBE_TIMEOUT)
    try:
        p.quit()
    finally:
        p.close()


def wait_ready(lay, ports, timeout):
    """Poll every port until it answers properly; bounded by timeout."""
    pending = [("smtp", n, ports[n]) for n in SMTP_PORT_NAMES] + \
              [("pop3", n, ports[n]) for n in POP3_PORT_NAMES]
    deadline = time.monotonic() + timeout
    last_error = {}
    while pending:
        still = []
        for kind, name, port in pending:
            try:
                (probe_smtp if kind == "smtp" else probe_pop3)(lay, name, port)
            except (OSError, smtplib.SMTPException, poplib.error_proto, HarnessError) as e:
                last_error[name] = f"{type(e).__name__}: {e}"
                still.append((kind, name, port))
        pending = still
        if pending:
            if time.monotonic() > deadline:
                details = "\n".join(f"  {kind} {name} (port {port}): {last_error[name]}"
                                    for kind, name, port in pending)
                raise HarnessError(f"ports not ready after {timeout}s:\n{details}")
            time.sleep(0.05)


# --------------------------------------------------------------------------------------------
# start / stop
# --------------------------------------------------------------------------------------------

def prepare_run_dir(lay):
    """DIR must be new, empty, or a previous harness run dir (which is stopped and wiped)."""
    if lay.run.exists():
        if lay.marker.exists():
            stop(lay, quiet=True)
            shutil.rmtree(lay.run)
        elif any(lay.run.iterdir()):
            raise HarnessError(f"{lay.run} exists, is not empty and is not a harness run dir "
                               f"(no {MARKER}); refusing to wipe it")
        else:
            lay.run.rmdir()
    lay.run.mkdir(parents=True)
    lay.run.chmod(0o755)
    lay.marker.touch()
    check_traversable(lay.run, f"users postfix/{DELIVERY_USER}/dovecot")
    lay.log.mkdir()


def servers_json(lay, ports, pids):
    return {
        "run_dir": str(lay.run),
        "host": HOST,
        "ca_file": str(lay.ca_crt),
        "smtp": {n: ports[n] for n in SMTP_PORT_NAMES},
        "pop3": {n: ports[n] for n in POP3_PORT_NAMES},
        # Delete or truncate state_file to forget every POP3 login (all clients are 127.0.0.1).
        "pop_before_smtp": {"state_file": str(lay.pbs_state),
                            "window_seconds": POP_BEFORE_SMTP_WINDOW},
        "users": dict(USERS),
        "domain": DOMAIN,
        "delivered_dir": str(lay.delivered),
        "postfix_log": str(lay.postfix_log),
        "dovecot_log": str(lay.dovecot_log),
        # Extras.
        "tls_names": ["localhost", HOST],
        "ca_key": str(lay.ca_key),
        "server_cert": str(lay.server_crt),
        "server_key": str(lay.server_key),
        "myhostname": MYHOSTNAME,
        "message_size_limit": MESSAGE_SIZE_LIMIT,
        "sasl_mechanisms": SASL_MECHANISMS,
        "special_recipients": {"reject": f"reject@{DOMAIN}", "tempfail": f"tempfail@{DOMAIN}"},
        "maildirs": {u: str(lay.maildir(u)) for u in USERS},
        "postfix_config_dir": str(lay.postfix),
        "dovecot_config": str(lay.dovecot_conf),
        "pids": pids,
    }


def start(lay):
    t0 = time.monotonic()
    prepare_run_dir(lay)
    names = SMTP_PORT_NAMES + POP3_PORT_NAMES
    ports = dict(zip(names, pick_free_ports(len(names))))
    pids = {}
    try:
        make_pki(lay)
        setup_dovecot(lay, ports)
        setup_postfix(lay, ports)
        pids["dovecot"] = start_dovecot(lay)
        write_json_atomically(lay.pids_json, pids)  # so stop finds it even if we die now
        pids["postfix"] = start_postfix(lay)
        write_json_atomically(lay.pids_json, pids)
        wait_ready(lay, ports, START_TIMEOUT)
        write_json_atomically(lay.servers_json, servers_json(lay, ports, pids))
    except BaseException as e:
        msg = str(e) if isinstance(e, HarnessError) else f"{type(e).__name__}: {e}"
        print(f"mailservers: start FAILED: {msg}\n"
              f"--- {lay.postfix_log} (tail) ---\n{tail(lay.postfix_log)}\n"
              f"--- {lay.dovecot_log} (tail) ---\n{tail(lay.dovecot_log)}", file=sys.stderr)
        try:
            stop(lay, quiet=True)
        except HarnessError as e2:
            print(f"mailservers: cleanup after failed start: {e2}", file=sys.stderr)
        return 1
    log(f"started in {time.monotonic() - t0:.2f}s; {lay.servers_json}")
    log("smtp " + " ".join(f"{n}={ports[n]}" for n in SMTP_PORT_NAMES))
    log("pop3 " + " ".join(f"{n}={ports[n]}" for n in POP3_PORT_NAMES))
    return 0


def stop(lay, quiet=False):
    """SIGTERM to each master -- what "postfix stop" and "dovecot stop" do; each master then ends
    its children -- and wait for the sessions to empty. postfix stop would poll in 1 s steps;
    polling here in 50 ms steps makes stop about a second faster."""
    if not lay.run.is_dir():
        if not quiet:
            log(f"{lay.run}: no such directory, nothing to stop")
        return 0
    try:
        known = json.loads(lay.pids_json.read_text())
    except (OSError, ValueError):
        known = {}
    masters = {
        "postfix": running_master(lay, lay.postfix_pid, known.get("postfix")),
        "dovecot": running_master(lay, lay.dovecot_pid, known.get("dovecot")),
    }
    masters = {name: pid for name, pid in masters.items() if pid}
    for pid in masters.values():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    helpers = detached_helpers(lay)
    for name, pid in masters.items():
        end_session(name, pid, STOP_TIMEOUT)
    # With its smtpd gone, each pop_policy.py reads EOF and exits; include any spawned late.
    helpers = sorted(set(helpers) | set(detached_helpers(lay)))
    if helpers:
        end_detached(helpers, STOP_TIMEOUT if masters else 0)
    if not quiet:
        log(f"stopped {', '.join(masters)}" if masters else "nothing was running")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["start", "stop"])
    ap.add_argument("--run-dir", required=True, help="directory holding everything of this run")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("mailservers: must run as root (Postfix and Dovecot switch users)", file=sys.stderr)
        return 2
    lay = Layout(args.run_dir)
    try:
        return start(lay) if args.command == "start" else stop(lay)
    except HarnessError as e:
        print(f"mailservers: {args.command} FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
