//! The AWS KMS enums, spelled exactly as AWS spells them.
//!
//! Every enum lists all of AWS's values, even those whose behaviour a later part of Keystead adds,
//! so callers and bindings speak one vocabulary from the start. Parsing an unknown string is a
//! `ValidationException`, as AWS answers a value outside an enum.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Declares a closed enum whose values are AWS strings, with `as_str`, `FromStr`, `Display`,
/// serde as the string, and `ALL`.
macro_rules! aws_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in AWS's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The AWS spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(Error::validation(format!(
                        "Value '{}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                        text,
                        stringify!($name),
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(|e: Error| serde::de::Error::custom(e.message().to_owned()))
            }
        }
    };
}

aws_enum! {
    /// An operation a grant can allow (`GrantOperation`); `ReEncrypt` is split into its two halves.
    GrantOperation {
        /// Decrypt.
        Decrypt = "Decrypt",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// ReEncrypt with this key as the source.
        ReEncryptFrom = "ReEncryptFrom",
        /// ReEncrypt with this key as the destination.
        ReEncryptTo = "ReEncryptTo",
        /// Sign.
        Sign = "Sign",
        /// Verify.
        Verify = "Verify",
        /// GetPublicKey.
        GetPublicKey = "GetPublicKey",
        /// CreateGrant (a sub-grant of at most this grant's operations and constraints).
        CreateGrant = "CreateGrant",
        /// RetireGrant.
        RetireGrant = "RetireGrant",
        /// DescribeKey.
        DescribeKey = "DescribeKey",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// VerifyMac.
        VerifyMac = "VerifyMac",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// Encapsulate (ML-KEM keys, which Keystead does not offer yet).
        Encapsulate = "Encapsulate",
        /// Decapsulate (ML-KEM keys, which Keystead does not offer yet).
        Decapsulate = "Decapsulate",
    }
}

