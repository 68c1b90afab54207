//! The operations: each reads its AWS input members, calls the core, and writes AWS's output
//! shape. The core's response types already serialize as AWS's shapes (PascalCase members,
//! base64 blobs, epoch-second dates); responses with secrets are written here, into zeroized
//! buffers.

use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DataKeyPairSpec, DataKeySpec, DecryptRequest, DeriveSharedSecretRequest,
    EncryptRequest, EncryptionAlgorithm, GenerateDataKeyPairRequest, GenerateDataKeyRequest, GenerateMacRequest,
    GetPublicKeyRequest, GrantConstraints, GrantOperation, GrantRef, ImportKeyMaterialRequest, KeyAgreementAlgorithm,
    Keystead, Origin, Page, ReEncryptRequest, SignRequest, VerifyMacRequest, VerifyRequest,
};
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

use crate::wire::{json, secret_b64, secret_json, Body, Input, WireError};

/// Every operation this server serves, by its `X-Amz-Target` name.
pub const OPERATIONS: [&str; 45] = [
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateGrant",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DeriveSharedSecret",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ImportKeyMaterial",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "PutKeyPolicy",
    "ReEncrypt",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "Sign",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
    "Verify",
    "VerifyMac",
];

/// Operations of AWS KMS's model (botocore's `kms/2014-11-01`) that Keystead does not offer
/// (custom key stores, multi-Region replication, KEM keys, key usage history):
/// they get `UnsupportedOperationException` (a modelled KMS error, so SDKs raise it typed),
/// while names outside the model get `UnknownOperationException`.
const NOT_OFFERED: [&str; 11] = [
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "Decapsulate",
    "DeleteCustomKeyStore",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "Encapsulate",
    "GetKeyLastUsage",
    "ReplicateKey",
    "UpdateCustomKeyStore",
    "UpdatePrimaryRegion",
];

/// What the dispatcher knows about an `X-Amz-Target` operation name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    Served,
    NotOffered,
    Unknown,
}

pub(crate) fn classify(operation: &str) -> Known {
    if OPERATIONS.contains(&operation) {
        Known::Served
    } else if NOT_OFFERED.contains(&operation) {
        Known::NotOffered
    } else {
        Known::Unknown
    }
}

/// A page of a list operation: `{"<Items>": [...], "NextMarker"?, "Truncated"}`.
struct PageOut<'a, T> {
    items_name: &'static str,
    page: &'a Page<T>,
}

