"""Access control, audit and metrics (issue 8) through both APIs: principals, key policies,
grants, DryRun, explain, metrics counts and the audit log of a store opened from a folder."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Dict

import pytest

import keystead
from keystead import GrantConstraints, GrantOperation
from keystead.exceptions import (
    AccessDeniedException,
    DisabledException,
    DryRunOperationException,
    InvalidArnException,
    InvalidGrantTokenException,
    MalformedPolicyDocumentException,
    NotFoundException,
    ValidationException,
)

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
CHECKOUT = f"arn:aws:iam::{ACCOUNT}:role/checkout"
ANALYTICS = f"arn:aws:iam::{ACCOUNT}:role/analytics"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
OUTSIDER = "arn:aws:iam::444455556666:role/intruder"
ORDERS = {"purpose": "orders", "order": "42"}


def policy_for(admin: str) -> Dict[str, Any]:
    """The admin administers the key; checkout may Encrypt/Decrypt only with purpose=orders."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"},
            {
                "Sid": "CheckoutUse",
                "Effect": "Allow",
                "Principal": {"AWS": CHECKOUT},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "orders"}},
            },
        ],
    }


def test_as_principal_narrows_the_handle_and_access_denied_is_typed(memory_store: keystead.Keystead) -> None:
    store = memory_store
    key = store.create_key().key_id
    assert store.principal == ROOT
    checkout = store.as_principal(CHECKOUT)
    assert checkout.principal == CHECKOUT
    assert store.principal == ROOT  # the original handle is unchanged
    # The default policy lets every principal of the account in...
    blob = checkout.encrypt(key, b"card 4111").ciphertext_blob
    assert store.decrypt(blob).plaintext == b"card 4111"
    # ...and nobody else.
    outsider = store.as_principal(OUTSIDER)
    with pytest.raises(AccessDeniedException) as denied:
        outsider.encrypt(key, b"card 4111")
    err = denied.value
    assert isinstance(err, keystead.ClientError)
    assert err.response["Error"]["Code"] == "AccessDeniedException"
    assert err.operation_name == "Encrypt"
    assert "kms:Encrypt" in str(err) and OUTSIDER in str(err) and key in str(err)
    with pytest.raises(AccessDeniedException):
        outsider.decrypt(blob)
    with pytest.raises(AccessDeniedException):
        outsider.describe_key(key)
    # An unknown key is still NotFound, not AccessDenied.
    with pytest.raises(NotFoundException):
        outsider.describe_key("00000000-0000-4000-8000-000000000000")
    for bad in ["", "alice", "arn:aws:iam::1234:root", "arn:aws:s3:::bucket"]:
        with pytest.raises(InvalidArnException):
            store.as_principal(bad)
    # The narrowed client raises the same class, reachable as kms.exceptions.<Name>.
    kms = keystead.client(store=outsider)
    with pytest.raises(kms.exceptions.AccessDeniedException) as via_client:
        kms.encrypt(KeyId=key, Plaintext=b"x")
    status = via_client.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == err.response["ResponseMetadata"]["HTTPStatusCode"] and status >= 400


def test_a_policy_restricts_a_role_by_encryption_context(memory_store: keystead.Keystead) -> None:
    admin = memory_store.as_principal(ADMIN)
    key = admin.create_key(policy=policy_for(ADMIN)).key_id
    checkout = memory_store.as_principal(CHECKOUT)
    blob = checkout.encrypt(key, b"card 4111", encryption_context=ORDERS).ciphertext_blob
    assert checkout.decrypt(blob, encryption_context=ORDERS).plaintext == b"card 4111"
    with pytest.raises(AccessDeniedException):
        checkout.encrypt(key, b"x", encryption_context={"purpose": "refunds"})
    with pytest.raises(AccessDeniedException):
        checkout.encrypt(key, b"x")
    with pytest.raises(AccessDeniedException):
        checkout.describe_key(key)
    with pytest.raises(AccessDeniedException):
        memory_store.as_principal(ANALYTICS).decrypt(blob, encryption_context=ORDERS)
    # An assumed-role session of checkout counts as checkout.
    session = memory_store.as_principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/checkout/pod-7")
    assert session.decrypt(blob, encryption_context=ORDERS).plaintext == b"card 4111"
    # The policy reads back as given; the account principal is no longer named in it.
    assert json.loads(admin.get_key_policy(key)) == policy_for(ADMIN)
    assert admin.list_key_policies(key) == ["default"]
    with pytest.raises(AccessDeniedException):
        memory_store.get_key_policy(key)
    with pytest.raises(NotFoundException):
        admin.get_key_policy(key, policy_name="other")


