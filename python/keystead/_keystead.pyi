"""Stubs of the native module ``keystead._keystead`` (checked by ``mypy.stubtest``).

Methods take plain values and return dicts keyed by AWS's PascalCase names; the public API is
``keystead.Keystead`` and ``keystead.client``.
"""

from os import PathLike
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union, final

from keystead.types import (
    DataKey,
    DecryptResult,
    EncryptedDataKey,
    EncryptResult,
    MacResult,
    ReEncryptResult,
    SignResult,
    VerifyMacResult,
    VerifyResult,
)

__all__ = [
    "__version__",
    "Store",
    "AuditEventIterator",
    "_enum_values",
    "_error_kinds",
    "SealStreamNative",
    "OpenStreamNative",
    "envelope_seal",
    "envelope_open",
    "envelope_range_span",
    "envelope_open_range_parts",
    "encrypt_fields_json",
    "decrypt_fields_json",
    "encrypt_secret",
    "decrypt_secret",
    "decrypt_env",
    "_time_envelope_stream",
    "typed_encrypt",
    "typed_decrypt",
    "typed_re_encrypt",
    "typed_generate_data_key",
    "typed_generate_data_key_without_plaintext",
    "typed_sign",
    "typed_verify",
    "typed_generate_mac",
    "typed_verify_mac",
]

__version__: str

_Buffer = Any  # any object with the buffer protocol (bytes, bytearray, memoryview...); not str
_Context = Optional[Dict[str, str]]
# A context as the typed API takes it: any mapping, checked natively (python/src/typed.rs).
_AnyContext = Optional[Mapping[str, str]]
_Tokens = Optional[Iterable[str]]

@final
class AuditEventIterator:
    """The events of an audit log (CloudTrail-shaped dicts), oldest first, read lazily."""

    def __iter__(self) -> AuditEventIterator: ...
    def __next__(self) -> Dict[str, Any]: ...

