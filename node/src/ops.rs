//! The operations: owned inputs, the core call, the conversion of the output.

use keystead_core as core;
use keystead_core::{Keystead as Core, Result, SecretBytes};
use napi::bindgen_prelude::Undefined;
use napi::Env;

use crate::bytes::{bytes, secret, Bytes, Secret};

use crate::task::Op;
use crate::types::{self as t, seconds};

/// `GrantTokens` and `DryRun`, which every cryptographic request takes.
#[derive(Default)]
pub struct Access {
    pub grant_tokens: Vec<String>,
    pub dry_run: bool,
}

impl Access {
    pub fn new(grant_tokens: Option<Vec<String>>, dry_run: Option<bool>) -> Self {
        Self { grant_tokens: grant_tokens.unwrap_or_default(), dry_run: dry_run.unwrap_or(false) }
    }
}

/// A byte input of an operation. A `...Sync` call borrows the caller's `Buffer`/`Uint8Array`
/// as it is (JavaScript cannot run, so cannot change it, until the call returns): no copy, and
/// no zeroizing of a copy, on the per-call path. A queued call owns a copy, made before it is
/// queued (the caller may reuse its buffer at once): zeroizing for plaintexts and messages,
/// plain for public inputs (ciphertexts, signatures, MACs).
pub enum Input<'a> {
    /// Borrowed from the arguments of a synchronous call.
    Borrowed(&'a [u8]),
    /// A zeroizing copy (plaintexts, messages).
    Secret(SecretBytes),
    /// A copy of a public value.
    Public(Vec<u8>),
}

impl Input<'_> {
    /// A zeroizing copy of `data`, for a queued call.
    pub fn secret(data: &[u8]) -> Input<'static> {
        Input::Secret(SecretBytes::copy_from(data))
    }

    /// A copy of the public `data`, for a queued call.
    pub fn public(data: &[u8]) -> Input<'static> {
        Input::Public(data.to_vec())
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Input::Borrowed(data) => data,
            Input::Secret(data) => data.expose(),
            Input::Public(data) => data,
        }
    }
}

/// Parses an optional AWS enum string (an unknown value is a `ValidationException`, as in AWS).
fn parse<T: std::str::FromStr<Err = core::Error>>(text: Option<&str>) -> Result<Option<T>> {
    text.map(str::parse).transpose()
}