def test_the_lockout_check_refuses_a_policy_that_locks_the_caller_out(memory_store: keystead.Keystead) -> None:
    key = memory_store.create_key().key_id
    admin = memory_store.as_principal(ADMIN)
    locked = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": CHECKOUT}, "Action": "kms:Encrypt", "Resource": "*"}],
        }
    )
    with pytest.raises(MalformedPolicyDocumentException) as refused:
        admin.put_key_policy(key, locked)
    assert "will not allow you to update the key policy" in str(refused.value)
    assert isinstance(refused.value, ValueError)
    # Nothing changed: still AWS's default policy, and the admin may still encrypt.
    assert json.loads(admin.get_key_policy(key))["Id"] == "key-default-1"
    admin.encrypt(key, b"x")
    with pytest.raises(MalformedPolicyDocumentException):
        admin.create_key(policy=locked)
    with pytest.raises(MalformedPolicyDocumentException):
        memory_store.put_key_policy(key, "not json")
    with pytest.raises(TypeError):
        memory_store.put_key_policy(key, 42)  # type: ignore[arg-type]
    admin.put_key_policy(key, locked, bypass_policy_lockout_safety_check=True)
    with pytest.raises(AccessDeniedException):
        admin.encrypt(key, b"x")
    memory_store.as_principal(CHECKOUT).encrypt(key, b"x")


def test_grants_are_created_used_listed_retired_and_revoked(memory_store: keystead.Keystead) -> None:
    store = memory_store
    key = store.create_key(policy=policy_for(ADMIN), bypass_policy_lockout_safety_check=True).key_id
    admin = store.as_principal(ADMIN)
    analytics = store.as_principal(ANALYTICS)
    reports = {"dept": "reports", "month": "11"}
    with pytest.raises(AccessDeniedException):
        analytics.encrypt(key, b"x", encryption_context=reports)

    grant = admin.create_grant(
        key,
        ANALYTICS,
        [GrantOperation.Encrypt, "Decrypt", GrantOperation.GenerateDataKey],
        retiring_principal=ADMIN,
        constraints=GrantConstraints(encryption_context_subset={"dept": "reports"}),
        name="reports-2026",
    )
    assert len(grant.grant_id) == 64
    assert grant.grant_token not in repr(grant)
    # Effective on the very next call; a token may be passed too.
    blob = analytics.encrypt(key, b"q3", encryption_context=reports).ciphertext_blob
    assert analytics.decrypt(blob, encryption_context=reports).plaintext == b"q3"
    data_key = analytics.generate_data_key(key, encryption_context=reports, grant_tokens=[grant.grant_token])
    assert len(data_key.plaintext) == 32
    with pytest.raises(AccessDeniedException):
        analytics.encrypt(key, b"x", encryption_context={"dept": "sales"})
    with pytest.raises(AccessDeniedException):
        analytics.describe_key(key)

    (entry,) = admin.list_grants(key).items
    assert entry.grant_id == grant.grant_id
    assert entry.grantee_principal == ANALYTICS
    assert entry.retiring_principal == ADMIN
    assert entry.name == "reports-2026"
    assert entry.operations == (GrantOperation.Decrypt, GrantOperation.Encrypt, GrantOperation.GenerateDataKey)
    assert entry.constraints == GrantConstraints(encryption_context_subset={"dept": "reports"})
    assert entry.issuing_account == ROOT
    assert isinstance(entry.creation_date, datetime) and entry.creation_date.tzinfo is not None
    assert [g.grant_id for g in admin.list_grants(key, grantee_principal=ANALYTICS)] == [grant.grant_id]
    assert [g.grant_id for g in admin.list_retirable_grants(ADMIN)] == [grant.grant_id]

    # Retire by token: the grantee loses access on the next call.
    admin.retire_grant(grant_token=grant.grant_token)
    with pytest.raises(AccessDeniedException):
        analytics.encrypt(key, b"x", encryption_context=reports)
    assert len(admin.list_grants(key)) == 0
    with pytest.raises(NotFoundException):
        admin.retire_grant(grant_token=grant.grant_token)

    # Revoke (needs kms:RevokeGrant: the grantee cannot, the admin can; a dry run changes nothing).
    second = admin.create_grant(key, OUTSIDER, ["Encrypt"])
    outsider = store.as_principal(OUTSIDER)
    outsider.encrypt(key, b"x")
    with pytest.raises(AccessDeniedException):
        outsider.revoke_grant(key, second.grant_id)
    with pytest.raises(DryRunOperationException):
        admin.revoke_grant(key, second.grant_id, dry_run=True)
    outsider.encrypt(key, b"x")
    admin.revoke_grant(key, second.grant_id)
    with pytest.raises(AccessDeniedException):
        outsider.encrypt(key, b"x")
    with pytest.raises(NotFoundException):
        admin.revoke_grant(key, second.grant_id)
    with pytest.raises(TypeError):
        admin.create_grant(key, OUTSIDER, "Encrypt")
    with pytest.raises(ValidationException):
        admin.retire_grant(key_id=key)  # neither a token nor key and grant id


