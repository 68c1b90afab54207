//! # Keystead core
//!
//! AWS KMS as an embeddable library: keys with AWS's names, states, limits and errors, kept in
//! an encrypted, crash-safe store that many threads and processes can share.
//!
//! ## Guarantees
//! - Key material never leaves this crate in the clear except as data keys and plaintexts the
//!   caller asked for; it is zeroized on drop, never printed, and sealed at rest under the
//!   store's root key (AES-256-GCM, bound to key id, version and record kind).
//! - Every state change is one transaction: a crash at any instant leaves the store as before
//!   or as after.
//! - Every failure is an [`Error`] whose [`ErrorKind`] is named after the AWS KMS exception.
//!
//! ## Getting started
//! ```
//! use keystead_core::{Keystead, CreateKeyRequest, EncryptRequest, DecryptRequest, EncryptionContext};
//!
//! # fn main() -> keystead_core::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("keystead-doc-{}", std::process::id()));
//! let store = Keystead::open(&dir)?;
//! let key = store.create_key(CreateKeyRequest { description: Some("orders".into()), ..Default::default() })?;
//! let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
//! let sealed = store.encrypt(EncryptRequest {
//!     key_id: &key.key_id,
//!     plaintext: b"4111 1111 1111 1111",
//!     encryption_context: Some(&context),
//!     ..Default::default()
//! })?;
//! let opened = store.decrypt(DecryptRequest {
//!     ciphertext_blob: &sealed.ciphertext_blob,
//!     encryption_context: Some(&context),
//!     ..Default::default()
//! })?;
//! assert_eq!(opened.plaintext.expose(), b"4111 1111 1111 1111");
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod audit;
mod calls;
pub mod clock;
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod keys;
mod keystead;
pub mod metrics;
pub mod policy;
pub mod secret;
pub mod store;

pub use audit::{AuditEvent, AuditKeys, AuditLog, AuditOptions, AuditPublicKey, Durability};
pub use clock::{Clock, ManualClock, Millis, SystemClock, DAY_MS};
pub use crypto::context::{canonical_context, EncryptionContext};
pub use crypto::signing::{
    DeriveSharedSecretRequest, DeriveSharedSecretResponse, GenerateMacRequest, GenerateMacResponse,
    GetPublicKeyRequest, GetPublicKeyResponse, SignRequest, SignResponse, VerifyMacRequest, VerifyMacResponse,
    VerifyRequest, VerifyResponse,
};
pub use crypto::symmetric::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyPairRequest,
    GenerateDataKeyPairResponse, GenerateDataKeyPairWithoutPlaintextResponse, GenerateDataKeyRequest,
    GenerateDataKeyResponse, GenerateDataKeyWithoutPlaintextResponse, ReEncryptRequest, ReEncryptResponse,
};
pub use error::{Error, ErrorKind, Result};
pub use keys::id::StoreIdentity;
pub use keys::import::{GetParametersForImportResponse, ImportKeyMaterialRequest, ImportedKeyMaterialResponse};
pub use keys::lifecycle::CreateKeyRequest;
pub use keys::metadata::{
    AliasListEntry, KeyListEntry, KeyMetadata, KeyRotationStatus, Page, RotationsListEntry,
    ScheduleKeyDeletionResponse, Tag,
};
pub use keys::record::GrantConstraints;
pub use keys::spec::{
    DataKeyPairSpec, DataKeySpec, EncryptionAlgorithm, ExpirationModel, GrantOperation, ImportType, IncludeKeyMaterial,
    KeyAgreementAlgorithm, KeyManager, KeyMaterialImportState, KeyMaterialState, KeySpec, KeyState, KeyUsage,
    MacAlgorithm, MessageType, Origin, RotationType, SigningAlgorithm, WrappingAlgorithm, WrappingKeySpec,
};
pub use keystead::{
    Keystead, KeysteadBuilder, DATABASE_FILE_NAME, DEFAULT_ACCOUNT_ID, DEFAULT_CACHE_CAPACITY, DEFAULT_REGION,
};
pub use metrics::{Metrics, MetricsSnapshot, Outcome};
pub use policy::access_keys::{AccessKey, NewAccessKey};
pub use policy::authorize::{Explanation, DEFAULT_POLICY_NAME};
pub use policy::grants::{
    ConstraintsEntry, CreateGrantRequest, CreateGrantResponse, GrantListEntry, GrantRef, MAX_GRANTS_PER_KEY,
};
pub use policy::principal::Principal;
pub use secret::SecretBytes;
pub use store::rootkey::{RootKeySource, DEFAULT_ENV_VAR, KEY_FILE_NAME};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    /// The handle is shared between threads by design; this fails to compile if it stops being
    /// `Send + Sync`.
    #[test]
    fn keystead_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<crate::Keystead>();
    }
}