impl<T: Serialize> Serialize for PageOut<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.items_name, &self.page.items)?;
        if let Some(marker) = &self.page.next_marker {
            map.serialize_entry("NextMarker", marker)?;
        }
        map.serialize_entry("Truncated", &self.page.truncated())?;
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadataOut<T> {
    key_metadata: T,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdOut {
    key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DecryptOut<'a> {
    key_id: &'a str,
    plaintext: &'a str,
    encryption_algorithm: EncryptionAlgorithm,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataKeyOut<'a> {
    ciphertext_blob: String,
    plaintext: &'a str,
    key_id: &'a str,
    key_material_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataKeyPairOut<'a> {
    private_key_ciphertext_blob: String,
    private_key_plaintext: &'a str,
    public_key: String,
    key_id: &'a str,
    key_pair_spec: DataKeyPairSpec,
    key_material_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SharedSecretOut<'a> {
    key_id: &'a str,
    shared_secret: &'a str,
    key_agreement_algorithm: KeyAgreementAlgorithm,
    key_origin: Origin,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RandomOut<'a> {
    plaintext: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyOut {
    policy: String,
    policy_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyNamesOut {
    policy_names: Vec<String>,
    truncated: bool,
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Rejects members Keystead cannot honour (rather than ignoring them and doing something else
/// than asked).
fn refuse(input: &Input, members: &[&str]) -> Result<(), WireError> {
    match members.iter().find(|m| input.has(m)) {
        Some(member) => Err(WireError::unsupported(format!("Keystead does not support the {member} parameter"))),
        None => Ok(()),
    }
}

/// The members every cryptographic operation shares: `GrantTokens` and `DryRun` (the core
/// checks both; a dry run that would succeed is its `DryRunOperationException`).
struct Common {
    grant_tokens: Vec<String>,
    dry_run: bool,
}

fn common(input: &Input) -> Result<Common, WireError> {
    refuse(input, &["DryRunModifiers", "Recipient"])?;
    Ok(Common {
        grant_tokens: input.string_list("GrantTokens")?.unwrap_or_default(),
        dry_run: input.bool("DryRun")?.unwrap_or(false),
    })
}

fn grant_constraints(input: &Input) -> Result<Option<GrantConstraints>, WireError> {
    let Some(constraints) = input.object("Constraints")? else { return Ok(None) };
    Ok(Some(GrantConstraints {
        encryption_context_subset: constraints.context("EncryptionContextSubset")?,
        encryption_context_equals: constraints.context("EncryptionContextEquals")?,
    }))
}

/// Runs `operation` on `store` (already narrowed to the caller's principal) with `input`.
pub(crate) fn dispatch(store: &Keystead, operation: &str, input: &Input) -> Result<Body, WireError> {
    match operation {
        "CreateKey" => {
            refuse(input, &["CustomKeyStoreId", "XksKeyId"])?;
            let key_spec = match input.enumeration("KeySpec")? {
                Some(spec) => Some(spec),
                None => input.enumeration("CustomerMasterKeySpec")?,
            };
            let metadata = store.create_key(CreateKeyRequest {
                key_spec,
                key_usage: input.enumeration("KeyUsage")?,
                description: input.str("Description")?.map(str::to_owned),
                origin: input.enumeration("Origin")?,
                tags: input.tags("Tags")?.unwrap_or_default(),
                multi_region: input.bool("MultiRegion")?.unwrap_or(false),
                policy: input.str("Policy")?.map(str::to_owned),
                bypass_policy_lockout_safety_check: input.bool("BypassPolicyLockoutSafetyCheck")?.unwrap_or(false),
            })?;
            json(&KeyMetadataOut { key_metadata: metadata })
        }
        "DescribeKey" => json(&KeyMetadataOut { key_metadata: store.describe_key(input.req_str("KeyId")?)? }),
        "ListKeys" => {
            let page = store.list_keys(input.u32("Limit")?, input.str("Marker")?)?;
            json(&PageOut { items_name: "Keys", page: &page })
        }
        "UpdateKeyDescription" => {
            store.update_key_description(input.req_str("KeyId")?, input.req_str("Description")?)?;
            Ok(Body::Empty)
        }
        "TagResource" => {
            let tags = input.tags("Tags")?.ok_or_else(|| missing_member("Tags"))?;
            store.tag_resource(input.req_str("KeyId")?, &tags)?;
            Ok(Body::Empty)
        }
        "UntagResource" => {
            let keys = input.string_list("TagKeys")?.ok_or_else(|| missing_member("TagKeys"))?;
            store.untag_resource(input.req_str("KeyId")?, &keys)?;
            Ok(Body::Empty)
        }
        "ListResourceTags" => {
            let page = store.list_resource_tags(input.req_str("KeyId")?, input.u32("Limit")?, input.str("Marker")?)?;
            json(&PageOut { items_name: "Tags", page: &page })
        }
        "CreateAlias" => {
            store.create_alias(input.req_str("AliasName")?, input.req_str("TargetKeyId")?)?;
            Ok(Body::Empty)
        }
        "UpdateAlias" => {
            store.update_alias(input.req_str("AliasName")?, input.req_str("TargetKeyId")?)?;
            Ok(Body::Empty)
        }
        "DeleteAlias" => {
            store.delete_alias(input.req_str("AliasName")?)?;
            Ok(Body::Empty)
        }
        "ListAliases" => {
            let page = store.list_aliases(input.str("KeyId")?, input.u32("Limit")?, input.str("Marker")?)?;
            json(&PageOut { items_name: "Aliases", page: &page })
        }
        "EnableKey" => {
            store.enable_key(input.req_str("KeyId")?)?;
            Ok(Body::Empty)
        }
        "DisableKey" => {
            store.disable_key(input.req_str("KeyId")?)?;
            Ok(Body::Empty)
        }
        "ScheduleKeyDeletion" => {
            json(&store.schedule_key_deletion(input.req_str("KeyId")?, input.u32("PendingWindowInDays")?)?)
        }
        "CancelKeyDeletion" => json(&KeyIdOut { key_id: store.cancel_key_deletion(input.req_str("KeyId")?)? }),
        "EnableKeyRotation" => {
            store.enable_key_rotation(input.req_str("KeyId")?, input.u32("RotationPeriodInDays")?)?;
            Ok(Body::Empty)
        }
        "DisableKeyRotation" => {
            store.disable_key_rotation(input.req_str("KeyId")?)?;
            Ok(Body::Empty)
        }
        "GetKeyRotationStatus" => json(&store.get_key_rotation_status(input.req_str("KeyId")?)?),
        "RotateKeyOnDemand" => json(&KeyIdOut { key_id: store.rotate_key_on_demand(input.req_str("KeyId")?)? }),
        "ListKeyRotations" => {
            let page = store.list_key_rotations(
                input.req_str("KeyId")?,
                input.enumeration("IncludeKeyMaterial")?,
                input.u32("Limit")?,
                input.str("Marker")?,
            )?;
            json(&PageOut { items_name: "Rotations", page: &page })
        }
        "PutKeyPolicy" => {
            store.put_key_policy(
                input.req_str("KeyId")?,
                input.req_str("Policy")?,
                input.str("PolicyName")?,
                input.bool("BypassPolicyLockoutSafetyCheck")?.unwrap_or(false),
            )?;
            Ok(Body::Empty)
        }
        "GetKeyPolicy" => {
            let name = input.str("PolicyName")?;
            let policy = store.get_key_policy(input.req_str("KeyId")?, name)?;
            json(&PolicyOut { policy, policy_name: name.unwrap_or(keystead_core::DEFAULT_POLICY_NAME).to_owned() })
        }
        "ListKeyPolicies" => {
            // A key has one policy, "default": one page whatever Limit and Marker say.
            let _ = (input.u32("Limit")?, input.str("Marker")?);
            json(&PolicyNamesOut { policy_names: store.list_key_policies(input.req_str("KeyId")?)?, truncated: false })
        }
        "CreateGrant" => {
            let common = common(input)?;
            let operations = input
                .string_list("Operations")?
                .ok_or_else(|| missing_member("Operations"))?
                .iter()
                .map(|op| op.parse::<GrantOperation>())
                .collect::<Result<Vec<_>, _>>()?;
            let constraints = grant_constraints(input)?;
            json(&store.create_grant(CreateGrantRequest {
                key_id: input.req_str("KeyId")?,
                grantee_principal: input.req_str("GranteePrincipal")?,
                retiring_principal: input.str("RetiringPrincipal")?,
                operations: &operations,
                constraints: constraints.as_ref(),
                grant_tokens: &common.grant_tokens,
                name: input.str("Name")?,
                dry_run: common.dry_run,
            })?)
        }
        "ListGrants" => {
            let page = store.list_grants(
                input.req_str("KeyId")?,
                input.str("GrantId")?,
                input.str("GranteePrincipal")?,
                input.u32("Limit")?,
                input.str("Marker")?,
            )?;
            json(&PageOut { items_name: "Grants", page: &page })
        }
        "ListRetirableGrants" => {
            let page = store.list_retirable_grants(
                input.req_str("RetiringPrincipal")?,
                input.u32("Limit")?,
                input.str("Marker")?,
            )?;
            json(&PageOut { items_name: "Grants", page: &page })
        }
        "RetireGrant" => {
            let dry_run = common(input)?.dry_run;
            let grant = match (input.str("GrantToken")?, input.str("KeyId")?, input.str("GrantId")?) {
                (Some(token), _, _) => GrantRef::Token(token),
                (None, Some(key_id), Some(grant_id)) => GrantRef::Id { key_id, grant_id },
                _ => {
                    return Err(WireError::validation("RetireGrant needs either GrantToken, or both KeyId and GrantId"))
                }
            };
            store.retire_grant(grant, dry_run)?;
            Ok(Body::Empty)
        }
        "RevokeGrant" => {
            let dry_run = common(input)?.dry_run;
            store.revoke_grant(input.req_str("KeyId")?, input.req_str("GrantId")?, dry_run)?;
            Ok(Body::Empty)
        }
        "Encrypt" => {
            let common = common(input)?;
            let plaintext = input.req_blob("Plaintext")?;
            let context = input.context("EncryptionContext")?;
            json(&store.encrypt(EncryptRequest {
                key_id: input.req_str("KeyId")?,
                plaintext: &plaintext,
                encryption_context: context.as_ref(),
                encryption_algorithm: input.enumeration("EncryptionAlgorithm")?,
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?)
        }
        "Decrypt" => {
            let common = common(input)?;
            let blob = input.req_blob("CiphertextBlob")?;
            let context = input.context("EncryptionContext")?;
            let response = store.decrypt(DecryptRequest {
                ciphertext_blob: &blob,
                encryption_context: context.as_ref(),
                key_id: input.str("KeyId")?,
                encryption_algorithm: input.enumeration("EncryptionAlgorithm")?,
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?;
            let plaintext = secret_b64(response.plaintext.expose());
            secret_json(
                &DecryptOut {
                    key_id: &response.key_id,
                    plaintext: &plaintext,
                    encryption_algorithm: response.encryption_algorithm,
                    key_material_id: response.key_material_id.as_deref(),
                },
                plaintext.len(),
            )
        }
        "ReEncrypt" => {
            let common = common(input)?;
            let blob = input.req_blob("CiphertextBlob")?;
            let source = input.context("SourceEncryptionContext")?;
            let destination = input.context("DestinationEncryptionContext")?;
            json(&store.re_encrypt(ReEncryptRequest {
                ciphertext_blob: &blob,
                source_encryption_context: source.as_ref(),
                source_key_id: input.str("SourceKeyId")?,
                destination_key_id: input.req_str("DestinationKeyId")?,
                destination_encryption_context: destination.as_ref(),
                source_encryption_algorithm: input.enumeration("SourceEncryptionAlgorithm")?,
                destination_encryption_algorithm: input.enumeration("DestinationEncryptionAlgorithm")?,
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?)
        }
        "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            let common = common(input)?;
            let context = input.context("EncryptionContext")?;
            let request = GenerateDataKeyRequest {
                key_id: input.req_str("KeyId")?,
                encryption_context: context.as_ref(),
                key_spec: input.enumeration::<DataKeySpec>("KeySpec")?,
                number_of_bytes: input.u32("NumberOfBytes")?,
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            };
            if operation == "GenerateDataKeyWithoutPlaintext" {
                return json(&store.generate_data_key_without_plaintext(request)?);
            }
            let response = store.generate_data_key(request)?;
            let plaintext = secret_b64(response.plaintext.expose());
            secret_json(
                &DataKeyOut {
                    ciphertext_blob: b64(&response.ciphertext_blob),
                    plaintext: &plaintext,
                    key_id: &response.key_id,
                    key_material_id: &response.key_material_id,
                },
                plaintext.len() + response.ciphertext_blob.len() * 2,
            )
        }
        "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext" => {
            let common = common(input)?;
            let context = input.context("EncryptionContext")?;
            let request = GenerateDataKeyPairRequest {
                key_id: input.req_str("KeyId")?,
                encryption_context: context.as_ref(),
                key_pair_spec: Some(required_enum::<DataKeyPairSpec>(input, "KeyPairSpec")?),
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            };
            if operation == "GenerateDataKeyPairWithoutPlaintext" {
                return json(&store.generate_data_key_pair_without_plaintext(request)?);
            }
            let response = store.generate_data_key_pair(request)?;
            let private = secret_b64(response.private_key_plaintext.expose());
            secret_json(
                &DataKeyPairOut {
                    private_key_ciphertext_blob: b64(&response.private_key_ciphertext_blob),
                    private_key_plaintext: &private,
                    public_key: b64(&response.public_key),
                    key_id: &response.key_id,
                    key_pair_spec: response.key_pair_spec,
                    key_material_id: &response.key_material_id,
                },
                private.len() + (response.private_key_ciphertext_blob.len() + response.public_key.len()) * 2,
            )
        }
        "Sign" => {
            let common = common(input)?;
            let message = input.req_blob("Message")?;
            json(&store.sign(SignRequest {
                key_id: input.req_str("KeyId")?,
                message: &message,
                message_type: input.enumeration("MessageType")?,
                signing_algorithm: Some(required_enum(input, "SigningAlgorithm")?),
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?)
        }
        "Verify" => {
            let common = common(input)?;
            let message = input.req_blob("Message")?;
            let signature = input.req_blob("Signature")?;
            json(&store.verify(VerifyRequest {
                key_id: input.req_str("KeyId")?,
                message: &message,
                message_type: input.enumeration("MessageType")?,
                signature: &signature,
                signing_algorithm: Some(required_enum(input, "SigningAlgorithm")?),
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?)
        }
        "GetPublicKey" => {
            let grant_tokens = input.string_list("GrantTokens")?.unwrap_or_default();
            json(&store.get_public_key_with(GetPublicKeyRequest {
                key_id: input.req_str("KeyId")?,
                grant_tokens: &grant_tokens,
            })?)
        }
        "GenerateMac" => {
            let common = common(input)?;
            let message = input.req_blob("Message")?;
            json(&store.generate_mac(GenerateMacRequest {
                key_id: input.req_str("KeyId")?,
                message: &message,
                mac_algorithm: Some(required_enum(input, "MacAlgorithm")?),
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?)
        }
        "VerifyMac" => {
            let common = common(input)?;
            let message = input.req_blob("Message")?;
            let mac = input.req_blob("Mac")?;
            json(&store.verify_mac(VerifyMacRequest {
                key_id: input.req_str("KeyId")?,
                message: &message,
                mac: &mac,
                mac_algorithm: Some(required_enum(input, "MacAlgorithm")?),
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?)
        }
        "DeriveSharedSecret" => {
            let common = common(input)?;
            let public_key = input.req_blob("PublicKey")?;
            let response = store.derive_shared_secret(DeriveSharedSecretRequest {
                key_id: input.req_str("KeyId")?,
                key_agreement_algorithm: Some(required_enum(input, "KeyAgreementAlgorithm")?),
                public_key: &public_key,
                grant_tokens: &common.grant_tokens,
                dry_run: common.dry_run,
            })?;
            let secret = secret_b64(response.shared_secret.expose());
            secret_json(
                &SharedSecretOut {
                    key_id: &response.key_id,
                    shared_secret: &secret,
                    key_agreement_algorithm: response.key_agreement_algorithm,
                    key_origin: response.key_origin,
                },
                secret.len(),
            )
        }
        "GenerateRandom" => {
            refuse(input, &["CustomKeyStoreId", "Recipient"])?;
            let count = input.u32("NumberOfBytes")?.ok_or_else(|| missing_member("NumberOfBytes"))?;
            let bytes = store.generate_random(count)?;
            let plaintext = secret_b64(bytes.expose());
            secret_json(&RandomOut { plaintext: &plaintext }, plaintext.len())
        }
        "GetParametersForImport" => json(&store.get_parameters_for_import(
            input.req_str("KeyId")?,
            required_enum(input, "WrappingAlgorithm")?,
            required_enum(input, "WrappingKeySpec")?,
        )?),
        "ImportKeyMaterial" => {
            let import_token = input.req_blob("ImportToken")?;
            let wrapped = input.req_blob("EncryptedKeyMaterial")?;
            json(&store.import_key_material(ImportKeyMaterialRequest {
                key_id: input.req_str("KeyId")?,
                import_token: &import_token,
                encrypted_key_material: &wrapped,
                expiration_model: input.enumeration("ExpirationModel")?,
                valid_to: input.timestamp_ms("ValidTo")?,
                import_type: input.enumeration("ImportType")?,
                key_material_description: input.str("KeyMaterialDescription")?,
                key_material_id: input.str("KeyMaterialId")?,
            })?)
        }
        "DeleteImportedKeyMaterial" => {
            json(&store.delete_imported_key_material_with(input.req_str("KeyId")?, input.str("KeyMaterialId")?)?)
        }
        other => Err(unknown_operation(other)),
    }
}

fn missing_member(name: &str) -> WireError {
    let mut chars = name.chars();
    let path = chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default();
    WireError::validation(format!(
        "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
    ))
}

fn required_enum<T: std::str::FromStr<Err = keystead_core::Error>>(input: &Input, name: &str) -> Result<T, WireError> {
    input.enumeration(name)?.ok_or_else(|| missing_member(name))
}

/// AWS's answer to an `X-Amz-Target` it does not know.
pub(crate) fn unknown_operation(target: &str) -> WireError {
    WireError::new(400, "UnknownOperationException", format!("Unknown operation {target}"))
}