macro_rules! key_op {
    ($(#[$m:meta])* $name:ident, $method:ident, $out:ty, $js:ty, $conv:expr) => {
        $(#[$m])*
        pub struct $name {
            pub key_id: String,
        }
        impl Op for $name {
            type Output = $out;
            type Js = $js;
            fn run(&self, store: &Core) -> Result<$out> {
                store.$method(&self.key_id)
            }
            fn to_js(_env: &Env, output: $out) -> napi::Result<$js> {
                #[allow(clippy::redundant_closure_call)]
                Ok(($conv)(output))
            }
        }
    };
}

key_op!(
    /// DescribeKey.
    DescribeKey, describe_key, core::KeyMetadata, t::KeyMetadata, t::KeyMetadata::from);
key_op!(
    /// EnableKey.
    EnableKey, enable_key, (), Undefined, |()| ());
key_op!(
    /// DisableKey.
    DisableKey, disable_key, (), Undefined, |()| ());
key_op!(
    /// CancelKeyDeletion.
    CancelKeyDeletion, cancel_key_deletion, String, String, |s| s);
key_op!(
    /// DisableKeyRotation.
    DisableKeyRotation, disable_key_rotation, (), Undefined, |()| ());
key_op!(
    /// RotateKeyOnDemand.
    RotateKeyOnDemand, rotate_key_on_demand, String, String, |s| s);
key_op!(
/// GetKeyRotationStatus.
GetKeyRotationStatus, get_key_rotation_status, core::KeyRotationStatus, t::KeyRotationStatus,
|s: core::KeyRotationStatus| t::KeyRotationStatus {
    key_rotation_enabled: s.key_rotation_enabled,
    key_id: s.key_id,
    rotation_period_in_days: s.rotation_period_in_days,
    next_rotation_date: s.next_rotation_date.map(seconds),
    on_demand_rotation_start_date: s.on_demand_rotation_start_date.map(seconds),
});

/// CreateKey.
pub struct CreateKey {
    pub key_spec: Option<String>,
    pub key_usage: Option<String>,
    pub description: Option<String>,
    pub origin: Option<String>,
    pub tags: Vec<core::Tag>,
    pub multi_region: bool,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: bool,
}

impl From<Option<t::CreateKeyOptions>> for CreateKey {
    fn from(o: Option<t::CreateKeyOptions>) -> Self {
        let o = o.unwrap_or(t::CreateKeyOptions {
            key_spec: None,
            key_usage: None,
            description: None,
            origin: None,
            tags: None,
            multi_region: None,
            policy: None,
            bypass_policy_lockout_safety_check: None,
        });
        Self {
            key_spec: o.key_spec,
            key_usage: o.key_usage,
            description: o.description,
            origin: o.origin,
            tags: tags(o.tags.unwrap_or_default()),
            multi_region: o.multi_region.unwrap_or(false),
            policy: o.policy,
            bypass_policy_lockout_safety_check: o.bypass_policy_lockout_safety_check.unwrap_or(false),
        }
    }
}

pub fn tags(tags: Vec<t::Tag>) -> Vec<core::Tag> {
    tags.into_iter().map(|t| core::Tag::new(t.tag_key, t.tag_value)).collect()
}

impl Op for CreateKey {
    type Output = core::KeyMetadata;
    type Js = t::KeyMetadata;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.create_key(core::CreateKeyRequest {
            key_spec: parse(self.key_spec.as_deref())?,
            key_usage: parse(self.key_usage.as_deref())?,
            description: self.description.clone(),
            origin: parse(self.origin.as_deref())?,
            tags: self.tags.clone(),
            multi_region: self.multi_region,
            policy: self.policy.clone(),
            bypass_policy_lockout_safety_check: self.bypass_policy_lockout_safety_check,
        })
    }
    fn to_js(_env: &Env, output: Self::Output) -> napi::Result<Self::Js> {
        Ok(output.into())
    }
}

/// ListKeys.
pub struct ListKeys {
    pub limit: Option<u32>,
    pub marker: Option<String>,
}

impl Op for ListKeys {
    type Output = core::Page<core::KeyListEntry>;
    type Js = t::ListKeysResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.list_keys(self.limit, self.marker.as_deref())
    }
    fn to_js(_env: &Env, page: Self::Output) -> napi::Result<Self::Js> {
        let truncated = page.truncated();
        Ok(t::ListKeysResult {
            keys: page.items.into_iter().map(|k| t::KeyListEntry { key_id: k.key_id, key_arn: k.key_arn }).collect(),
            next_marker: page.next_marker,
            truncated,
        })
    }
}

/// UpdateKeyDescription.
pub struct UpdateKeyDescription {
    pub key_id: String,
    pub description: String,
}