@final
class Store:
    """A handle on a Keystead store (the native half of ``keystead.Keystead``)."""

    @staticmethod
    def open(
        path: Union[str, PathLike[str]],
        root_key_kind: str = "key_file",
        root_key_value: Optional[Any] = None,
        region: Optional[str] = None,
        account_id: Optional[str] = None,
        audit_durability: Optional[str] = ...,
        audit_hmac_context_values: bool = False,
    ) -> Store: ...
    @staticmethod
    def open_in_memory(
        root_key_kind: str = "bytes",
        root_key_value: Optional[Any] = None,
        region: Optional[str] = None,
        account_id: Optional[str] = None,
    ) -> Store: ...
    @property
    def location(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def partition(self) -> str: ...
    def create_key(
        self,
        description: Optional[str] = None,
        key_usage: Optional[str] = None,
        key_spec: Optional[str] = None,
        origin: Optional[str] = None,
        tags: Optional[List[Tuple[str, str]]] = None,
        multi_region: bool = False,
        policy: Optional[str] = None,
        bypass_policy_lockout_safety_check: bool = False,
    ) -> Dict[str, Any]: ...
    def describe_key(self, key_id: str) -> Dict[str, Any]: ...
    def list_keys(self, limit: Optional[int] = None, marker: Optional[str] = None) -> Dict[str, Any]: ...
    def update_key_description(self, key_id: str, description: str) -> None: ...
    def tag_resource(self, key_id: str, tags: List[Tuple[str, str]]) -> None: ...
    def untag_resource(self, key_id: str, tag_keys: List[str]) -> None: ...
    def list_resource_tags(
        self, key_id: str, limit: Optional[int] = None, marker: Optional[str] = None
    ) -> Dict[str, Any]: ...
    def create_alias(self, alias_name: str, target_key_id: str) -> None: ...
    def update_alias(self, alias_name: str, target_key_id: str) -> None: ...
    def delete_alias(self, alias_name: str) -> None: ...
    def list_aliases(
        self, key_id: Optional[str] = None, limit: Optional[int] = None, marker: Optional[str] = None
    ) -> Dict[str, Any]: ...
    def enable_key(self, key_id: str) -> None: ...
    def disable_key(self, key_id: str) -> None: ...
    def schedule_key_deletion(self, key_id: str, pending_window_in_days: Optional[int] = None) -> Dict[str, Any]: ...
    def cancel_key_deletion(self, key_id: str) -> str: ...
    def enable_key_rotation(self, key_id: str, rotation_period_in_days: Optional[int] = None) -> None: ...
    def disable_key_rotation(self, key_id: str) -> None: ...
    def get_key_rotation_status(self, key_id: str) -> Dict[str, Any]: ...
    def rotate_key_on_demand(self, key_id: str) -> str: ...
    def list_key_rotations(
        self,
        key_id: str,
        include_key_material: Optional[str] = None,
        limit: Optional[int] = None,
        marker: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def encrypt(
        self,
        key_id: str,
        plaintext: _Buffer,
        encryption_context: _Context = None,
        encryption_algorithm: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def decrypt(
        self,
        ciphertext_blob: _Buffer,
        encryption_context: _Context = None,
        key_id: Optional[str] = None,
        encryption_algorithm: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def re_encrypt(
        self,
        ciphertext_blob: _Buffer,
        destination_key_id: str,
        source_encryption_context: _Context = None,
        source_key_id: Optional[str] = None,
        destination_encryption_context: _Context = None,
        source_encryption_algorithm: Optional[str] = None,
        destination_encryption_algorithm: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def generate_data_key(
        self,
        key_id: str,
        encryption_context: _Context = None,
        key_spec: Optional[str] = None,
        number_of_bytes: Optional[int] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def generate_data_key_without_plaintext(
        self,
        key_id: str,
        encryption_context: _Context = None,
        key_spec: Optional[str] = None,
        number_of_bytes: Optional[int] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def generate_random(self, number_of_bytes: int) -> bytes: ...
    def sign(
        self,
        key_id: str,
        message: _Buffer,
        signing_algorithm: Optional[str] = None,
        message_type: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def verify(
        self,
        key_id: str,
        message: _Buffer,
        signature: _Buffer,
        signing_algorithm: Optional[str] = None,
        message_type: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def get_public_key(self, key_id: str, grant_tokens: Optional[List[str]] = None) -> Dict[str, Any]: ...
    def generate_mac(
        self,
        key_id: str,
        message: _Buffer,
        mac_algorithm: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def verify_mac(
        self,
        key_id: str,
        message: _Buffer,
        mac: _Buffer,
        mac_algorithm: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def derive_shared_secret(
        self,
        key_id: str,
        public_key: _Buffer,
        key_agreement_algorithm: Optional[str] = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def generate_data_key_pair(
        self,
        key_id: str,
        key_pair_spec: Optional[str] = None,
        encryption_context: _Context = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def generate_data_key_pair_without_plaintext(
        self,
        key_id: str,
        key_pair_spec: Optional[str] = None,
        encryption_context: _Context = None,
        grant_tokens: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def get_parameters_for_import(
        self, key_id: str, wrapping_algorithm: str, wrapping_key_spec: str
    ) -> Dict[str, Any]: ...
    def import_key_material(
        self,
        key_id: str,
        import_token: _Buffer,
        encrypted_key_material: _Buffer,
        expiration_model: Optional[str] = None,
        valid_to: Optional[int] = None,
        import_type: Optional[str] = None,
        key_material_description: Optional[str] = None,
        key_material_id: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def delete_imported_key_material(self, key_id: str, key_material_id: Optional[str] = None) -> Dict[str, Any]: ...
    def create_access_key(self, principal: str) -> Dict[str, Any]: ...
    def add_access_key(self, access_key_id: str, secret_access_key: Any, principal: str) -> Dict[str, Any]: ...
    def list_access_keys(self) -> List[Dict[str, Any]]: ...
    def delete_access_key(self, access_key_id: str) -> None: ...
    def rotate_root_key(self, root_key_kind: str, root_key_value: Optional[Any] = None) -> None: ...
    def as_principal(self, principal_arn: str, access_key_id: Optional[str] = None) -> Store: ...
    @property
    def principal(self) -> str: ...
    def put_key_policy(
        self,
        key_id: str,
        policy: str,
        policy_name: Optional[str] = None,
        bypass_policy_lockout_safety_check: bool = False,
    ) -> None: ...
    def get_key_policy(self, key_id: str, policy_name: Optional[str] = None) -> str: ...
    def list_key_policies(self, key_id: str) -> List[str]: ...
    def create_grant(
        self,
        key_id: str,
        grantee_principal: str,
        operations: List[str],
        retiring_principal: Optional[str] = None,
        encryption_context_subset: _Context = None,
        encryption_context_equals: _Context = None,
        grant_tokens: Optional[List[str]] = None,
        name: Optional[str] = None,
        dry_run: bool = False,
    ) -> Dict[str, Any]: ...
    def list_grants(
        self,
        key_id: str,
        grant_id: Optional[str] = None,
        grantee_principal: Optional[str] = None,
        limit: Optional[int] = None,
        marker: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def list_retirable_grants(
        self, retiring_principal: str, limit: Optional[int] = None, marker: Optional[str] = None
    ) -> Dict[str, Any]: ...
    def retire_grant(
        self,
        grant_token: Optional[str] = None,
        key_id: Optional[str] = None,
        grant_id: Optional[str] = None,
        dry_run: bool = False,
    ) -> None: ...
    def revoke_grant(self, key_id: str, grant_id: str, dry_run: bool = False) -> None: ...
    def explain(
        self,
        key_id: str,
        action: str,
        encryption_context: _Context = None,
        conditions: Optional[List[Tuple[str, str]]] = None,
    ) -> Dict[str, Any]: ...
    def metrics(self) -> Dict[str, Any]: ...
    def metrics_prometheus(self) -> str: ...
    def key_last_usage(self, key_id: str) -> Optional[Dict[str, Any]]: ...
    @property
    def audit_dir(self) -> Optional[str]: ...
    def iter_audit_events(self) -> AuditEventIterator: ...
    def verify_audit_log(self) -> Dict[str, Any]: ...
    def sweep(self) -> None: ...
    def _time_encrypt(self, key_id: str, plaintext: _Buffer, calls: int) -> float: ...

def _enum_values() -> Dict[str, List[str]]: ...
def _error_kinds() -> List[Tuple[str, int, int, str]]: ...

# Envelope encryption (python/src/stream.rs)

@final
class SealStreamNative:
    def __new__(
        cls,
        store: Store,
        key_id: str,
        context: _Context = None,
        additional_key_ids: Optional[List[str]] = None,
        segment_size: Optional[int] = None,
    ) -> SealStreamNative: ...
    def update(self, data: _Buffer) -> bytes: ...
    def finish(self) -> bytes: ...

@final
class OpenStreamNative:
    def __new__(
        cls,
        store: Store,
        context: _Context = None,
        allowed_wrapping_keys: Optional[List[str]] = None,
        max_encrypted_data_keys: Optional[int] = None,
    ) -> OpenStreamNative: ...
    def update(self, data: _Buffer) -> bytes: ...
    def finish(self) -> bytes: ...

def envelope_seal(
    store: Store,
    key_id: str,
    plaintext: _Buffer,
    context: _AnyContext = None,
    additional_key_ids: Optional[List[str]] = None,
    segment_size: Optional[int] = None,
) -> bytes: ...
def envelope_open(
    store: Store,
    message: _Buffer,
    context: _AnyContext = None,
    allowed_wrapping_keys: Optional[List[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
) -> bytes: ...
def envelope_range_span(prefix: _Buffer, message_len: int, start: int, end: int) -> Tuple[int, int, int]: ...
def envelope_open_range_parts(
    store: Store,
    header: _Buffer,
    message_len: int,
    span_start: int,
    span: _Buffer,
    start: int,
    end: int,
    context: _Context = None,
    allowed_wrapping_keys: Optional[List[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
) -> bytes: ...
def encrypt_fields_json(
    store: Store,
    key_id: str,
    record_json: str,
    fields: List[str],
    context: _Context = None,
    additional_key_ids: Optional[List[str]] = None,
) -> str: ...
def decrypt_fields_json(
    store: Store,
    record_json: str,
    context: _Context = None,
    allowed_wrapping_keys: Optional[List[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
) -> str: ...
def encrypt_secret(store: Store, key_id: str, name: str, value: _Buffer, context: _Context = None) -> str: ...
def decrypt_secret(store: Store, name: str, text: str, context: _Context = None) -> bytes: ...
def decrypt_env(store: Store, variables: List[Tuple[str, str]], context: _Context = None) -> Dict[str, bytes]: ...
def _time_envelope_stream(store: Store, key_id: str, size: int, chunk: int) -> Tuple[float, float]: ...

# The typed API's hot calls (keystead.Keystead.encrypt and friends), each one native call that
# checks the arguments as the typed method documents and returns its result dataclass.
def typed_encrypt(
    store: Store,
    key_id: str,
    plaintext: _Buffer,
    encryption_context: _AnyContext,
    encryption_algorithm: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> EncryptResult: ...
def typed_decrypt(
    store: Store,
    ciphertext_blob: _Buffer,
    encryption_context: _AnyContext,
    key_id: Optional[str],
    encryption_algorithm: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> DecryptResult: ...
def typed_re_encrypt(
    store: Store,
    ciphertext_blob: _Buffer,
    destination_key_id: str,
    source_encryption_context: _AnyContext,
    source_key_id: Optional[str],
    destination_encryption_context: _AnyContext,
    source_encryption_algorithm: Optional[str],
    destination_encryption_algorithm: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> ReEncryptResult: ...
def typed_generate_data_key(
    store: Store,
    key_id: str,
    encryption_context: _AnyContext,
    key_spec: Optional[str],
    number_of_bytes: Optional[int],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> DataKey: ...
def typed_generate_data_key_without_plaintext(
    store: Store,
    key_id: str,
    encryption_context: _AnyContext,
    key_spec: Optional[str],
    number_of_bytes: Optional[int],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> EncryptedDataKey: ...
def typed_sign(
    store: Store,
    key_id: str,
    message: _Buffer,
    signing_algorithm: Optional[str],
    message_type: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> SignResult: ...
def typed_verify(
    store: Store,
    key_id: str,
    message: _Buffer,
    signature: _Buffer,
    signing_algorithm: Optional[str],
    message_type: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> VerifyResult: ...
def typed_generate_mac(
    store: Store,
    key_id: str,
    message: _Buffer,
    mac_algorithm: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> MacResult: ...
def typed_verify_mac(
    store: Store,
    key_id: str,
    message: _Buffer,
    mac: _Buffer,
    mac_algorithm: Optional[str],
    grant_tokens: _Tokens,
    dry_run: bool,
) -> VerifyMacResult: ...