def test_client_policies_and_grants_have_boto3_shapes(memory_store: keystead.Keystead) -> None:
    kms = keystead.client(store=memory_store.as_principal(ADMIN))
    created = kms.create_key(Policy=json.dumps(policy_for(ADMIN)), BypassPolicyLockoutSafetyCheck=False)
    key = created["KeyMetadata"]["KeyId"]
    got = kms.get_key_policy(KeyId=key)
    assert json.loads(got["Policy"]) == policy_for(ADMIN) and got["PolicyName"] == "default"
    assert kms.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy_for(ADMIN)))
    with pytest.raises(kms.exceptions.MalformedPolicyDocumentException):
        kms.put_key_policy(KeyId=key, Policy="{}")
    with pytest.raises(keystead.ParamValidationError):
        kms.put_key_policy(KeyId=key)

    grant = kms.create_grant(
        KeyId=key,
        GranteePrincipal=ANALYTICS,
        RetiringPrincipal=ADMIN,
        Operations=["Encrypt", "Decrypt"],
        Constraints={"EncryptionContextEquals": {"dept": "reports"}},
        Name="reports",
    )
    assert set(grant) == {"GrantToken", "GrantId", "ResponseMetadata"}
    listed = kms.list_grants(KeyId=key)
    assert listed["Truncated"] is False
    (entry,) = listed["Grants"]
    assert entry["GrantId"] == grant["GrantId"]
    assert entry["KeyId"] == key
    assert entry["GranteePrincipal"] == ANALYTICS
    assert entry["RetiringPrincipal"] == ADMIN
    assert entry["IssuingAccount"] == ROOT
    assert entry["Operations"] == ["Decrypt", "Encrypt"]
    assert entry["Constraints"] == {"EncryptionContextEquals": {"dept": "reports"}}
    assert entry["Name"] == "reports"
    assert isinstance(entry["CreationDate"], datetime)
    assert "GrantToken" not in entry
    pages = list(kms.get_paginator("list_grants").paginate(KeyId=key, PaginationConfig={"PageSize": 1}))
    assert [g["GrantId"] for p in pages for g in p["Grants"]] == [grant["GrantId"]]
    assert kms.list_retirable_grants(RetiringPrincipal=ADMIN)["Grants"][0]["GrantId"] == grant["GrantId"]

    # The grantee's own boto3-shaped client uses the grant (with its token, as AWS code does).
    grantee = keystead.client(store=memory_store.as_principal(ANALYTICS))
    blob = grantee.encrypt(
        KeyId=key, Plaintext=b"q3", EncryptionContext={"dept": "reports"}, GrantTokens=[grant["GrantToken"]]
    )["CiphertextBlob"]
    with pytest.raises(grantee.exceptions.AccessDeniedException):
        grantee.encrypt(KeyId=key, Plaintext=b"q3", EncryptionContext={"dept": "reports", "extra": "1"})
    with pytest.raises(grantee.exceptions.InvalidGrantTokenException):
        grantee.encrypt(KeyId=key, Plaintext=b"q3", EncryptionContext={"dept": "reports"}, GrantTokens=["forged"])
    with pytest.raises(grantee.exceptions.DryRunOperationException) as dry:
        grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "reports"}, DryRun=True)
    assert dry.value.response["Error"]["Code"] == "DryRunOperationException"
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "reports"})["Plaintext"] == b"q3"

    # As in AWS, RetireGrant names the key by ARN.
    key_arn = created["KeyMetadata"]["Arn"]
    with pytest.raises(kms.exceptions.InvalidArnException):
        kms.retire_grant(KeyId=key, GrantId=grant["GrantId"])
    with pytest.raises(kms.exceptions.DryRunOperationException):
        kms.retire_grant(KeyId=key_arn, GrantId=grant["GrantId"], DryRun=True)
    assert set(kms.retire_grant(KeyId=key_arn, GrantId=grant["GrantId"])) == {"ResponseMetadata"}
    assert kms.list_grants(KeyId=key)["Grants"] == []
    second = kms.create_grant(KeyId=key, GranteePrincipal=ANALYTICS, Operations=["Encrypt"])
    kms.revoke_grant(KeyId=key, GrantId=second["GrantId"])
    with pytest.raises(grantee.exceptions.AccessDeniedException):
        grantee.encrypt(KeyId=key, Plaintext=b"q3", EncryptionContext={"dept": "reports"})
    assert kms.can_paginate("list_retirable_grants") and kms.can_paginate("list_key_policies")