impl Op for UpdateKeyDescription {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.update_key_description(&self.key_id, &self.description)
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// TagResource.
pub struct TagResource {
    pub key_id: String,
    pub tags: Vec<core::Tag>,
}

impl Op for TagResource {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.tag_resource(&self.key_id, &self.tags)
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// UntagResource.
pub struct UntagResource {
    pub key_id: String,
    pub tag_keys: Vec<String>,
}

impl Op for UntagResource {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.untag_resource(&self.key_id, &self.tag_keys)
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// ListResourceTags.
pub struct ListResourceTags {
    pub key_id: String,
    pub limit: Option<u32>,
    pub marker: Option<String>,
}

impl Op for ListResourceTags {
    type Output = core::Page<core::Tag>;
    type Js = t::ListResourceTagsResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.list_resource_tags(&self.key_id, self.limit, self.marker.as_deref())
    }
    fn to_js(_env: &Env, page: Self::Output) -> napi::Result<Self::Js> {
        let truncated = page.truncated();
        Ok(t::ListResourceTagsResult {
            tags: page.items.into_iter().map(t::Tag::from).collect(),
            next_marker: page.next_marker,
            truncated,
        })
    }
}

/// CreateAlias / UpdateAlias.
pub struct SetAlias {
    pub alias_name: String,
    pub target_key_id: String,
    pub create: bool,
}

impl Op for SetAlias {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        if self.create {
            store.create_alias(&self.alias_name, &self.target_key_id)
        } else {
            store.update_alias(&self.alias_name, &self.target_key_id)
        }
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// DeleteAlias.
pub struct DeleteAlias {
    pub alias_name: String,
}

impl Op for DeleteAlias {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.delete_alias(&self.alias_name)
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// ListAliases.
pub struct ListAliases {
    pub key_id: Option<String>,
    pub limit: Option<u32>,
    pub marker: Option<String>,
}

impl Op for ListAliases {
    type Output = core::Page<core::AliasListEntry>;
    type Js = t::ListAliasesResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.list_aliases(self.key_id.as_deref(), self.limit, self.marker.as_deref())
    }
    fn to_js(_env: &Env, page: Self::Output) -> napi::Result<Self::Js> {
        let truncated = page.truncated();
        Ok(t::ListAliasesResult {
            aliases: page
                .items
                .into_iter()
                .map(|a| t::AliasListEntry {
                    alias_name: a.alias_name,
                    alias_arn: a.alias_arn,
                    target_key_id: a.target_key_id,
                    creation_date: seconds(a.creation_date),
                    last_updated_date: seconds(a.last_updated_date),
                })
                .collect(),
            next_marker: page.next_marker,
            truncated,
        })
    }
}

/// ScheduleKeyDeletion.
pub struct ScheduleKeyDeletion {
    pub key_id: String,
    pub pending_window_in_days: Option<u32>,
}

impl Op for ScheduleKeyDeletion {
    type Output = core::ScheduleKeyDeletionResponse;
    type Js = t::ScheduleKeyDeletionResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.schedule_key_deletion(&self.key_id, self.pending_window_in_days)
    }
    fn to_js(_env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::ScheduleKeyDeletionResult {
            key_id: r.key_id,
            deletion_date: seconds(r.deletion_date),
            key_state: r.key_state.to_string(),
            pending_window_in_days: r.pending_window_in_days,
        })
    }
}

/// EnableKeyRotation.
pub struct EnableKeyRotation {
    pub key_id: String,
    pub rotation_period_in_days: Option<u32>,
}

impl Op for EnableKeyRotation {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.enable_key_rotation(&self.key_id, self.rotation_period_in_days)
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// ListKeyRotations.
pub struct ListKeyRotations {
    pub key_id: String,
    pub include_key_material: Option<String>,
    pub limit: Option<u32>,
    pub marker: Option<String>,
}

impl Op for ListKeyRotations {
    type Output = core::Page<core::RotationsListEntry>;
    type Js = t::ListKeyRotationsResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        let include = parse(self.include_key_material.as_deref())?;
        store.list_key_rotations(&self.key_id, include, self.limit, self.marker.as_deref())
    }
    fn to_js(_env: &Env, page: Self::Output) -> napi::Result<Self::Js> {
        let truncated = page.truncated();
        Ok(t::ListKeyRotationsResult {
            rotations: page
                .items
                .into_iter()
                .map(|r| t::RotationsListEntry {
                    key_id: r.key_id,
                    key_material_id: r.key_material_id,
                    key_material_state: r.key_material_state.to_string(),
                    rotation_date: r.rotation_date.map(seconds),
                    rotation_type: r.rotation_type.map(|x| x.to_string()),
                    key_material_description: r.key_material_description,
                    import_state: r.import_state.map(|x| x.to_string()),
                    expiration_model: r.expiration_model.map(|x| x.to_string()),
                    valid_to: r.valid_to.map(seconds),
                })
                .collect(),
            next_marker: page.next_marker,
            truncated,
        })
    }
}

/// Encrypt.
pub struct Encrypt<'a> {
    pub key_id: String,
    pub plaintext: Input<'a>,
    pub context: Option<core::EncryptionContext>,
    pub algorithm: Option<String>,
    pub access: Access,
}

