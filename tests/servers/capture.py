#!/usr/bin/python3
"""Postfix pipe(8) delivery target of the test harness: stores one delivered message.

Invoked by the harness's "capture" transport (see mailservers.py), once per recipient:

    capture.py DELIVERED_DIR queue_id=ID sender=ADDR recipient=ADDR [key=value ...]

Every argument after the directory is a key=value pair (Postfix expands its ${...} macros into
them; a key=value form never yields an empty argv entry). The message arrives on stdin and is
written to DELIVERED_DIR/<queue_id>.<n>.eml, with the envelope in DELIVERED_DIR/<queue_id>.<n>.json,
where n = 1, 2, ... counts deliveries of that queue file (one per recipient).

Both files are written to a temporary name and then linked/renamed into place, so a reader never
sees a partial file. The .json appears after the .eml: a reader that waits for the .json finds both.

Runs as an unprivileged user under Debian's /usr/bin/python3, standard library only.
"""

import json
import os
import sys
import tempfile

# sysexits(3) codes that pipe(8) understands: 75 means "try again later" (the mail stays queued
# and the failure shows in the Postfix log) rather than a bounce.
EX_USAGE = 64
EX_TEMPFAIL = 75


def parse_args(argv):
    if len(argv) < 2:
        raise ValueError("usage: capture.py DELIVERED_DIR key=value ...")
    fields = {}
    for raw in argv[2:]:
        # Addresses may be UTF-8 (SMTPUTF8); take the raw bytes whatever the locale says.
        arg = os.fsencode(raw).decode("utf-8", "replace")
        key, sep, value = arg.partition("=")
        if not sep:
            raise ValueError(f"argument without '=': {arg!r}")
        fields[key] = value
    if not fields.get("queue_id"):
        raise ValueError("missing queue_id=")
    return argv[1], fields


def to_wire_form(content):
    # pipe(8) hands over each stored line terminated by a bare LF (Postfix stores lines without
    # their terminator). Every line reached Postfix as CRLF-terminated (or bare-LF-terminated, which
    # Postfix treats the same), so CRLF is restored for every line. Stored lines hold no CR:
    # smtpd drops a CR before the line end and turns any other bare CR into a space.
    return content.replace(b"\n", b"\r\n")


def write_temp(tmp_dir, data):
    fd, path = tempfile.mkstemp(dir=tmp_dir)
    try:
        os.fchmod(fd, 0o644)  # readable by whoever runs the tests, not only by this user
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(path)
        raise
    return path


def claim_name(tmp_path, directory, queue_id):
    """Link tmp_path to the first free <queue_id>.<n>.eml; link() fails atomically if it exists,
    so concurrent deliveries of the same queue file never share an n."""
    n = 1
    while True:
        base = os.path.join(directory, f"{queue_id}.{n}")
        try:
            os.link(tmp_path, base + ".eml")
            return base
        except FileExistsError:
            n += 1


def main(argv):
    try:
        directory, fields = parse_args(argv)
    except ValueError as e:
        print(f"capture.py: {e}", file=sys.stderr)
        return EX_USAGE

    content = to_wire_form(sys.stdin.buffer.read())
    tmp_dir = os.path.join(directory, ".tmp")  # same file system, so link/rename are atomic
    eml_tmp = write_temp(tmp_dir, content)
    try:
        base = claim_name(eml_tmp, directory, fields["queue_id"])
    finally:
        os.unlink(eml_tmp)

    sidecar = dict(fields)
    sidecar["size"] = len(content)
    json_tmp = write_temp(tmp_dir, (json.dumps(sidecar, ensure_ascii=False, indent=1) + "\n").encode())
    os.rename(json_tmp, base + ".json")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # anything unexpected: keep the mail queued, say why in the Postfix log
        print(f"capture.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(EX_TEMPFAIL)