def test_dry_run_checks_everything_and_returns_nothing(memory_store: keystead.Keystead) -> None:
    store = memory_store
    key = store.create_key().key_id
    with pytest.raises(DryRunOperationException):
        store.encrypt(key, b"x", dry_run=True)
    blob = store.encrypt(key, b"x").ciphertext_blob
    with pytest.raises(DryRunOperationException):
        store.decrypt(blob, dry_run=True)
    with pytest.raises(DryRunOperationException):
        store.generate_data_key(key, dry_run=True)
    with pytest.raises(DryRunOperationException):
        store.re_encrypt(blob, key, dry_run=True)
    with pytest.raises(DryRunOperationException):
        store.create_grant(key, CHECKOUT, ["Encrypt"], dry_run=True)
    assert len(store.list_grants(key)) == 0
    signing = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
    with pytest.raises(DryRunOperationException):
        store.sign(signing, b"m", signing_algorithm="ECDSA_SHA_256", dry_run=True)
    # A dry run that would fail fails with the real error.
    with pytest.raises(AccessDeniedException):
        store.as_principal(OUTSIDER).encrypt(key, b"x", dry_run=True)
    store.disable_key(key)
    with pytest.raises(DisabledException):
        store.encrypt(key, b"x", dry_run=True)
    with pytest.raises(TypeError):
        store.encrypt(key, b"x", grant_tokens="one-token")
    kms = store.client()
    with pytest.raises(keystead.ParamValidationError):
        kms.encrypt(KeyId=key, Plaintext=b"x", GrantTokens="one-token")


def test_explain_names_the_deciding_statements_and_grants(memory_store: keystead.Keystead) -> None:
    admin = memory_store.as_principal(ADMIN)
    key = admin.create_key(policy=policy_for(ADMIN)).key_id
    checkout = memory_store.as_principal(CHECKOUT)
    yes = checkout.explain(key, "kms:Encrypt", encryption_context={"purpose": "orders"})
    assert yes == keystead.Explanation("Allow", True, ("CheckoutUse",), ())
    no = checkout.explain(key, "kms:Encrypt")
    assert not no.allowed and no.decision == "ImplicitDeny"
    grant = admin.create_grant(key, CHECKOUT, ["DescribeKey"])
    via_grant = checkout.explain(key, "kms:DescribeKey")
    assert via_grant.allowed and via_grant.grant_ids == (grant.grant_id,)
    # Extra condition keys take part in the decision.
    assert checkout.explain(key, "kms:Decrypt", conditions={"kms:EncryptionContext:purpose": "orders"}).allowed
    with pytest.raises(ValidationException):
        checkout.explain(key, "s3:GetObject")


def test_metrics_count_calls_by_operation_key_and_outcome(store: keystead.Keystead) -> None:
    key = store.create_key().key_id
    blob = b""
    for _ in range(3):
        blob = store.encrypt(key, b"x", encryption_context={"a": "1"}).ciphertext_blob
    with pytest.raises(keystead.exceptions.InvalidCiphertextException):
        store.decrypt(blob)  # wrong context
    with pytest.raises(AccessDeniedException):
        store.as_principal(OUTSIDER).encrypt(key, b"x")
    snapshot = store.metrics()
    assert snapshot.count("Encrypt", key_id=key, outcome="ok") == 3
    assert snapshot.count("Decrypt", outcome="client_error", error_code="InvalidCiphertextException") == 1
    assert snapshot.count("Encrypt", outcome="denied", error_code="AccessDeniedException") == 1
    assert snapshot.count("CreateKey") == 1
    (series,) = [s for s in snapshot.series if s.operation == "Encrypt" and s.outcome == "ok"]
    assert series.cumulative_buckets[-1] == 3 and len(series.cumulative_buckets) == len(snapshot.bucket_bounds_seconds) + 1
    assert series.sum_seconds > 0
    assert snapshot.since <= snapshot.taken_at
    usage = store.key_last_usage(key)
    assert usage is not None and usage.operation == "Encrypt" and usage.key_id == key
    assert store.key_last_usage("00000000-0000-4000-8000-000000000000") is None
    assert any(u.key_id == key for u in snapshot.last_usage)
    # Narrowed handles share the store's metrics.
    assert store.as_principal(CHECKOUT).metrics().count("Encrypt", key_id=key, outcome="ok") == 3
    text = store.metrics_prometheus()
    assert "# TYPE keystead_requests_total counter" in text
    assert f'keystead_requests_total{{operation="Encrypt",key_id="{key}",outcome="ok",error_code=""}} 3' in text.splitlines()


