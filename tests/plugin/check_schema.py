#!/usr/bin/env python3
"""The committed SMTP property schema against a standard JSON Schema 2020-12 validator
(python3-jsonschema): the schema itself is valid, and example property sets are judged as the
plugin's validation judges them (structurally; policy rules such as credentials in clear are the
plugin's own)."""

import json
import sys

from jsonschema import Draft202012Validator

VALID = {
    "its own examples": None,  # filled from the schema
    "POP before SMTP, every option": {
        "name": "office", "host": "mail.example.com", "ssl": "smtp", "starttls": "starttls",
        "port": 587, "authentication": "pop-before-smtp", "timeout": 30, "dynamic": False,
        "pop3_server": "pop.example.com", "pop3_ssl": "pops", "pop3_starttls": "default",
        "pop3_port": 995, "user": "alice", "password": "env:POP3_PASSWORD", "apop": True,
        "interval": 5, "ca_file": "/etc/ssl/extra.pem",
        "pin_sha256": "sha256//KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXww=",
        "allow_plaintext_auth": False,
    },
    "POP before SMTP by default": {
        "host": "mail.example.com", "pop3_server": "pop.example.com", "user": "alice",
    },
    "SMTP AUTH": {
        "name": "submission", "host": "smtp.example.com", "ssl": "smtps", "port": 465,
        "authentication": "smtp", "smtp_username": "alice@example.com",
        "smtp_password": "file:/run/secrets/smtp", "auth_type": "cram-md5",
    },
    "no authentication": {"host": "192.0.2.25", "authentication": "none"},
}

INVALID = {
    "defaults only (no host, no POP3 server or user)": ({}, {"host", "pop3_server", "user"}),
    "host empty": ({"host": "", "authentication": "none"}, {"host"}),
    "SMTP AUTH without a username": ({"host": "h", "authentication": "smtp"}, {"smtp_username"}),
    "POP3 server empty": ({"host": "h", "pop3_server": "", "user": "u"}, {"pop3_server"}),
    "port out of range": ({"host": "h", "authentication": "none", "port": 0}, {"port"}),
    "timeout below 1": ({"host": "h", "authentication": "none", "timeout": 0}, {"timeout"}),
    "negative interval": ({"host": "h", "pop3_server": "p", "user": "u", "interval": -1},
                          {"interval"}),
    "unknown value": ({"host": "h", "authentication": "none", "ssl": "tls"}, {"ssl"}),
    "value tag in the wrong case": ({"host": "h", "authentication": "SMTP"}, {"authentication"}),
    "wrong type": ({"host": "h", "authentication": "none", "port": "25"}, {"port"}),
    "unknown property": ({"host": "h", "authentication": "none", "hots": "x"}, {""}),
    "malformed pin": ({"host": "h", "authentication": "none", "pin_sha256": "abc"},
                      {"pin_sha256"}),
}


def error_paths(validator, instance):
    """The top-level property each error is about ("" for the object itself)."""
    paths = set()
    for error in validator.iter_errors(instance):
        for leaf in (error.context or [error]) if error.validator == "oneOf" else [error]:
            path = list(leaf.absolute_path)
            if path:
                paths.add(str(path[0]))
            elif leaf.validator == "required":
                paths.update(p for p in leaf.validator_value if p not in instance)
            else:
                paths.add("")
    return paths


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    failures = []

    valid = dict(VALID)
    del valid["its own examples"]
    for i, example in enumerate(schema.get("examples", [])):
        valid[f"example {i}"] = example
    if len(schema.get("examples", [])) < 2:
        failures.append("the schema has fewer than two examples")
    for name, instance in valid.items():
        errors = [e.message for e in validator.iter_errors(instance)]
        if errors:
            failures.append(f"{name}: expected valid, got {errors}")

    for name, (instance, expected) in INVALID.items():
        paths = error_paths(validator, instance)
        if not paths:
            failures.append(f"{name}: expected invalid, the validator accepted it")
        elif not expected <= paths:
            failures.append(f"{name}: expected errors at {sorted(expected)}, got {sorted(paths)}")

    for failure in failures:
        print("FAIL:", failure)
    if failures:
        return 1
    print(f"schema valid (Draft 2020-12); {len(valid)} valid and {len(INVALID)} invalid sets "
          "judged as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