impl Op for Encrypt<'_> {
    type Output = core::EncryptResponse;
    type Js = t::EncryptResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.encrypt(core::EncryptRequest {
            key_id: &self.key_id,
            plaintext: self.plaintext.bytes(),
            encryption_context: self.context.as_ref(),
            encryption_algorithm: parse(self.algorithm.as_deref())?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::EncryptResult {
            ciphertext_blob: bytes(env, r.ciphertext_blob)?,
            key_id: r.key_id,
            encryption_algorithm: r.encryption_algorithm.to_string(),
        })
    }
}

/// Decrypt.
pub struct Decrypt<'a> {
    pub ciphertext: Input<'a>,
    pub context: Option<core::EncryptionContext>,
    pub key_id: Option<String>,
    pub algorithm: Option<String>,
    pub access: Access,
}

impl Op for Decrypt<'_> {
    type Output = core::DecryptResponse;
    type Js = t::DecryptResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.decrypt(core::DecryptRequest {
            ciphertext_blob: self.ciphertext.bytes(),
            encryption_context: self.context.as_ref(),
            key_id: self.key_id.as_deref(),
            encryption_algorithm: parse(self.algorithm.as_deref())?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::DecryptResult {
            key_id: r.key_id,
            plaintext: secret(env, r.plaintext)?,
            encryption_algorithm: r.encryption_algorithm.to_string(),
            key_material_id: r.key_material_id,
        })
    }
}

/// ReEncrypt.
pub struct ReEncrypt {
    pub ciphertext: Vec<u8>,
    pub destination_key_id: String,
    pub source_context: Option<core::EncryptionContext>,
    pub source_key_id: Option<String>,
    pub destination_context: Option<core::EncryptionContext>,
    pub source_algorithm: Option<String>,
    pub destination_algorithm: Option<String>,
    pub access: Access,
}

impl Op for ReEncrypt {
    type Output = core::ReEncryptResponse;
    type Js = t::ReEncryptResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.re_encrypt(core::ReEncryptRequest {
            ciphertext_blob: &self.ciphertext,
            source_encryption_context: self.source_context.as_ref(),
            source_key_id: self.source_key_id.as_deref(),
            destination_key_id: &self.destination_key_id,
            destination_encryption_context: self.destination_context.as_ref(),
            source_encryption_algorithm: parse(self.source_algorithm.as_deref())?,
            destination_encryption_algorithm: parse(self.destination_algorithm.as_deref())?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::ReEncryptResult {
            ciphertext_blob: bytes(env, r.ciphertext_blob)?,
            source_key_id: r.source_key_id,
            key_id: r.key_id,
            source_encryption_algorithm: r.source_encryption_algorithm.to_string(),
            destination_encryption_algorithm: r.destination_encryption_algorithm.to_string(),
            source_key_material_id: r.source_key_material_id,
            destination_key_material_id: r.destination_key_material_id,
        })
    }
}

/// GenerateDataKey (with or without the plaintext).
pub struct GenerateDataKey<const PLAINTEXT: bool> {
    pub key_id: String,
    pub context: Option<core::EncryptionContext>,
    pub key_spec: Option<String>,
    pub number_of_bytes: Option<u32>,
    pub access: Access,
}

impl<const PLAINTEXT: bool> GenerateDataKey<PLAINTEXT> {
    pub fn new(key_id: String, options: Option<t::GenerateDataKeyOptions>) -> Self {
        let (context, key_spec, number_of_bytes, access) = match options {
            Some(o) => (
                t::context(o.encryption_context),
                o.key_spec,
                o.number_of_bytes,
                Access::new(o.grant_tokens, o.dry_run),
            ),
            None => (None, None, None, Access::default()),
        };
        Self { key_id, context, key_spec, number_of_bytes, access }
    }

    fn request(&self) -> Result<core::GenerateDataKeyRequest<'_>> {
        Ok(core::GenerateDataKeyRequest {
            key_id: &self.key_id,
            encryption_context: self.context.as_ref(),
            key_spec: parse(self.key_spec.as_deref())?,
            number_of_bytes: self.number_of_bytes,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
}

impl Op for GenerateDataKey<true> {
    type Output = core::GenerateDataKeyResponse;
    type Js = t::GenerateDataKeyResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.generate_data_key(self.request()?)
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GenerateDataKeyResult {
            ciphertext_blob: bytes(env, r.ciphertext_blob)?,
            plaintext: secret(env, r.plaintext)?,
            key_id: r.key_id,
            key_material_id: r.key_material_id,
        })
    }
}