aws_enum! {
    /// The type of key material (`KeySpec`).
    KeySpec {
        /// RSA 2048-bit.
        Rsa2048 = "RSA_2048",
        /// RSA 3072-bit.
        Rsa3072 = "RSA_3072",
        /// RSA 4096-bit.
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// 256-bit AES-GCM, the default.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// HMAC with SHA-224.
        Hmac224 = "HMAC_224",
        /// HMAC with SHA-256.
        Hmac256 = "HMAC_256",
        /// HMAC with SHA-384.
        Hmac384 = "HMAC_384",
        /// HMAC with SHA-512.
        Hmac512 = "HMAC_512",
        /// SM2 (AWS China Regions only).
        Sm2 = "SM2",
        /// ML-DSA-44.
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65.
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87.
        MlDsa87 = "ML_DSA_87",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
}

aws_enum! {
    /// What a key may be used for (`KeyUsage`).
    KeyUsage {
        /// Encrypt and decrypt.
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        /// Sign and verify.
        SignVerify = "SIGN_VERIFY",
        /// Generate and verify MACs.
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
        /// Derive shared secrets (ECDH).
        KeyAgreement = "KEY_AGREEMENT",
        /// ML-KEM encapsulation.
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
}

aws_enum! {
    /// Where the key material came from (`Origin`).
    Origin {
        /// Generated by the store.
        AwsKms = "AWS_KMS",
        /// Imported by the caller (BYOK); the key starts in `PendingImport`.
        External = "EXTERNAL",
        /// A CloudHSM custom key store (not supported by Keystead).
        AwsCloudhsm = "AWS_CLOUDHSM",
        /// An external key store (not supported by Keystead).
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// The state of a key (`KeyState`).
    KeyState {
        /// Being created (multi-Region replicas only).
        Creating = "Creating",
        /// Usable.
        Enabled = "Enabled",
        /// Disabled by a caller; `EnableKey` brings it back.
        Disabled = "Disabled",
        /// Scheduled for deletion; `CancelKeyDeletion` brings it back as `Disabled`.
        PendingDeletion = "PendingDeletion",
        /// Waiting for imported key material.
        PendingImport = "PendingImport",
        /// A multi-Region primary waiting for its replicas to be deleted.
        PendingReplicaDeletion = "PendingReplicaDeletion",
        /// Its key store is unreachable.
        Unavailable = "Unavailable",
        /// Changing primary Region.
        Updating = "Updating",
    }
}

aws_enum! {
    /// Who manages a key (`KeyManager`).
    KeyManager {
        /// A service-managed key (`alias/aws/...` or `alias/managed/...`).
        Aws = "AWS",
        /// A customer managed key.
        Customer = "CUSTOMER",
    }
}

aws_enum! {
    /// Encryption algorithms (`EncryptionAlgorithmSpec`).
    EncryptionAlgorithm {
        /// AES-256-GCM under a per-call derived key (symmetric keys).
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// SM2 public-key encryption (China Regions only).
        Sm2pke = "SM2PKE",
    }
}

aws_enum! {
    /// Signing algorithms (`SigningAlgorithmSpec`).
    SigningAlgorithm {
        /// RSASSA-PSS with SHA-256.
        RsassaPssSha256 = "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS with SHA-384.
        RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS with SHA-512.
        RsassaPssSha512 = "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA with SHA-256.
        EcdsaSha256 = "ECDSA_SHA_256",
        /// ECDSA with SHA-384.
        EcdsaSha384 = "ECDSA_SHA_384",
        /// ECDSA with SHA-512.
        EcdsaSha512 = "ECDSA_SHA_512",
        /// SM2 signatures (China Regions only).
        Sm2dsa = "SM2DSA",
        /// ML-DSA (SHAKE-256).
        MlDsaShake256 = "ML_DSA_SHAKE_256",
        /// Ed25519 (pure).
        Ed25519Sha512 = "ED25519_SHA_512",
        /// Ed25519ph.
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
}

aws_enum! {
    /// MAC algorithms (`MacAlgorithmSpec`).
    MacAlgorithm {
        /// HMAC-SHA-224.
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC-SHA-256.
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC-SHA-384.
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC-SHA-512.
        HmacSha512 = "HMAC_SHA_512",
    }
}

aws_enum! {
    /// Key agreement algorithms (`KeyAgreementAlgorithmSpec`).
    KeyAgreementAlgorithm {
        /// Elliptic-curve cofactor Diffie-Hellman.
        Ecdh = "ECDH",
    }
}

aws_enum! {
    /// Data key lengths for `GenerateDataKey` (`DataKeySpec`).
    DataKeySpec {
        /// 256-bit AES key.
        Aes256 = "AES_256",
        /// 128-bit AES key.
        Aes128 = "AES_128",
    }
}

aws_enum! {
    /// Key specs for `GenerateDataKeyPair` (`DataKeyPairSpec`).
    DataKeyPairSpec {
        /// RSA 2048-bit.
        Rsa2048 = "RSA_2048",
        /// RSA 3072-bit.
        Rsa3072 = "RSA_3072",
        /// RSA 4096-bit.
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// SM2 (China Regions only).
        Sm2 = "SM2",
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
}

aws_enum! {
    /// How a Sign/Verify message is given (`MessageType`).
    MessageType {
        /// The message itself.
        Raw = "RAW",
        /// The message's digest.
        Digest = "DIGEST",
        /// ML-DSA's externally computed mu.
        ExternalMu = "EXTERNAL_MU",
    }
}

aws_enum! {
    /// Whether imported key material expires (`ExpirationModelType`).
    ExpirationModel {
        /// The material expires at `ValidTo`.
        KeyMaterialExpires = "KEY_MATERIAL_EXPIRES",
        /// The material never expires.
        KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}

aws_enum! {
    /// How imported key material is wrapped (`AlgorithmSpec` of GetParametersForImport).
    WrappingAlgorithm {
        /// RSA PKCS#1 v1.5 (AWS no longer accepts it for new imports).
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
        /// RSA-OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// An AES-256 key wrapped with RSA-OAEP SHA-1, the material wrapped with AES-KWP.
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        /// An AES-256 key wrapped with RSA-OAEP SHA-256, the material wrapped with AES-KWP.
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
        /// SM2 public-key encryption (China Regions only).
        Sm2pke = "SM2PKE",
    }
}

aws_enum! {
    /// The wrapping key GetParametersForImport returns (`WrappingKeySpec`).
    WrappingKeySpec {
        /// RSA 2048-bit.
        Rsa2048 = "RSA_2048",
        /// RSA 3072-bit.
        Rsa3072 = "RSA_3072",
        /// RSA 4096-bit.
        Rsa4096 = "RSA_4096",
        /// SM2 (China Regions only).
        Sm2 = "SM2",
    }
}

aws_enum! {
    /// How a rotation happened (`RotationType`).
    RotationType {
        /// On the automatic schedule.
        Automatic = "AUTOMATIC",
        /// Through `RotateKeyOnDemand`.
        OnDemand = "ON_DEMAND",
    }
}

aws_enum! {
    /// The state of one key material of a key (`KeyMaterialState`).
    KeyMaterialState {
        /// Decrypts only.
        NonCurrent = "NON_CURRENT",
        /// Encrypts and decrypts.
        Current = "CURRENT",
        /// Imported, waiting for an on-demand rotation.
        PendingRotation = "PENDING_ROTATION",
        /// Multi-Region import in progress.
        PendingMultiRegionImportAndRotation = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
    }
}

aws_enum! {
    /// Whether `ImportKeyMaterial` adds a material or brings back one the key already has
    /// (`ImportType`).
    ImportType {
        /// A material the key does not have yet (waits in `PENDING_ROTATION` unless it is the
        /// key's first).
        NewKeyMaterial = "NEW_KEY_MATERIAL",
        /// A material already associated with the key (after deletion or expiry, or to change
        /// its expiry).
        ExistingKeyMaterial = "EXISTING_KEY_MATERIAL",
    }
}

aws_enum! {
    /// Whether one material of an imported key is in the store (`ImportState` of
    /// `RotationsListEntry`).
    KeyMaterialImportState {
        /// The material is imported.
        Imported = "IMPORTED",
        /// The material was deleted or expired and must be imported again.
        PendingImport = "PENDING_IMPORT",
    }
}

aws_enum! {
    /// What `ListKeyRotations` includes (`IncludeKeyMaterial`).
    IncludeKeyMaterial {
        /// Every key material, including the first.
        AllKeyMaterial = "ALL_KEY_MATERIAL",
        /// Only completed rotations.
        RotationsOnly = "ROTATIONS_ONLY",
    }
}

impl KeySpec {
    /// The key usages AWS allows for this spec; the first is the default when none is given
    /// (only symmetric keys have a default; others must state their usage).
    pub fn allowed_usages(self) -> &'static [KeyUsage] {
        use KeyUsage::*;
        match self {
            Self::SymmetricDefault => &[EncryptDecrypt],
            Self::Hmac224 | Self::Hmac256 | Self::Hmac384 | Self::Hmac512 => &[GenerateVerifyMac],
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[EncryptDecrypt, SignVerify],
            Self::EccNistP256 | Self::EccNistP384 | Self::EccNistP521 => &[SignVerify, KeyAgreement],
            Self::EccSecgP256k1 | Self::EccNistEdwards25519 => &[SignVerify],
            Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => &[SignVerify],
            Self::MlKem512 | Self::MlKem768 | Self::MlKem1024 => &[EncapsulateDecapsulate],
            Self::Sm2 => &[EncryptDecrypt, SignVerify, KeyAgreement],
        }
    }

    /// True when this build can create keys of this spec (ML-DSA needs the vendored OpenSSL 3.5+;
    /// SM2 and ML-KEM are not supported).
    pub fn is_supported(self) -> bool {
        crate::crypto::asymmetric::is_supported(self)
    }

    /// True for `SYMMETRIC_DEFAULT`.
    pub fn is_symmetric_encryption(self) -> bool {
        self == Self::SymmetricDefault
    }

    /// The broad key type AWS compares in `UpdateAlias` (symmetric, asymmetric, HMAC).
    pub fn family(self) -> KeyFamily {
        match self {
            Self::SymmetricDefault => KeyFamily::Symmetric,
            Self::Hmac224 | Self::Hmac256 | Self::Hmac384 | Self::Hmac512 => KeyFamily::Hmac,
            _ => KeyFamily::Asymmetric,
        }
    }
}

impl KeySpec {
    /// The encryption algorithms AWS lists for this spec with usage ENCRYPT_DECRYPT.
    pub fn encryption_algorithms(self) -> &'static [EncryptionAlgorithm] {
        use EncryptionAlgorithm::*;
        match self {
            Self::SymmetricDefault => &[SymmetricDefault],
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[RsaesOaepSha1, RsaesOaepSha256],
            Self::Sm2 => &[Sm2pke],
            _ => &[],
        }
    }

    /// The signing algorithms AWS lists for this spec with usage SIGN_VERIFY.
    pub fn signing_algorithms(self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm::*;
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[
                RsassaPkcs1V15Sha256,
                RsassaPkcs1V15Sha384,
                RsassaPkcs1V15Sha512,
                RsassaPssSha256,
                RsassaPssSha384,
                RsassaPssSha512,
            ],
            Self::EccNistP256 | Self::EccSecgP256k1 => &[EcdsaSha256],
            Self::EccNistP384 => &[EcdsaSha384],
            Self::EccNistP521 => &[EcdsaSha512],
            Self::EccNistEdwards25519 => &[Ed25519Sha512, Ed25519PhSha512],
            Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => &[MlDsaShake256],
            Self::Sm2 => &[Sm2dsa],
            _ => &[],
        }
    }

    /// The MAC algorithm of an HMAC spec.
    pub fn mac_algorithms(self) -> &'static [MacAlgorithm] {
        match self {
            Self::Hmac224 => &[MacAlgorithm::HmacSha224],
            Self::Hmac256 => &[MacAlgorithm::HmacSha256],
            Self::Hmac384 => &[MacAlgorithm::HmacSha384],
            Self::Hmac512 => &[MacAlgorithm::HmacSha512],
            _ => &[],
        }
    }

    /// The key agreement algorithms of this spec with usage KEY_AGREEMENT.
    pub fn key_agreement_algorithms(self) -> &'static [KeyAgreementAlgorithm] {
        match self {
            Self::EccNistP256 | Self::EccNistP384 | Self::EccNistP521 | Self::Sm2 => &[KeyAgreementAlgorithm::Ecdh],
            _ => &[],
        }
    }
}

impl SigningAlgorithm {
    /// Length in bytes of the digest a `DIGEST` message must have, if the algorithm hashes.
    pub fn digest_len(self) -> Option<usize> {
        use SigningAlgorithm::*;
        match self {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 | Sm2dsa => Some(32),
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(48),
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => Some(64),
            Ed25519Sha512 | MlDsaShake256 => None,
        }
    }
}

impl DataKeyPairSpec {
    /// The key spec of the same name.
    pub fn key_spec(self) -> KeySpec {
        match self {
            Self::Rsa2048 => KeySpec::Rsa2048,
            Self::Rsa3072 => KeySpec::Rsa3072,
            Self::Rsa4096 => KeySpec::Rsa4096,
            Self::EccNistP256 => KeySpec::EccNistP256,
            Self::EccNistP384 => KeySpec::EccNistP384,
            Self::EccNistP521 => KeySpec::EccNistP521,
            Self::EccSecgP256k1 => KeySpec::EccSecgP256k1,
            Self::Sm2 => KeySpec::Sm2,
            Self::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
            Self::MlKem512 => KeySpec::MlKem512,
            Self::MlKem768 => KeySpec::MlKem768,
            Self::MlKem1024 => KeySpec::MlKem1024,
        }
    }
}

/// The broad type of a key, as `UpdateAlias` compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    /// `SYMMETRIC_DEFAULT`.
    Symmetric,
    /// RSA, ECC, Ed25519, ML-DSA, ML-KEM, SM2.
    Asymmetric,
    /// `HMAC_*`.
    Hmac,
}

impl DataKeySpec {
    /// Length of the data key in bytes.
    pub const fn byte_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes256 => 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip() {
        for spec in KeySpec::ALL {
            assert_eq!(spec.as_str().parse::<KeySpec>().ok(), Some(*spec));
        }
        assert_eq!(KeyState::PendingDeletion.as_str(), "PendingDeletion");
        let err = "AES_512".parse::<DataKeySpec>().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Validation);
        assert!(err.message().contains("AES_256, AES_128"), "{}", err.message());
    }

    #[test]
    fn serde_uses_aws_strings() {
        let json = serde_json::to_string(&KeyUsage::EncryptDecrypt).unwrap();
        assert_eq!(json, "\"ENCRYPT_DECRYPT\"");
        let back: KeyUsage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, KeyUsage::EncryptDecrypt);
    }
}
