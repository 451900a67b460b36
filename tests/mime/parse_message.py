#!/usr/bin/env python3
"""Parses a MIME message with Python's email package (policy.default) and prints JSON.

Usage: parse_message.py MESSAGE.eml

The tests of the MIME builder check what a real parser decodes, not only the bytes they expect:
    headers     [[name, decoded value], ...] in order
    addresses   {"From": [[display name, address], ...], "To": ..., "Cc": ..., "Reply-To": ...}
    structure   the content types of every entity, depth first
    parts       the leaf parts: content_type, charset, transfer_encoding, disposition,
                filename (get_filename()), and for attachments the two file-name forms decoded
                on their own (filename_rfc2047 from filename=, filename_rfc2231 from filename*),
                text (decoded, line breaks as \\n) for text parts, sha256 and size of the decoded
                bytes for every part
    defects     what the parser complained about (should be empty)
"""

import email
import email.header
import email.policy
import hashlib
import json
import sys
import urllib.parse


def split_params(value):
    """Splits an unfolded header value at the semicolons outside quoted strings."""
    parts, current, quoted, escaped = [], "", False, False
    for c in value:
        if escaped:
            current += c
            escaped = False
        elif c == "\\" and quoted:
            current += c
            escaped = True
        elif c == '"':
            current += c
            quoted = not quoted
        elif c == ";" and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += c
    parts.append(current.strip())
    return parts


def unquote(value):
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        out, escaped = "", False
        for c in value:
            if escaped or c != "\\":
                out += c
                escaped = False
            else:
                escaped = True
        return out
    return value


def file_name_forms(part):
    """The filename= value decoded as RFC 2047, and filename*= decoded as RFC 2231, apart."""
    raw = None
    for name, value in part.raw_items():
        if name.lower() == "content-disposition":
            raw = str(value)
    if raw is None:
        return None, None
    raw = raw.replace("\r\n", "").replace("\n", "")
    plain, pieces = None, {}
    for param in split_params(raw)[1:]:
        key, _, value = param.partition("=")
        key = key.strip().lower()
        if key == "filename":
            plain = str(email.header.make_header(email.header.decode_header(unquote(value))))
        elif key.startswith("filename*"):
            index = key[len("filename*"):].strip("*") or "0"
            pieces[int(index)] = unquote(value)
    extended = None
    if pieces:
        joined = "".join(pieces[i] for i in sorted(pieces))
        charset, _, rest = joined.split("'", 2)
        extended = urllib.parse.unquote_to_bytes(rest).decode(charset)
    return plain, extended


def describe_part(part):
    payload = part.get_payload(decode=True) or b""
    info = {
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "transfer_encoding": part.get("Content-Transfer-Encoding", ""),
        "disposition": part.get_content_disposition(),
        "filename": part.get_filename(),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
    }
    if part.get_content_disposition() == "attachment":
        info["filename_rfc2047"], info["filename_rfc2231"] = file_name_forms(part)
    elif part.get_content_maintype() == "text":
        info["text"] = part.get_content().replace("\r\n", "\n")
    return info


def main():
    with open(sys.argv[1], "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    result = {
        "headers": [[name, str(value)] for name, value in message.items()],
        "addresses": {},
        "structure": [],
        "parts": [],
        "defects": [],
    }
    for field in ("From", "To", "Cc", "Reply-To", "Bcc"):
        header = message[field]
        if header is not None:
            result["addresses"][field] = [[a.display_name, a.addr_spec] for a in header.addresses]
    for part in message.walk():
        result["structure"].append(part.get_content_type())
        result["defects"] += [f"{type(d).__name__}: {d}" for d in part.defects]
        for name, value in part.items():
            result["defects"] += [f"{name}: {type(d).__name__}: {d}" for d in getattr(value, "defects", ())]
        if not part.is_multipart():
            result["parts"].append(describe_part(part))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