impl Op for GenerateDataKey<false> {
    type Output = core::GenerateDataKeyWithoutPlaintextResponse;
    type Js = t::GenerateDataKeyWithoutPlaintextResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.generate_data_key_without_plaintext(self.request()?)
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GenerateDataKeyWithoutPlaintextResult {
            ciphertext_blob: bytes(env, r.ciphertext_blob)?,
            key_id: r.key_id,
            key_material_id: r.key_material_id,
        })
    }
}

/// GenerateRandom.
pub struct GenerateRandom {
    pub number_of_bytes: u32,
}

impl Op for GenerateRandom {
    type Output = SecretBytes;
    type Js = t::GenerateRandomResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.generate_random(self.number_of_bytes)
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GenerateRandomResult { plaintext: secret(env, r)? })
    }
}

/// rotate_root_key.
pub struct RotateRootKey {
    pub source: core::RootKeySource,
}

impl Op for RotateRootKey {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.rotate_root_key(self.source.clone())
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// The sweep (destroy expired keys, perform due rotations).
pub struct Sweep;

impl Op for Sweep {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> Result<()> {
        store.sweep()
    }
    fn to_js(_env: &Env, (): ()) -> napi::Result<Undefined> {
        Ok(())
    }
}

/// Envelope seal (Keystead's message format: a data key per message, AES-256-GCM segments).
pub struct SealEnvelope<'a> {
    pub key_id: String,
    pub plaintext: Input<'a>,
    pub context: core::EncryptionContext,
    pub options: core::envelope::SealOptions,
}

impl Op for SealEnvelope<'_> {
    type Output = Vec<u8>;
    type Js = Bytes;
    fn run(&self, store: &Core) -> Result<Vec<u8>> {
        core::envelope::seal(store, &self.key_id, self.plaintext.bytes(), &self.context, &self.options)
    }
    fn to_js(env: &Env, message: Vec<u8>) -> napi::Result<Bytes> {
        bytes(env, message)
    }
}

/// Envelope open.
pub struct OpenEnvelope<'a> {
    pub message: Input<'a>,
    pub context: core::EncryptionContext,
    pub options: core::envelope::OpenOptions,
}

impl Op for OpenEnvelope<'_> {
    type Output = SecretBytes;
    type Js = Secret;
    fn run(&self, store: &Core) -> Result<SecretBytes> {
        core::envelope::open(store, self.message.bytes(), &self.context, &self.options)
    }
    fn to_js(env: &Env, plaintext: SecretBytes) -> napi::Result<Secret> {
        secret(env, plaintext)
    }
}

/// Sign.
pub struct Sign<'a> {
    pub key_id: String,
    pub message: Input<'a>,
    pub algorithm: String,
    pub message_type: Option<String>,
    pub access: Access,
}

impl Op for Sign<'_> {
    type Output = core::SignResponse;
    type Js = t::SignResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.sign(core::SignRequest {
            key_id: &self.key_id,
            message: self.message.bytes(),
            message_type: parse(self.message_type.as_deref())?,
            signing_algorithm: parse(Some(self.algorithm.as_str()))?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::SignResult {
            key_id: r.key_id,
            signature: bytes(env, r.signature)?,
            signing_algorithm: r.signing_algorithm.to_string(),
        })
    }
}

/// Verify.
pub struct Verify<'a> {
    pub key_id: String,
    pub message: Input<'a>,
    pub signature: Input<'a>,
    pub algorithm: String,
    pub message_type: Option<String>,
    pub access: Access,
}

impl Op for Verify<'_> {
    type Output = core::VerifyResponse;
    type Js = t::VerifyResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.verify(core::VerifyRequest {
            key_id: &self.key_id,
            message: self.message.bytes(),
            message_type: parse(self.message_type.as_deref())?,
            signature: self.signature.bytes(),
            signing_algorithm: parse(Some(self.algorithm.as_str()))?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(_env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::VerifyResult {
            key_id: r.key_id,
            signature_valid: r.signature_valid,
            signing_algorithm: r.signing_algorithm.to_string(),
        })
    }
}

