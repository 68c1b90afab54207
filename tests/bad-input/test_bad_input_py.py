"""Bad input through the Python door (issue 11): every public method of ``keystead.Keystead``,
every public function of ``keystead`` and every operation of the boto3-shaped client gets wrong types, empty, oversize and malformed values
for each of its parameters, one parameter at a time, the others valid.

The list of methods is read from the package (``inspect``), so a new method without a rule
here fails ``test_every_public_function_has_a_row``. The cases per parameter come from the
parameter's annotation (str, bytes, int, enum, mapping, sequence, bool...), so they follow the
signatures as they change.

Each case must end in a *typed* error: a ``keystead.exceptions.ClientError`` subclass (the AWS
exception), ``ParamValidationError`` or a ``TypeError`` for a value of the wrong Python type.
Anything else (a panic surfacing as ``pyo3_runtime.PanicException``, ``SystemError``, a crash,
another exception type) fails. After every failed case the store's observable state (keys and
their metadata, aliases, tags, policies, grants, rotations) must equal the state before it.
A value that is valid under AWS's rules (an empty encryption context, an empty description...)
is allowed to succeed only if ``ACCEPTED`` lists it; any other success fails.

Run with python/'s venv (``tests/bad-input/run.sh``). With ``KEYSTEAD_BAD_INPUT_OUT`` set, one
JSON line per function is appended there for ``docs/bad-input.md``.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import tempfile
from typing import Any, Callable, Dict, List, Tuple

import pytest

import keystead
from keystead import Keystead, RootKey
from keystead.exceptions import ClientError, ParamValidationError

# Methods that take no input at all (nothing to make bad) or only give back a handle; they are
# still rows of the table, with 0 cases.
NO_INPUT = {
    "audit_events",
    "client",
    "list_access_keys",
    "metrics",
    "metrics_prometheus",
    "sweep",
    "verify_audit_log",
    "iter_keys",
}

# (function, parameter, case) triples whose "bad" value is valid under AWS's rules.
ACCEPTED = {
    ("create_key", "description", "empty"),
    ("update_key_description", "description", "empty"),
    ("create_key", "tags", "empty"),
    ("tag_resource", "tags", "empty"),
    ("untag_resource", "tag_keys", "empty"),
}
# Byte parameters where any bytes are valid input (the data being protected or signed).
OPAQUE_BYTES = {("encrypt", "plaintext"), ("generate_mac", "message"), ("sign", "message"), ("verify_mac", "message"), ("verify", "message"), ("envelope_seal", "plaintext")}
ACCEPTED |= {
    # Free text (any characters up to 8192).
    ("create_key", "description", "malformed"),
    ("update_key_description", "description", "malformed"),
    # Repeating an operation names it once.
    ("create_grant", "operations", "oversize"),
    # AWS's GrantId filter has only length limits (1-128).
    ("list_grants", "grant_id", "malformed"),
    # Explain is a local simulation: any context is evaluated, none is stored.
    ("explain", "encryption_context", "oversize"),
    ("explain", "conditions", "oversize"),
    # An envelope message has no size limit.
    ("envelope_seal", "plaintext", "empty"),
    ("envelope_seal", "plaintext", "oversize"),
    # A metrics lookup (no KMS call): an unknown key id has no usage, None.
    ("key_last_usage", "key_id", "empty"),
    ("key_last_usage", "key_id", "oversize"),
    ("key_last_usage", "key_id", "malformed"),
}

# Findings of this test in the Python layer or the core, reported to their owners; they are
# rows of docs/bad-input.md. A new problem fails the test; one of these that goes away is
# printed (remove it here).
KNOWN_FINDINGS: set = set()

# Parameters whose empty value is AWS's "not given" (an empty context or token list).
EMPTY_MEANS_ABSENT = {
    "encryption_context",
    "source_encryption_context",
    "destination_encryption_context",
    "grant_tokens",
    "conditions",
    "additional_key_ids",
    "allowed_wrapping_keys",
}

OVERSIZE_STR = "k" * 70_000
OVERSIZE_BYTES = b"\x00" * 300_000


def bad_values(annotation: str) -> List[Tuple[str, Any]]:
    """(case, value) pairs for a parameter of this annotation."""
    a = annotation.replace("typing.", "")
    if a in ("bool",):
        return [("wrong_type", "yes")]
    if a.startswith("Union[") and "str" in a and a.split("[", 1)[1].split(",")[0] not in ("str",) and "bytes" not in a and "bool" not in a:
        # An enum accepting its members or AWS's strings.
        return [("wrong_type", 3.5), ("empty", ""), ("oversize", "A" * 10_000), ("malformed", "NOT_A_VALID_VALUE")]
    if "Buffer" in a or "bytes" in a:
        return [("wrong_type", 12345), ("empty", b""), ("oversize", OVERSIZE_BYTES), ("malformed", b"\xff\x00garbage" * 5)]
    # Before the "int" rule: "GrantConstraints" contains "int".
    if "GrantConstraints" in a:
        return [("wrong_type", {"EncryptionContextEquals": 5})]
    if "Mapping" in a:
        return [
            ("wrong_type", ["not", "a", "mapping"]),
            ("empty", {}),
            ("oversize", {f"k{i}": "v" * 8192 for i in range(64)}),
            ("malformed", {"": "\udcff"}),
        ]
    if "Sequence[str]" in a or "Iterable[str]" in a:
        return [("wrong_type", 7), ("empty", []), ("oversize", ["t" * 10_000] * 100), ("malformed", ["", "\x00"])]
    if "Iterable[Union[GrantOperation" in a:
        return [("wrong_type", 7), ("empty", []), ("oversize", ["Encrypt"] * 10_000), ("malformed", ["NotAnOperation"])]
    if "TagsArg" in a:
        return [
            ("wrong_type", 7),
            ("empty", {}),
            ("oversize", {f"t{i}": "v" for i in range(100)}),
            ("malformed", {"": "v", "aws:reserved": "x"}),
        ]
    if "PolicyArg" in a:
        return [("wrong_type", 7), ("empty", ""), ("oversize", "{" * 40_000), ("malformed", '{"Statement": 5}')]
    if "int" in a:
        return [("wrong_type", "12"), ("empty", 0), ("oversize", 2**70), ("malformed", -5)]
    if "datetime" in a:
        return [("wrong_type", "tomorrow"), ("malformed", 12345)]
    if "RootKey" in a:
        return [("wrong_type", b"raw bytes"), ("malformed", RootKey.env_var("KEYSTEAD_BAD_INPUT_NO_SUCH_VARIABLE"))]
    if "Keystead" in a:
        return [("wrong_type", "not a store")]
    if "AuditOptions" in a:
        return [("wrong_type", "loud")]
    if "PathLike" in a:
        return [("wrong_type", 12345)]
    if "str" in a:
        return [("wrong_type", 12345), ("empty", ""), ("oversize", OVERSIZE_STR), ("malformed", "\x00not/a:valid id\n")]
    raise AssertionError(f"no bad values for annotation {annotation!r}: add a rule")


class Fixture:
    """A store with one key of each kind the methods need, and valid values for every
    parameter name."""

    def __init__(self, store: Keystead, folder: str) -> None:
        self.store = store
        self.folder = folder
        s = store
        self.sym = s.create_key(description="symmetric").key_id
        self.hmac = s.create_key(key_usage="GENERATE_VERIFY_MAC", key_spec="HMAC_256").key_id
        self.sign = s.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P256").key_id
        self.agree = s.create_key(key_usage="KEY_AGREEMENT", key_spec="ECC_NIST_P256").key_id
        self.external = s.create_key(origin="EXTERNAL").key_id
        s.create_alias("alias/bad-input", self.sym)
        self.grant = s.create_grant(self.sym, "arn:aws:iam::111122223333:role/g", ["Encrypt"])
        self.blob = s.encrypt(self.sym, b"hello").ciphertext_blob
        self.mac = s.generate_mac(self.hmac, b"m", mac_algorithm="HMAC_SHA_256").mac
        self.signature = s.sign(self.sign, b"m", signing_algorithm="ECDSA_SHA_256").signature
        self.public = s.get_public_key(self.agree).public_key
        self.access = s.create_access_key("arn:aws:iam::111122223333:user/u")
        self.envelope = keystead.envelope_seal(s, self.sym, b"envelope")

    def key_for(self, func: str) -> str:
        if "mac" in func:
            return self.hmac
        if func in ("sign", "verify", "get_public_key"):
            return self.sign
        if func == "derive_shared_secret":
            return self.agree
        if "import" in func:
            return self.external
        return self.sym

    def valid(self, func: str, name: str, annotation: str) -> Any:
        values: Dict[str, Any] = {
            "key_id": self.key_for(func),
            "source_key_id": self.sym,
            "destination_key_id": self.sym,
            "target_key_id": self.sym,
            "alias_name": "alias/bad-input" if func in ("update_alias", "delete_alias") else "alias/new-one",
            "plaintext": b"data",
            "ciphertext_blob": self.blob,
            "message": self.envelope if func == "envelope_open" else b"m",
            "mac": self.mac,
            "signature": self.signature,
            "public_key": self.public,
            "signing_algorithm": "ECDSA_SHA_256",
            "mac_algorithm": "HMAC_SHA_256",
            "key_agreement_algorithm": "ECDH",
            "key_pair_spec": "ECC_NIST_P256",
            "number_of_bytes": 16,
            "description": "d",
            "tags": {"team": "x"},
            "tag_keys": ["team"],
            "policy": None,
            "grantee_principal": "arn:aws:iam::111122223333:role/g",
            "operations": ["Encrypt"],
            "grant_id": self.grant.grant_id,
            "action": "kms:Encrypt",
            "principal": "arn:aws:iam::111122223333:user/u",
            "principal_arn": "arn:aws:iam::111122223333:user/u",
            "access_key_id": self.access.access_key_id,
            "secret_access_key": b"s" * 40,
            "wrapping_algorithm": "RSAES_OAEP_SHA_256",
            "wrapping_key_spec": "RSA_2048",
            "import_token": b"t" * 64,
            "encrypted_key_material": b"m" * 256,
            "new_root_key": RootKey.from_bytes(b"\x02" * 32),
            "store": self.store,
            "path": self.folder,
            "retiring_principal": "arn:aws:iam::111122223333:role/g",
        }
        if func in ("put_key_policy",):
            values["policy"] = json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}
            )
        if name in values:
            return values[name]
        raise AssertionError(f"{func}: no valid value for required parameter {name} ({annotation}): add one")


def snapshot(store: Keystead) -> Any:
    """Everything a bad call could have changed."""
    keys = []
    for entry in store.iter_keys():
        meta = store.describe_key(entry.key_id)
        row: Dict[str, Any] = {"meta": repr(meta), "tags": store.tags(entry.key_id)}
        row["policy"] = store.get_key_policy(entry.key_id)
        row["grants"] = sorted(g.grant_id for g in store.list_grants(entry.key_id, limit=100).items)
        if meta.key_spec == "SYMMETRIC_DEFAULT" and meta.origin == "AWS_KMS":
            row["rotations"] = len(store.list_key_rotations(entry.key_id, limit=1000).items)
        keys.append((entry.key_id, row))
    aliases = sorted((a.alias_name, a.target_key_id) for a in store.iter_aliases())
    access = sorted(a.access_key_id for a in store.list_access_keys())
    return keys, aliases, access


def public_functions() -> List[Tuple[str, Callable[..., Any], bool]]:
    """(name, function, is_method) for every public method of Keystead and function of keystead."""
    out = []
    for name, _ in inspect.getmembers(Keystead):
        if name.startswith("_") or isinstance(inspect.getattr_static(Keystead, name), property):
            continue
        out.append((name, getattr(Keystead, name), True))
    for name in keystead.__all__:
        obj = getattr(keystead, name)
        if inspect.isfunction(obj):
            out.append((name, obj, False))
    return out


def typed(exc: BaseException) -> bool:
    return isinstance(exc, (ClientError, ParamValidationError, TypeError))


def run_function(fx: Fixture, name: str, func: Callable[..., Any], is_method: bool) -> Dict[str, Any]:
    sig = inspect.signature(func)
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    result: Dict[str, Any] = {
        "binding": "python",
        "function": ("Keystead." if is_method else "keystead.") + name,
        "cases": 0,
        "typed_errors": 0,
        "accepted": 0,
        "findings": [],
        "problems": [],
    }
    if name in NO_INPUT:
        return result
    target = getattr(fx.store, name) if is_method and name not in ("open", "in_memory") else func
    for bad in params:
        if bad.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        for case, value in bad_values(str(bad.annotation)):
            kwargs: Dict[str, Any] = {}
            for p in params:
                if p is bad:
                    kwargs[p.name] = value
                elif p.default is inspect.Parameter.empty:
                    kwargs[p.name] = fx.valid(name, p.name, str(p.annotation))
            before = snapshot(fx.store)
            result["cases"] += 1
            try:
                outcome = target(**kwargs)
                if inspect.isgenerator(outcome) or hasattr(outcome, "__next__"):
                    list(outcome)
            except BaseException as exc:  # noqa: BLE001 - the point is to see every kind
                if not typed(exc):
                    what = f"{bad.name}={case}: untyped {type(exc).__module__}.{type(exc).__name__}"
                    known = (name, bad.name, case) in KNOWN_FINDINGS
                    result["findings" if known else "problems"].append(what)
                    continue
                result["typed_errors"] += 1
                after = snapshot(fx.store)
                if after != before:
                    result["problems"].append(f"{bad.name}={case}: failed but changed the store")
                continue
            valid = (name, bad.name, case) in ACCEPTED or (case == "empty" and bad.name in EMPTY_MEANS_ABSENT)
            if valid or (case == "malformed" and (name, bad.name) in OPAQUE_BYTES):
                result["accepted"] += 1
            elif (name, bad.name, case) in KNOWN_FINDINGS:
                result["findings"].append(f"{bad.name}={case}: accepted")
            else:
                result["problems"].append(f"{bad.name}={case}: accepted")
    return result


@pytest.fixture(scope="module")
def fx():
    with tempfile.TemporaryDirectory() as folder:
        store = Keystead.open(os.path.join(folder, "store"), audit=False)
        yield Fixture(store, os.path.join(folder, "other"))


def test_every_public_function_has_a_row(fx):
    """Every public function gets cases (or is listed as taking no input): a new method whose
    parameters have no rule or no valid value fails here."""
    rows = []
    for name, func, is_method in public_functions():
        rows.append(run_function(fx, name, func, is_method))
    out = os.environ.get("KEYSTEAD_BAD_INPUT_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    problems = [f"{r['function']}: {p}" for r in rows for p in r["problems"]]
    findings = sum(len(r["findings"]) for r in rows)
    total = sum(r["cases"] for r in rows)
    typed_errors = sum(r["typed_errors"] for r in rows)
    accepted = sum(r["accepted"] for r in rows)
    print(
        f"bad-input/python: {len(rows)} functions, {total} cases: {typed_errors} typed errors, "
        f"{accepted} valid under AWS's rules and accepted, {findings} known findings, {len(problems)} new problems"
    )
    if findings < len(KNOWN_FINDINGS):
        print(f"bad-input/python: {len(KNOWN_FINDINGS) - findings} known findings no longer occur: update KNOWN_FINDINGS")
    assert not problems, "\n".join(problems)
    assert total > 300


# -- the boto3-shaped client -------------------------------------------------------------------

# Its methods take **params (as boto3's do): the parameters of each are learnt from its own
# ParamValidationError (an unknown parameter makes it list them all, and the missing required
# ones), so a new operation is covered without a change here.
CLIENT_HELPERS = {"can_paginate", "get_paginator"}
BLOB_PARAMS = {"Plaintext", "CiphertextBlob", "Message", "Signature", "Mac", "PublicKey", "ImportToken", "EncryptedKeyMaterial"}
LIST_PARAMS = {"TagKeys", "Operations", "GrantTokens"}
# (operation, parameter, case) whose value is valid under AWS's rules.
CLIENT_ACCEPTED = {
    ("update_key_description", "Description", "empty"),
    ("update_key_description", "Description", "malformed"),
    ("encrypt", "Plaintext", "malformed"),
    ("generate_mac", "Message", "malformed"),
    ("sign", "Message", "malformed"),
    ("verify", "Message", "malformed"),
    ("verify_mac", "Message", "malformed"),
    ("untag_resource", "TagKeys", "empty"),
    ("tag_resource", "Tags", "empty"),
    ("create_grant", "Operations", "oversize"),
}
# Known findings of the client layer (none at present; a new one fails the test).
CLIENT_FINDINGS: set = set()


def camel_to_snake(name: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


def client_params(method: Callable[..., Any]) -> Tuple[List[str], List[str]]:
    """(required, all) parameter names of a client operation, from its own validation."""
    try:
        method(__BadInputProbe=1)
    except ParamValidationError as exc:
        text = str(exc)
    else:
        raise AssertionError("an unknown parameter was accepted")
    required = re.findall(r'Missing required parameter in input: "(\w+)"', text)
    listed = re.search(r"must be one of: (.*)$", text, re.M)
    names = [n.strip() for n in listed.group(1).split(",")] if listed and listed.group(1).strip() else []
    return required, names


def client_bad_values(name: str) -> List[Tuple[str, Any]]:
    if name in BLOB_PARAMS:
        return [("wrong_type", 12345), ("empty", b""), ("oversize", OVERSIZE_BYTES), ("malformed", b"\xff\x00garbage" * 5)]
    if name in LIST_PARAMS or name == "Tags":
        return [("wrong_type", 7), ("empty", []), ("oversize", ["t" * 10_000] * 100), ("malformed", [""])]
    return [("wrong_type", 12345), ("empty", ""), ("oversize", OVERSIZE_STR), ("malformed", "\x00not/a:valid id\n")]


def client_valid(fx: Fixture, op: str, name: str) -> Any:
    if name == "Tags":
        return [{"TagKey": "team", "TagValue": "x"}]
    if name == "Policy":
        return fx.valid("put_key_policy", "policy", "str")
    return fx.valid(op, camel_to_snake(name), "")


def test_every_client_operation_has_a_row(fx):
    kms = fx.store.client()
    rows = []
    for op in sorted(n for n in dir(kms) if not n.startswith("_") and callable(getattr(kms, n))):
        if op in CLIENT_HELPERS:
            continue
        method = getattr(kms, op)
        row: Dict[str, Any] = {"binding": "python", "function": f"client('kms').{op}", "cases": 0, "typed_errors": 0, "accepted": 0, "findings": [], "problems": []}
        required, _ = client_params(method)
        # An unknown parameter, and (when there are required ones) none at all.
        row["cases"] += 1
        row["typed_errors"] += 1
        if required:
            row["cases"] += 1
            try:
                method()
                row["problems"].append("no parameters: accepted")
            except ParamValidationError:
                row["typed_errors"] += 1
        for bad in required:
            for case, value in client_bad_values(bad):
                params = {n: client_valid(fx, op, n) for n in required if n != bad}
                params[bad] = value
                before = snapshot(fx.store)
                row["cases"] += 1
                try:
                    method(**params)
                except BaseException as exc:  # noqa: BLE001 - every kind is looked at
                    if not typed(exc):
                        what = f"{bad}={case}: untyped {type(exc).__name__}"
                        row["findings" if (op, bad, case) in CLIENT_FINDINGS else "problems"].append(what)
                        continue
                    row["typed_errors"] += 1
                    if snapshot(fx.store) != before:
                        row["problems"].append(f"{bad}={case}: failed but changed the store")
                    continue
                if (op, bad, case) in CLIENT_ACCEPTED:
                    row["accepted"] += 1
                else:
                    row["findings" if (op, bad, case) in CLIENT_FINDINGS else "problems"].append(f"{bad}={case}: accepted")
        rows.append(row)
    out = os.environ.get("KEYSTEAD_BAD_INPUT_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    problems = [f"{r['function']}: {p}" for r in rows for p in r["problems"]]
    total = sum(r["cases"] for r in rows)
    print(f"bad-input/python client: {len(rows)} operations, {total} cases, {len(problems)} new problems")
    assert not problems, "\n".join(problems)
    assert len(rows) > 40