def _audit_bytes(folder: str) -> bytes:
    return b"".join(Path(folder, name).read_bytes() for name in sorted(os.listdir(folder)))


def test_a_store_opened_from_a_folder_writes_audit_events(store_path: Path) -> None:
    store = keystead.Keystead(store_path)
    assert store.audit_dir == str(store_path / "audit")
    key = store.create_key().key_id
    checkout = store.as_principal(CHECKOUT, access_key_id="AKIAEXAMPLEKEY000001")
    plaintext = b"4111-1111-1111-1111 secret-plaintext-marker"
    blob = checkout.encrypt(key, plaintext, encryption_context={"order": "42"}).ciphertext_blob
    with pytest.raises(keystead.exceptions.InvalidCiphertextException):
        store.decrypt(blob)
    with pytest.raises(AccessDeniedException):
        store.as_principal(OUTSIDER).describe_key(key)

    events = store.audit_events()
    assert [e["eventName"] for e in events] == ["CreateKey", "Encrypt", "Decrypt", "DescribeKey"]
    encrypt = events[1]
    assert encrypt["eventSource"] == "kms.amazonaws.com"
    assert encrypt["userIdentity"]["arn"] == CHECKOUT
    assert encrypt["userIdentity"]["accessKeyId"] == "AKIAEXAMPLEKEY000001"
    assert encrypt["requestParameters"]["keyId"] == key
    assert encrypt["requestParameters"]["encryptionContext"] == {"order": "42"}
    assert "errorCode" not in encrypt
    assert events[2]["errorCode"] == "InvalidCiphertextException"
    assert events[3]["errorCode"] == "AccessDeniedException"
    assert events[3]["userIdentity"]["arn"] == OUTSIDER
    written = _audit_bytes(str(store_path / "audit"))
    assert plaintext not in written and blob not in written
    report = store.verify_audit_log()
    assert report.valid, report.problems
    assert report.events == 4

    # Tampering is detected.
    segment = max(Path(store_path / "audit").glob("*.jsonl"), key=lambda p: p.stat().st_size)
    segment.write_bytes(segment.read_bytes().replace(b'"order":"42"', b'"order":"43"'))
    assert not store.verify_audit_log().valid


def test_audit_can_be_turned_off_or_tuned(tmp_path: Path) -> None:
    quiet = keystead.Keystead(tmp_path / "quiet", audit=False)
    key = quiet.create_key().key_id
    quiet.encrypt(key, b"x")
    assert quiet.audit_dir is None
    assert not (tmp_path / "quiet" / "audit").exists() or not any((tmp_path / "quiet" / "audit").iterdir())
    with pytest.raises(ValidationException):
        quiet.audit_events()
    assert quiet.metrics().count("Encrypt") == 1  # still counted
    assert keystead.Keystead.in_memory().audit_dir is None

    hashed = keystead.Keystead(tmp_path / "hashed", audit=keystead.AuditOptions(hmac_context_values=True))
    key = hashed.create_key().key_id
    hashed.encrypt(key, b"x", encryption_context={"customer": "alice-private-marker"})
    logged = hashed.audit_events()[1]["requestParameters"]["encryptionContext"]["customer"]
    assert logged.startswith("hmac-sha256:")
    assert b"alice-private-marker" not in _audit_bytes(str(tmp_path / "hashed" / "audit"))
    durable = keystead.Keystead(tmp_path / "durable", audit=keystead.AuditOptions(durability="per_record"))
    durable.create_key()
    assert [e["eventName"] for e in durable.audit_events()] == ["CreateKey"]
    with pytest.raises(ValueError):
        keystead.AuditOptions(durability="sometimes")
    with pytest.raises(TypeError):
        keystead.Keystead(tmp_path / "bad", audit="yes")  # type: ignore[arg-type]