fn names<T: std::fmt::Display>(values: Option<Vec<T>>) -> Option<Vec<String>> {
    values.map(|v| v.iter().map(ToString::to_string).collect())
}

/// GetPublicKey.
pub struct GetPublicKey {
    pub key_id: String,
    pub grant_tokens: Vec<String>,
}

impl Op for GetPublicKey {
    type Output = core::GetPublicKeyResponse;
    type Js = t::GetPublicKeyResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.get_public_key_with(core::GetPublicKeyRequest { key_id: &self.key_id, grant_tokens: &self.grant_tokens })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GetPublicKeyResult {
            key_id: r.key_id,
            public_key: bytes(env, r.public_key)?,
            customer_master_key_spec: r.customer_master_key_spec.to_string(),
            key_spec: r.key_spec.to_string(),
            key_usage: r.key_usage.to_string(),
            encryption_algorithms: names(r.encryption_algorithms),
            signing_algorithms: names(r.signing_algorithms),
            key_agreement_algorithms: names(r.key_agreement_algorithms),
        })
    }
}

/// GenerateMac.
pub struct GenerateMac<'a> {
    pub key_id: String,
    pub message: Input<'a>,
    pub algorithm: String,
    pub access: Access,
}

impl Op for GenerateMac<'_> {
    type Output = core::GenerateMacResponse;
    type Js = t::GenerateMacResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.generate_mac(core::GenerateMacRequest {
            key_id: &self.key_id,
            message: self.message.bytes(),
            mac_algorithm: parse(Some(self.algorithm.as_str()))?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GenerateMacResult {
            mac: bytes(env, r.mac)?,
            mac_algorithm: r.mac_algorithm.to_string(),
            key_id: r.key_id,
        })
    }
}

/// VerifyMac.
pub struct VerifyMac {
    pub key_id: String,
    pub message: SecretBytes,
    pub mac: Vec<u8>,
    pub algorithm: String,
    pub access: Access,
}

impl Op for VerifyMac {
    type Output = core::VerifyMacResponse;
    type Js = t::VerifyMacResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.verify_mac(core::VerifyMacRequest {
            key_id: &self.key_id,
            message: self.message.expose(),
            mac: &self.mac,
            mac_algorithm: parse(Some(self.algorithm.as_str()))?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(_env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::VerifyMacResult { key_id: r.key_id, mac_valid: r.mac_valid, mac_algorithm: r.mac_algorithm.to_string() })
    }
}

/// GenerateDataKeyPair (with or without the plaintext private key).
pub struct GenerateDataKeyPair<const PLAINTEXT: bool> {
    pub key_id: String,
    pub key_pair_spec: String,
    pub context: Option<core::EncryptionContext>,
    pub access: Access,
}

impl<const PLAINTEXT: bool> GenerateDataKeyPair<PLAINTEXT> {
    fn request(&self) -> Result<core::GenerateDataKeyPairRequest<'_>> {
        Ok(core::GenerateDataKeyPairRequest {
            key_id: &self.key_id,
            encryption_context: self.context.as_ref(),
            key_pair_spec: parse(Some(self.key_pair_spec.as_str()))?,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
}

impl Op for GenerateDataKeyPair<true> {
    type Output = core::GenerateDataKeyPairResponse;
    type Js = t::GenerateDataKeyPairResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.generate_data_key_pair(self.request()?)
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GenerateDataKeyPairResult {
            private_key_ciphertext_blob: bytes(env, r.private_key_ciphertext_blob)?,
            private_key_plaintext: secret(env, r.private_key_plaintext)?,
            public_key: bytes(env, r.public_key)?,
            key_id: r.key_id,
            key_pair_spec: r.key_pair_spec.to_string(),
            key_material_id: r.key_material_id,
        })
    }
}

impl Op for GenerateDataKeyPair<false> {
    type Output = core::GenerateDataKeyPairWithoutPlaintextResponse;
    type Js = t::GenerateDataKeyPairWithoutPlaintextResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.generate_data_key_pair_without_plaintext(self.request()?)
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GenerateDataKeyPairWithoutPlaintextResult {
            private_key_ciphertext_blob: bytes(env, r.private_key_ciphertext_blob)?,
            public_key: bytes(env, r.public_key)?,
            key_id: r.key_id,
            key_pair_spec: r.key_pair_spec.to_string(),
            key_material_id: r.key_material_id,
        })
    }
}

/// DeriveSharedSecret.
pub struct DeriveSharedSecret {
    pub key_id: String,
    pub algorithm: String,
    pub public_key: Vec<u8>,
    pub access: Access,
}

impl Op for DeriveSharedSecret {
    type Output = core::DeriveSharedSecretResponse;
    type Js = t::DeriveSharedSecretResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.derive_shared_secret(core::DeriveSharedSecretRequest {
            key_id: &self.key_id,
            key_agreement_algorithm: parse(Some(self.algorithm.as_str()))?,
            public_key: &self.public_key,
            grant_tokens: &self.access.grant_tokens,
            dry_run: self.access.dry_run,
        })
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::DeriveSharedSecretResult {
            key_id: r.key_id,
            shared_secret: secret(env, r.shared_secret)?,
            key_agreement_algorithm: r.key_agreement_algorithm.to_string(),
            key_origin: r.key_origin.to_string(),
        })
    }
}

/// GetParametersForImport.
pub struct GetParametersForImport {
    pub key_id: String,
    pub wrapping_algorithm: String,
    pub wrapping_key_spec: String,
}

impl Op for GetParametersForImport {
    type Output = core::GetParametersForImportResponse;
    type Js = t::GetParametersForImportResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        let algorithm: core::WrappingAlgorithm = self.wrapping_algorithm.parse()?;
        let spec: core::WrappingKeySpec = self.wrapping_key_spec.parse()?;
        store.get_parameters_for_import(&self.key_id, algorithm, spec)
    }
    fn to_js(env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::GetParametersForImportResult {
            key_id: r.key_id,
            import_token: bytes(env, r.import_token)?,
            public_key: bytes(env, r.public_key)?,
            parameters_valid_to: seconds(r.parameters_valid_to),
        })
    }
}

/// ImportKeyMaterial.
pub struct ImportKeyMaterial {
    pub key_id: String,
    pub import_token: Vec<u8>,
    pub encrypted_key_material: Vec<u8>,
    pub expiration_model: Option<String>,
    pub valid_to_seconds: Option<f64>,
    pub import_type: Option<String>,
    pub key_material_description: Option<String>,
    pub key_material_id: Option<String>,
}

impl Op for ImportKeyMaterial {
    type Output = core::ImportedKeyMaterialResponse;
    type Js = t::ImportedKeyMaterialResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        // Seconds since the epoch to the core's milliseconds (a date far outside i64 saturates
        // and is refused by the core's own range check).
        #[allow(clippy::cast_possible_truncation)]
        let valid_to = self.valid_to_seconds.map(|s| (s * 1000.0).round() as i64);
        store.import_key_material(core::ImportKeyMaterialRequest {
            key_id: &self.key_id,
            import_token: &self.import_token,
            encrypted_key_material: &self.encrypted_key_material,
            expiration_model: parse(self.expiration_model.as_deref())?,
            valid_to,
            import_type: parse(self.import_type.as_deref())?,
            key_material_description: self.key_material_description.as_deref(),
            key_material_id: self.key_material_id.as_deref(),
        })
    }
    fn to_js(_env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::ImportedKeyMaterialResult { key_id: r.key_id, key_material_id: r.key_material_id })
    }
}

/// DeleteImportedKeyMaterial.
pub struct DeleteImportedKeyMaterial {
    pub key_id: String,
    pub key_material_id: Option<String>,
}

impl Op for DeleteImportedKeyMaterial {
    type Output = core::ImportedKeyMaterialResponse;
    type Js = t::ImportedKeyMaterialResult;
    fn run(&self, store: &Core) -> Result<Self::Output> {
        store.delete_imported_key_material_with(&self.key_id, self.key_material_id.as_deref())
    }
    fn to_js(_env: &Env, r: Self::Output) -> napi::Result<Self::Js> {
        Ok(t::ImportedKeyMaterialResult { key_id: r.key_id, key_material_id: r.key_material_id })
    }
}
