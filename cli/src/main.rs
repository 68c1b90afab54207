//! `keystead`: the AWS KMS command line (`aws kms ...`) over a local Keystead store.
//!
//! Commands, arguments, JSON output and error lines mirror aws-cli v2: blobs are base64 text,
//! `fileb://PATH` or `-` (stdin); service errors print
//! `An error occurred (<Exception>) when calling the <Operation> operation: <message>` and exit
//! 254; usage errors exit 252.

mod access;
mod audit;
mod files;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use keystead_core::{
    AccessKey, CreateKeyRequest, DataKeyPairSpec, DataKeySpec, DecryptRequest, DeriveSharedSecretRequest,
    EncryptRequest, EncryptionAlgorithm, EncryptionContext, Error, ExpirationModel, GenerateDataKeyPairRequest,
    GenerateDataKeyRequest, GenerateMacRequest, ImportKeyMaterialRequest, ImportType, IncludeKeyMaterial,
    KeyAgreementAlgorithm, KeySpec, KeyUsage, Keystead, MacAlgorithm, MessageType, Millis, Origin, Page,
    ReEncryptRequest, RootKeySource, SecretBytes, SignRequest, SigningAlgorithm, Tag, VerifyMacRequest, VerifyRequest,
    WrappingAlgorithm, WrappingKeySpec, DATABASE_FILE_NAME,
};
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

/// Exit status of a service error (aws-cli's code).
const EXIT_SERVICE_ERROR: u8 = 254;
/// Exit status of a usage or parameter error (aws-cli's code).
const EXIT_USAGE: u8 = 252;
/// Exit status of any other failure (aws-cli's general error code).
const EXIT_OTHER: u8 = 255;

/// Default store folder when neither `--store` nor `KEYSTEAD_STORE` is given.
const DEFAULT_STORE: &str = "keystead-store";

#[derive(Parser, Debug)]
#[command(
    name = "keystead",
    version,
    about = "AWS KMS on your machine: the `aws kms` commands over a local Keystead store"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct GlobalArgs {
    /// Store folder [default: $KEYSTEAD_STORE or ./keystead-store]
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Root key: a passphrase read from this environment variable
    #[arg(long, global = true, value_name = "VAR", conflicts_with = "root_key_env")]
    passphrase_env: Option<String>,
    /// Root key: base64 of 32 bytes read from this environment variable
    #[arg(long, global = true, value_name = "VAR")]
    root_key_env: Option<String>,
    /// Region of a new store [default: us-east-1]
    #[arg(long, global = true)]
    region: Option<String>,
    /// Account id of a new store [default: 111122223333]
    #[arg(long, global = true)]
    account_id: Option<String>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Json)]
    output: OutputFormat,
    /// Print only this field of the response (`Field`, `Field.Sub`, `List[0].Field`)
    #[arg(long, global = true, value_name = "FIELD")]
    query: Option<String>,
    /// Make the call as this principal (key policies and grants decide) [default: the store's
    /// account principal arn:aws:iam::<account>:root]
    #[arg(long, global = true, value_name = "ARN")]
    as_principal: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Json,
    Text,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create (or open) the store and print its identity
    Init,
    /// Create a KMS key
    CreateKey {
        #[arg(long)]
        description: Option<String>,
        /// TagKey=k,TagValue=v (repeatable) or a JSON list of tags
        #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
        tags: Vec<String>,
        #[arg(long)]
        key_spec: Option<String>,
        #[arg(long)]
        key_usage: Option<String>,
        #[arg(long)]
        origin: Option<String>,
        #[arg(long)]
        multi_region: bool,
        /// The key policy (JSON text or file://PATH) [default: AWS's default key policy]
        #[arg(long)]
        policy: Option<String>,
        /// Accept a policy that would not let you change it later
        #[arg(long)]
        bypass_policy_lockout_safety_check: bool,
    },
    /// Describe a key
    DescribeKey {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// List keys
    ListKeys(ListArgs),
    /// Replace a key's description
    UpdateKeyDescription {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        #[arg(long)]
        description: String,
    },
    /// Add or overwrite tags
    TagResource {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        #[arg(long, required = true, num_args = 1.., action = clap::ArgAction::Append)]
        tags: Vec<String>,
    },
    /// Remove tags
    UntagResource {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// Tag keys (space separated, or a JSON list)
        #[arg(long, required = true, num_args = 1.., action = clap::ArgAction::Append)]
        tag_keys: Vec<String>,
    },
    /// List a key's tags
    ListResourceTags {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create an alias
    CreateAlias {
        #[arg(long)]
        alias_name: String,
        #[arg(long)]
        target_key_id: String,
    },
    /// Point an alias at another key
    UpdateAlias {
        #[arg(long)]
        alias_name: String,
        #[arg(long)]
        target_key_id: String,
    },
    /// Delete an alias
    DeleteAlias {
        #[arg(long)]
        alias_name: String,
    },
    /// List aliases (of one key with --key-id)
    ListAliases {
        #[arg(long)]
        key_id: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Enable a key
    EnableKey {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// Disable a key
    DisableKey {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// Schedule a key's deletion
    ScheduleKeyDeletion {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        #[arg(long)]
        pending_window_in_days: Option<u32>,
    },
    /// Cancel a scheduled deletion (the key becomes Disabled)
    CancelKeyDeletion {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// Turn on automatic rotation
    EnableKeyRotation {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        #[arg(long)]
        rotation_period_in_days: Option<u32>,
    },
    /// Turn off automatic rotation
    DisableKeyRotation {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// Show the rotation status
    GetKeyRotationStatus {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// Rotate a key now
    RotateKeyOnDemand {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// List a key's rotations
    ListKeyRotations {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// ALL_KEY_MATERIAL or ROTATIONS_ONLY
        #[arg(long)]
        include_key_material: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Encrypt up to 4096 bytes
    Encrypt {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        plaintext: String,
        /// k=v,k2=v2 or a JSON object
        #[arg(long)]
        encryption_context: Option<String>,
        /// SYMMETRIC_DEFAULT (the default)
        #[arg(long)]
        encryption_algorithm: Option<String>,
    },
    /// Decrypt a ciphertext blob
    Decrypt {
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        ciphertext_blob: String,
        /// k=v,k2=v2 or a JSON object
        #[arg(long)]
        encryption_context: Option<String>,
        #[arg(long)]
        key_id: Option<String>,
        /// SYMMETRIC_DEFAULT (the default)
        #[arg(long)]
        encryption_algorithm: Option<String>,
    },
    /// Decrypt and encrypt again under another key or context
    ReEncrypt {
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        ciphertext_blob: String,
        /// k=v,k2=v2 or a JSON object
        #[arg(long)]
        source_encryption_context: Option<String>,
        #[arg(long)]
        source_key_id: Option<String>,
        #[arg(long)]
        destination_key_id: String,
        /// k=v,k2=v2 or a JSON object
        #[arg(long)]
        destination_encryption_context: Option<String>,
        /// SYMMETRIC_DEFAULT (the default)
        #[arg(long)]
        source_encryption_algorithm: Option<String>,
        /// SYMMETRIC_DEFAULT (the default)
        #[arg(long)]
        destination_encryption_algorithm: Option<String>,
    },
    /// Generate a data key (plaintext and encrypted copy)
    GenerateDataKey(DataKeyArgs),
    /// Generate a data key (encrypted copy only)
    GenerateDataKeyWithoutPlaintext(DataKeyArgs),
    /// Generate a data key pair (plaintext private key, encrypted copy and public key)
    GenerateDataKeyPair(DataKeyPairArgs),
    /// Generate a data key pair (encrypted private key and public key only)
    GenerateDataKeyPairWithoutPlaintext(DataKeyPairArgs),
    /// Sign a message or digest with an asymmetric SIGN_VERIFY key
    Sign {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        message: String,
        /// RAW (the default) or DIGEST
        #[arg(long)]
        message_type: Option<String>,
        /// e.g. ECDSA_SHA_256, RSASSA_PSS_SHA_256, ED25519_SHA_512, ML_DSA_SHAKE_256
        #[arg(long)]
        signing_algorithm: String,
    },
    /// Verify a signature made with an asymmetric SIGN_VERIFY key
    Verify {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        message: String,
        /// RAW (the default) or DIGEST
        #[arg(long)]
        message_type: Option<String>,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        signature: String,
        /// The algorithm the signature was made with
        #[arg(long)]
        signing_algorithm: String,
    },
    /// Print the public key of an asymmetric key (base64 DER SubjectPublicKeyInfo)
    GetPublicKey {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
    },
    /// Compute an HMAC with a GENERATE_VERIFY_MAC key
    GenerateMac {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        message: String,
        /// HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384 or HMAC_SHA_512
        #[arg(long)]
        mac_algorithm: String,
    },
    /// Verify an HMAC made with a GENERATE_VERIFY_MAC key
    VerifyMac {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        message: String,
        /// HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384 or HMAC_SHA_512
        #[arg(long)]
        mac_algorithm: String,
        /// base64, fileb://PATH or - (stdin)
        #[arg(long)]
        mac: String,
    },
    /// Derive an ECDH shared secret between a KEY_AGREEMENT key and a peer public key
    DeriveSharedSecret {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// ECDH
        #[arg(long)]
        key_agreement_algorithm: String,
        /// The peer's public key, DER SubjectPublicKeyInfo: base64, fileb://PATH or - (stdin)
        #[arg(long)]
        public_key: String,
    },
    /// Random bytes
    GenerateRandom {
        #[arg(long)]
        number_of_bytes: u32,
    },
    /// Get a wrapping public key and an import token (valid 24 hours) for an EXTERNAL key
    GetParametersForImport {
        /// Key id or key ARN of a key created with --origin EXTERNAL
        #[arg(long)]
        key_id: String,
        /// RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1
        #[arg(long)]
        wrapping_algorithm: String,
        /// RSA_2048, RSA_3072 or RSA_4096
        #[arg(long)]
        wrapping_key_spec: String,
    },
    /// Import key material wrapped with the public key of get-parameters-for-import
    ImportKeyMaterial {
        /// Key id or key ARN of a key created with --origin EXTERNAL
        #[arg(long)]
        key_id: String,
        /// The ImportToken: base64, fileb://PATH or - (stdin)
        #[arg(long)]
        import_token: String,
        /// The wrapped material: base64, fileb://PATH or - (stdin)
        #[arg(long)]
        encrypted_key_material: String,
        /// KEY_MATERIAL_EXPIRES (the default; needs --valid-to) or KEY_MATERIAL_DOES_NOT_EXPIRE
        #[arg(long)]
        expiration_model: Option<String>,
        /// When the material expires: ISO 8601 (2030-01-31T12:00:00Z; UTC when no offset) or
        /// epoch seconds
        #[arg(long, value_name = "TIMESTAMP")]
        valid_to: Option<String>,
        /// Symmetric keys: NEW_KEY_MATERIAL (waits in PENDING_ROTATION for rotate-key-on-demand)
        /// or EXISTING_KEY_MATERIAL (the default after the key's first import)
        #[arg(long)]
        import_type: Option<String>,
        /// Symmetric keys: a description of the material (kept when omitted on re-import)
        #[arg(long)]
        key_material_description: Option<String>,
        /// Symmetric keys, not with NEW_KEY_MATERIAL: the KeyMaterialId the material must have
        #[arg(long)]
        key_material_id: Option<String>,
    },
    /// Delete a key's imported material (the key returns to PendingImport)
    DeleteImportedKeyMaterial {
        /// Key id or key ARN of a key created with --origin EXTERNAL
        #[arg(long)]
        key_id: String,
        /// The material to delete (default: the current one)
        #[arg(long)]
        key_material_id: Option<String>,
    },
    /// Serve the AWS KMS API (JSON 1.1 + SigV4) over this store, for AWS SDKs and the aws CLI
    ///
    /// Settings: flags, then KEYSTEAD_* environment variables, then the TOML file
    /// (see server/README.md). Stops gracefully on SIGTERM or Ctrl-C.
    Serve {
        /// Store folder [default: $KEYSTEAD_DATA_DIR, data_dir in the config file, or --store]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Address to listen on [default: $KEYSTEAD_LISTEN or 127.0.0.1:7600; port 0 picks a free port]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// TOML configuration file [default: $KEYSTEAD_CONFIG]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Serve HTTPS with this PEM certificate chain (server certificate first) [default: $KEYSTEAD_TLS_CERT]
        #[arg(long, value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert (unencrypted) [default: $KEYSTEAD_TLS_KEY]
        #[arg(long, value_name = "PEM")]
        tls_key: Option<PathBuf>,
    },
    /// Manage the access keys (SigV4 credentials) of a Keystead server
    #[command(subcommand)]
    AccessKey(AccessKeyCommand),
    /// Verify and read the audit log (needs no root key)
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Re-seal every key material under a new root key (default: a new key file)
    RotateRootKey {
        /// New root key: a passphrase read from this environment variable
        #[arg(long, value_name = "VAR", conflicts_with = "new_root_key_env")]
        new_passphrase_env: Option<String>,
        /// New root key: base64 of 32 bytes read from this environment variable
        #[arg(long, value_name = "VAR")]
        new_root_key_env: Option<String>,
    },
    #[command(flatten)]
    Files(files::FileCommand),
    #[command(flatten)]
    Access(access::AccessCommand),
}

#[derive(Subcommand, Debug)]
enum AccessKeyCommand {
    /// Create an access key for a principal; its secret is shown only this once
    Create {
        /// The principal ARN its requests act as, e.g. arn:aws:iam::111122223333:role/checkout
        #[arg(long)]
        principal: String,
    },
    /// Add an existing access key id and secret (the secret read from an environment variable)
    Add {
        /// The access key id (16 to 128 characters of [A-Za-z0-9_], e.g. AKIAIOSFODNN7EXAMPLE)
        #[arg(long)]
        access_key_id: String,
        /// The environment variable holding the secret access key (never passed on the command line)
        #[arg(long, value_name = "VAR")]
        secret_access_key_env: String,
        /// The principal ARN its requests act as
        #[arg(long)]
        principal: String,
    },
    /// List access keys (without secrets)
    List,
    /// Delete an access key
    Delete {
        /// The access key id
        #[arg(long)]
        access_key_id: String,
    },
}

#[derive(Args, Debug)]
struct ListArgs {
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    marker: Option<String>,
}

#[derive(Args, Debug)]
struct DataKeyArgs {
    /// Key id, key ARN, alias name or alias ARN
    #[arg(long)]
    key_id: String,
    /// k=v,k2=v2 or a JSON object
    #[arg(long)]
    encryption_context: Option<String>,
    /// AES_256 or AES_128
    #[arg(long)]
    key_spec: Option<String>,
    #[arg(long)]
    number_of_bytes: Option<u32>,
}

#[derive(Args, Debug)]
struct DataKeyPairArgs {
    /// Key id, key ARN, alias name or alias ARN of a symmetric encryption key
    #[arg(long)]
    key_id: String,
    /// RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, ...
    #[arg(long)]
    key_pair_spec: String,
    /// k=v,k2=v2 or a JSON object
    #[arg(long)]
    encryption_context: Option<String>,
}

impl Command {
    /// The AWS operation name used in error lines.
    fn operation(&self) -> &'static str {
        match self {
            Self::Init => "Init",
            Self::CreateKey { .. } => "CreateKey",
            Self::DescribeKey { .. } => "DescribeKey",
            Self::ListKeys(_) => "ListKeys",
            Self::UpdateKeyDescription { .. } => "UpdateKeyDescription",
            Self::TagResource { .. } => "TagResource",
            Self::UntagResource { .. } => "UntagResource",
            Self::ListResourceTags { .. } => "ListResourceTags",
            Self::CreateAlias { .. } => "CreateAlias",
            Self::UpdateAlias { .. } => "UpdateAlias",
            Self::DeleteAlias { .. } => "DeleteAlias",
            Self::ListAliases { .. } => "ListAliases",
            Self::EnableKey { .. } => "EnableKey",
            Self::DisableKey { .. } => "DisableKey",
            Self::ScheduleKeyDeletion { .. } => "ScheduleKeyDeletion",
            Self::CancelKeyDeletion { .. } => "CancelKeyDeletion",
            Self::EnableKeyRotation { .. } => "EnableKeyRotation",
            Self::DisableKeyRotation { .. } => "DisableKeyRotation",
            Self::GetKeyRotationStatus { .. } => "GetKeyRotationStatus",
            Self::RotateKeyOnDemand { .. } => "RotateKeyOnDemand",
            Self::ListKeyRotations { .. } => "ListKeyRotations",
            Self::Encrypt { .. } => "Encrypt",
            Self::Decrypt { .. } => "Decrypt",
            Self::ReEncrypt { .. } => "ReEncrypt",
            Self::GenerateDataKey(_) => "GenerateDataKey",
            Self::GenerateDataKeyWithoutPlaintext(_) => "GenerateDataKeyWithoutPlaintext",
            Self::GenerateDataKeyPair(_) => "GenerateDataKeyPair",
            Self::GenerateDataKeyPairWithoutPlaintext(_) => "GenerateDataKeyPairWithoutPlaintext",
            Self::Sign { .. } => "Sign",
            Self::Verify { .. } => "Verify",
            Self::GetPublicKey { .. } => "GetPublicKey",
            Self::GenerateMac { .. } => "GenerateMac",
            Self::VerifyMac { .. } => "VerifyMac",
            Self::DeriveSharedSecret { .. } => "DeriveSharedSecret",
            Self::GenerateRandom { .. } => "GenerateRandom",
            Self::GetParametersForImport { .. } => "GetParametersForImport",
            Self::ImportKeyMaterial { .. } => "ImportKeyMaterial",
            Self::DeleteImportedKeyMaterial { .. } => "DeleteImportedKeyMaterial",
            Self::Serve { .. } => "Serve",
            Self::AccessKey(AccessKeyCommand::Create { .. }) => "CreateAccessKey",
            Self::AccessKey(AccessKeyCommand::Add { .. }) => "AddAccessKey",
            Self::AccessKey(AccessKeyCommand::List) => "ListAccessKeys",
            Self::AccessKey(AccessKeyCommand::Delete { .. }) => "DeleteAccessKey",
            Self::RotateRootKey { .. } => "RotateRootKey",
            Self::Audit(command) => command.operation(),
            Self::Files(command) => command.operation(),
            Self::Access(command) => command.operation(),
        }
    }
}

/// Why a command failed.
enum Failure {
    /// A Keystead (service) error.
    Service(Error),
    /// A bad parameter value, found before calling the service.
    Usage(String),
    /// Anything else (missing store, I/O).
    Other(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Service(error)
    }
}

type CliResult<T> = Result<T, Failure>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { ExitCode::from(EXIT_USAGE) } else { ExitCode::SUCCESS };
        }
    };
    if let Command::Audit(command) = &cli.command {
        return audit::main(command, &store_dir(&cli.global), &|| {
            open_store(&cli.global, false).map(|(store, _)| store).map_err(|failure| match failure {
                Failure::Service(error) => error.message().to_owned(),
                Failure::Usage(message) | Failure::Other(message) => message,
            })
        });
    }
    let operation = cli.command.operation();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Service(error)) => {
            eprintln!(
                "\nAn error occurred ({}) when calling the {operation} operation: {}",
                error.kind().exception_name(),
                error.message()
            );
            ExitCode::from(EXIT_SERVICE_ERROR)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("\n{message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Other(message)) => {
            eprintln!("\n{message}");
            ExitCode::from(EXIT_OTHER)
        }
    }
}

/// The store folder: `--store`, else `$KEYSTEAD_STORE`, else `./keystead-store`.
fn store_dir(global: &GlobalArgs) -> PathBuf {
    if let Some(dir) = &global.store {
        return dir.clone();
    }
    match std::env::var_os("KEYSTEAD_STORE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_STORE),
    }
}

/// Reads a passphrase from an environment variable.
fn passphrase_from_env(var: &str) -> CliResult<SecretBytes> {
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => Ok(SecretBytes::new(value.into_encoded_bytes())),
        _ => Err(Failure::Usage(format!(
            "The environment variable {var} (named by a passphrase option) is not set or empty"
        ))),
    }
}

/// Reads a secret access key from the environment variable named by `--secret-access-key-env`.
fn secret_from_env(var: &str) -> CliResult<SecretBytes> {
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => Ok(SecretBytes::new(value.into_encoded_bytes())),
        _ => Err(Failure::Usage(format!(
            "The environment variable {var} (named by --secret-access-key-env) is not set or empty"
        ))),
    }
}

/// Parses a timestamp parameter like aws-cli: epoch seconds (`1767225600`, `1767225600.5`) or
/// ISO 8601 (`2030-01-31`, `2030-01-31T12:00`, `2030-01-31T12:00:00.250Z`,
/// `2030-01-31 12:00:00+02:00`); without an offset the time is UTC. Returns epoch milliseconds.
fn parse_timestamp(name: &str, value: &str) -> CliResult<Millis> {
    let bad = || {
        Failure::Usage(format!(
            "Error parsing parameter '{name}': Invalid timestamp value: {value} (expected ISO 8601, e.g. \
             2030-01-31T12:00:00Z, or epoch seconds)"
        ))
    };
    let text = value.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds: f64 = text.parse().map_err(|_| bad())?;
        if !seconds.is_finite() || seconds > 253_402_300_799.0 {
            return Err(bad());
        }
        // In range (checked above), so the conversion is exact to the millisecond.
        return Ok((seconds * 1000.0).round() as Millis);
    }
    let number = |s: &str, len: usize| -> CliResult<i64> {
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let (year, month, day) = (number(y, 4)?, number(m, 2)?, number(d, 2)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[(month - 1) as usize] {
        return Err(bad());
    }
    let (mut seconds_of_day, mut millis, mut offset_seconds) = (0i64, 0i64, 0i64);
    if let Some(rest) = rest {
        let (time, offset) = if let Some(time) = rest.strip_suffix(['Z', 'z']) {
            (time, None)
        } else if let Some(at) = rest.rfind(['+', '-']) {
            (&rest[..at], Some(&rest[at..]))
        } else {
            (rest, None)
        };
        let (clock, fraction) = match time.split_once('.') {
            Some((clock, fraction)) => (clock, Some(fraction)),
            None => (time, None),
        };
        let fields: Vec<&str> = clock.split(':').collect();
        let (hour, minute, second) = match fields.as_slice() {
            [h, m] => (number(h, 2)?, number(m, 2)?, 0),
            [h, m, s] => (number(h, 2)?, number(m, 2)?, number(s, 2)?),
            _ => return Err(bad()),
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad());
        }
        seconds_of_day = hour * 3600 + minute * 60 + second;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let padded = format!("{fraction:0<3}");
            millis = number(&padded[..3], 3)?;
        }
        if let Some(offset) = offset {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let digits = &offset[1..];
            let (oh, om) = match digits.split_once(':') {
                Some((h, m)) => (number(h, 2)?, number(m, 2)?),
                None if digits.len() == 4 => (number(&digits[..2], 2)?, number(&digits[2..], 2)?),
                None => (number(digits, 2)?, 0),
            };
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            offset_seconds = sign * (oh * 3600 + om * 60);
        }
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Ok((days * 86_400 + seconds_of_day - offset_seconds) * 1000 + millis)
}

/// The root key source named by `--passphrase-env` / `--root-key-env` (default: the key file).
fn root_key_source(passphrase_env: Option<&str>, root_key_env: Option<&str>) -> CliResult<RootKeySource> {
    if let Some(var) = passphrase_env {
        return Ok(RootKeySource::Passphrase(passphrase_from_env(var)?));
    }
    if let Some(var) = root_key_env {
        return Ok(RootKeySource::EnvVar(var.to_owned()));
    }
    Ok(RootKeySource::KeyFile(None))
}

/// Opens the store; unless `create`, the store must already exist.
fn open_store(global: &GlobalArgs, create: bool) -> CliResult<(Keystead, PathBuf)> {
    let dir = store_dir(global);
    if !create && !dir.join(DATABASE_FILE_NAME).exists() {
        return Err(Failure::Other(format!(
            "No Keystead store at {}: create one with `keystead init --store {}` (or set KEYSTEAD_STORE)",
            dir.display(),
            dir.display()
        )));
    }
    let mut builder = Keystead::builder()
        .root_key(root_key_source(global.passphrase_env.as_deref(), global.root_key_env.as_deref())?);
    if let Some(region) = &global.region {
        builder = builder.region(region.clone());
    }
    if let Some(account_id) = &global.account_id {
        builder = builder.account_id(account_id.clone());
    }
    let store = builder.open(&dir)?;
    let store = match &global.as_principal {
        Some(arn) => store.as_principal(arn)?,
        None => store,
    };
    Ok((store, dir))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads a blob parameter like aws-cli v2: `fileb://PATH` (raw bytes), `file://PATH` (base64
/// text in a file), `-` (raw bytes from stdin) or base64 text.
fn read_blob(name: &str, value: &str) -> CliResult<Vec<u8>> {
    if let Some(path) = value.strip_prefix("fileb://") {
        return std::fs::read(path).map_err(|e| {
            Failure::Usage(format!("Error parsing parameter '{name}': Unable to load paramfile {value}: {e}"))
        });
    }
    if value == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Usage(format!("Error parsing parameter '{name}': cannot read stdin: {e}")))?;
        return Ok(bytes);
    }
    let text = match value.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!("Error parsing parameter '{name}': Unable to load paramfile {value}: {e}"))
        })?,
        None => value.to_owned(),
    };
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| Failure::Usage(format!("Invalid base64: \"{}\"", truncate(&compact, 64))))
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

/// Parses `k=v,k2=v2` or a JSON object of strings.
fn parse_context(name: &str, value: Option<&str>) -> CliResult<Option<EncryptionContext>> {
    let Some(value) = value else { return Ok(None) };
    let bad = |why: &str| Failure::Usage(format!("Error parsing parameter '{name}': {why}"));
    let trimmed = value.trim();
    if trimmed.starts_with('{') {
        let map: BTreeMap<String, String> =
            serde_json::from_str(trimmed).map_err(|e| bad(&format!("Invalid JSON: {e}")))?;
        return Ok(Some(map.into_iter().collect()));
    }
    let mut context = EncryptionContext::new();
    if trimmed.is_empty() {
        return Ok(Some(context));
    }
    for pair in trimmed.split(',') {
        let (key, val) = pair.split_once('=').ok_or_else(|| bad(&format!("Expected: '=', received: '{pair}'")))?;
        context.insert(key.trim().to_owned(), val.trim().to_owned());
    }
    Ok(Some(context))
}

/// Parses `--tags` values: `TagKey=k,TagValue=v` shorthand or JSON (a list of tags or one tag).
fn parse_tags(values: &[String]) -> CliResult<Vec<Tag>> {
    let bad = |why: String| Failure::Usage(format!("Error parsing parameter '--tags': {why}"));
    let mut tags = Vec::new();
    for value in values {
        let trimmed = value.trim();
        if trimmed.starts_with('[') {
            let list: Vec<Tag> = serde_json::from_str(trimmed).map_err(|e| bad(format!("Invalid JSON: {e}")))?;
            tags.extend(list);
        } else if trimmed.starts_with('{') {
            let tag: Tag = serde_json::from_str(trimmed).map_err(|e| bad(format!("Invalid JSON: {e}")))?;
            tags.push(tag);
        } else {
            let mut key = None;
            let mut val = None;
            for pair in trimmed.split(',') {
                match pair.split_once('=') {
                    Some(("TagKey", k)) => key = Some(k.to_owned()),
                    Some(("TagValue", v)) => val = Some(v.to_owned()),
                    _ => return Err(bad(format!("expected TagKey=KEY,TagValue=VALUE, received: '{pair}'"))),
                }
            }
            let key = key.ok_or_else(|| bad(format!("missing TagKey in '{trimmed}'")))?;
            tags.push(Tag::new(key, val.unwrap_or_default()));
        }
    }
    Ok(tags)
}

/// Parses `--tag-keys`: plain words or a JSON list.
fn parse_tag_keys(values: &[String]) -> CliResult<Vec<String>> {
    let mut keys = Vec::new();
    for value in values {
        if value.trim().starts_with('[') {
            let list: Vec<String> = serde_json::from_str(value.trim())
                .map_err(|e| Failure::Usage(format!("Error parsing parameter '--tag-keys': Invalid JSON: {e}")))?;
            keys.extend(list);
        } else {
            keys.push(value.clone());
        }
    }
    Ok(keys)
}

/// Parses an optional AWS enum value (an unknown value is the service's ValidationException).
fn parse_enum<T: std::str::FromStr<Err = Error>>(value: Option<&str>) -> CliResult<Option<T>> {
    Ok(value.map(str::parse).transpose()?)
}

/// A page of a list operation, shaped like AWS: `{"<Items>": [...], "NextMarker"?, "Truncated"}`.
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
struct DecryptOut {
    key_id: String,
    plaintext: String,
    encryption_algorithm: EncryptionAlgorithm,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataKeyOut {
    ciphertext_blob: String,
    plaintext: String,
    key_id: String,
    key_material_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataKeyPairOut {
    private_key_ciphertext_blob: String,
    private_key_plaintext: String,
    public_key: String,
    key_id: String,
    key_pair_spec: DataKeyPairSpec,
    key_material_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SharedSecretOut {
    key_id: String,
    shared_secret: String,
    key_agreement_algorithm: KeyAgreementAlgorithm,
    key_origin: Origin,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RandomOut {
    plaintext: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NewAccessKeyOut {
    access_key: NewAccessKeyFields,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NewAccessKeyFields {
    access_key_id: String,
    secret_access_key: String,
    principal: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessKeyOut {
    access_key: AccessKey,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessKeysOut {
    access_keys: Vec<AccessKey>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InitOut {
    store: String,
    region: String,
    account_id: String,
}

fn run(cli: &Cli) -> CliResult<()> {
    let global = &cli.global;
    let out = Printer { format: global.output, query: global.query.as_deref() };
    if let Command::Serve { data_dir, listen, config, tls_cert, tls_key } = &cli.command {
        let overrides = keystead_server::Overrides {
            data_dir: data_dir.clone().or_else(|| global.store.clone()),
            listen: listen.clone(),
            config_file: config.clone(),
            region: global.region.clone(),
            account_id: global.account_id.clone(),
            root_key_env: global.root_key_env.clone(),
            passphrase_env: global.passphrase_env.clone(),
            tls_cert: tls_cert.clone(),
            tls_key: tls_key.clone(),
        };
        let config = keystead_server::Config::load(&overrides, &|name| std::env::var(name).ok())
            .map_err(|e| Failure::Usage(format!("keystead serve: {e}")))?;
        return keystead_server::run(config).map_err(|e| Failure::Other(format!("keystead serve: {e}")));
    }
    if let Command::Init = cli.command {
        let (store, dir) = open_store(global, true)?;
        let shown = std::fs::canonicalize(&dir).unwrap_or(dir);
        let identity = store.identity();
        return out.print(&InitOut {
            store: shown.display().to_string(),
            region: identity.region.clone(),
            account_id: identity.account_id.clone(),
        });
    }
    let (store, dir) = open_store(global, false)?;
    match &cli.command {
        Command::Audit(_) => Ok(()), // handled in main(), without opening the store
        Command::Init => Ok(()),
        Command::Serve { .. } => Ok(()), // handled above, without opening the store here
        Command::CreateKey {
            description,
            tags,
            key_spec,
            key_usage,
            origin,
            multi_region,
            policy,
            bypass_policy_lockout_safety_check,
        } => {
            let request = CreateKeyRequest {
                key_spec: parse_enum::<KeySpec>(key_spec.as_deref())?,
                key_usage: parse_enum::<KeyUsage>(key_usage.as_deref())?,
                description: description.clone(),
                origin: parse_enum::<Origin>(origin.as_deref())?,
                tags: parse_tags(tags)?,
                multi_region: *multi_region,
                policy: policy.as_deref().map(access::read_policy).transpose()?,
                bypass_policy_lockout_safety_check: *bypass_policy_lockout_safety_check,
            };
            out.print(&KeyMetadataOut { key_metadata: store.create_key(request)? })
        }
        Command::DescribeKey { key_id } => out.print(&KeyMetadataOut { key_metadata: store.describe_key(key_id)? }),
        Command::ListKeys(list) => {
            let page = store.list_keys(list.limit, list.marker.as_deref())?;
            out.print(&PageOut { items_name: "Keys", page: &page })
        }
        Command::UpdateKeyDescription { key_id, description } => {
            store.update_key_description(key_id, description)?;
            Ok(())
        }
        Command::TagResource { key_id, tags } => {
            store.tag_resource(key_id, &parse_tags(tags)?)?;
            Ok(())
        }
        Command::UntagResource { key_id, tag_keys } => {
            store.untag_resource(key_id, &parse_tag_keys(tag_keys)?)?;
            Ok(())
        }
        Command::ListResourceTags { key_id, list } => {
            let page = store.list_resource_tags(key_id, list.limit, list.marker.as_deref())?;
            out.print(&PageOut { items_name: "Tags", page: &page })
        }
        Command::CreateAlias { alias_name, target_key_id } => {
            store.create_alias(alias_name, target_key_id)?;
            Ok(())
        }
        Command::UpdateAlias { alias_name, target_key_id } => {
            store.update_alias(alias_name, target_key_id)?;
            Ok(())
        }
        Command::DeleteAlias { alias_name } => {
            store.delete_alias(alias_name)?;
            Ok(())
        }
        Command::ListAliases { key_id, list } => {
            let page = store.list_aliases(key_id.as_deref(), list.limit, list.marker.as_deref())?;
            out.print(&PageOut { items_name: "Aliases", page: &page })
        }
        Command::EnableKey { key_id } => {
            store.enable_key(key_id)?;
            Ok(())
        }
        Command::DisableKey { key_id } => {
            store.disable_key(key_id)?;
            Ok(())
        }
        Command::ScheduleKeyDeletion { key_id, pending_window_in_days } => {
            out.print(&store.schedule_key_deletion(key_id, *pending_window_in_days)?)
        }
        Command::CancelKeyDeletion { key_id } => out.print(&KeyIdOut { key_id: store.cancel_key_deletion(key_id)? }),
        Command::EnableKeyRotation { key_id, rotation_period_in_days } => {
            store.enable_key_rotation(key_id, *rotation_period_in_days)?;
            Ok(())
        }
        Command::DisableKeyRotation { key_id } => {
            store.disable_key_rotation(key_id)?;
            Ok(())
        }
        Command::GetKeyRotationStatus { key_id } => out.print(&store.get_key_rotation_status(key_id)?),
        Command::RotateKeyOnDemand { key_id } => out.print(&KeyIdOut { key_id: store.rotate_key_on_demand(key_id)? }),
        Command::ListKeyRotations { key_id, include_key_material, list } => {
            let include = parse_enum::<IncludeKeyMaterial>(include_key_material.as_deref())?;
            let page = store.list_key_rotations(key_id, include, list.limit, list.marker.as_deref())?;
            out.print(&PageOut { items_name: "Rotations", page: &page })
        }
        Command::Encrypt { key_id, plaintext, encryption_context, encryption_algorithm } => {
            let plaintext = SecretBytes::new(read_blob("--plaintext", plaintext)?);
            let context = parse_context("--encryption-context", encryption_context.as_deref())?;
            let response = store.encrypt(EncryptRequest {
                key_id,
                plaintext: plaintext.expose(),
                encryption_context: context.as_ref(),
                encryption_algorithm: parse_enum(encryption_algorithm.as_deref())?,
                ..Default::default()
            })?;
            out.print(&response)
        }
        Command::Decrypt { ciphertext_blob, encryption_context, key_id, encryption_algorithm } => {
            let blob = read_blob("--ciphertext-blob", ciphertext_blob)?;
            let context = parse_context("--encryption-context", encryption_context.as_deref())?;
            let response = store.decrypt(DecryptRequest {
                ciphertext_blob: &blob,
                encryption_context: context.as_ref(),
                key_id: key_id.as_deref(),
                encryption_algorithm: parse_enum(encryption_algorithm.as_deref())?,
                ..Default::default()
            })?;
            out.print(&DecryptOut {
                plaintext: b64(response.plaintext.expose()),
                key_id: response.key_id,
                encryption_algorithm: response.encryption_algorithm,
                key_material_id: response.key_material_id,
            })
        }
        Command::ReEncrypt {
            ciphertext_blob,
            source_encryption_context,
            source_key_id,
            destination_key_id,
            destination_encryption_context,
            source_encryption_algorithm,
            destination_encryption_algorithm,
        } => {
            let blob = read_blob("--ciphertext-blob", ciphertext_blob)?;
            let source = parse_context("--source-encryption-context", source_encryption_context.as_deref())?;
            let destination =
                parse_context("--destination-encryption-context", destination_encryption_context.as_deref())?;
            let response = store.re_encrypt(ReEncryptRequest {
                ciphertext_blob: &blob,
                source_encryption_context: source.as_ref(),
                source_key_id: source_key_id.as_deref(),
                destination_key_id,
                destination_encryption_context: destination.as_ref(),
                source_encryption_algorithm: parse_enum(source_encryption_algorithm.as_deref())?,
                destination_encryption_algorithm: parse_enum(destination_encryption_algorithm.as_deref())?,
                ..Default::default()
            })?;
            out.print(&response)
        }
        Command::GenerateDataKey(args) => {
            let context = parse_context("--encryption-context", args.encryption_context.as_deref())?;
            let response = store.generate_data_key(data_key_request(args, context.as_ref())?)?;
            out.print(&DataKeyOut {
                ciphertext_blob: b64(&response.ciphertext_blob),
                plaintext: b64(response.plaintext.expose()),
                key_id: response.key_id,
                key_material_id: response.key_material_id,
            })
        }
        Command::GenerateDataKeyWithoutPlaintext(args) => {
            let context = parse_context("--encryption-context", args.encryption_context.as_deref())?;
            out.print(&store.generate_data_key_without_plaintext(data_key_request(args, context.as_ref())?)?)
        }
        Command::GenerateDataKeyPair(args) => {
            let context = parse_context("--encryption-context", args.encryption_context.as_deref())?;
            let response = store.generate_data_key_pair(data_key_pair_request(args, context.as_ref())?)?;
            out.print(&DataKeyPairOut {
                private_key_ciphertext_blob: b64(&response.private_key_ciphertext_blob),
                private_key_plaintext: b64(response.private_key_plaintext.expose()),
                public_key: b64(&response.public_key),
                key_id: response.key_id,
                key_pair_spec: response.key_pair_spec,
                key_material_id: response.key_material_id,
            })
        }
        Command::GenerateDataKeyPairWithoutPlaintext(args) => {
            let context = parse_context("--encryption-context", args.encryption_context.as_deref())?;
            out.print(&store.generate_data_key_pair_without_plaintext(data_key_pair_request(args, context.as_ref())?)?)
        }
        Command::Sign { key_id, message, message_type, signing_algorithm } => {
            let message = SecretBytes::new(read_blob("--message", message)?);
            out.print(&store.sign(SignRequest {
                key_id,
                message: message.expose(),
                message_type: parse_enum::<MessageType>(message_type.as_deref())?,
                signing_algorithm: parse_enum::<SigningAlgorithm>(Some(signing_algorithm))?,
                ..Default::default()
            })?)
        }
        Command::Verify { key_id, message, message_type, signature, signing_algorithm } => {
            let message = SecretBytes::new(read_blob("--message", message)?);
            let signature = read_blob("--signature", signature)?;
            out.print(&store.verify(VerifyRequest {
                key_id,
                message: message.expose(),
                message_type: parse_enum::<MessageType>(message_type.as_deref())?,
                signature: &signature,
                signing_algorithm: parse_enum::<SigningAlgorithm>(Some(signing_algorithm))?,
                ..Default::default()
            })?)
        }
        Command::GetPublicKey { key_id } => out.print(&store.get_public_key(key_id)?),
        Command::GenerateMac { key_id, message, mac_algorithm } => {
            let message = SecretBytes::new(read_blob("--message", message)?);
            out.print(&store.generate_mac(GenerateMacRequest {
                key_id,
                message: message.expose(),
                mac_algorithm: parse_enum::<MacAlgorithm>(Some(mac_algorithm))?,
                ..Default::default()
            })?)
        }
        Command::VerifyMac { key_id, message, mac_algorithm, mac } => {
            let message = SecretBytes::new(read_blob("--message", message)?);
            let mac = read_blob("--mac", mac)?;
            out.print(&store.verify_mac(VerifyMacRequest {
                key_id,
                message: message.expose(),
                mac: &mac,
                mac_algorithm: parse_enum::<MacAlgorithm>(Some(mac_algorithm))?,
                ..Default::default()
            })?)
        }
        Command::DeriveSharedSecret { key_id, key_agreement_algorithm, public_key } => {
            let public_key = read_blob("--public-key", public_key)?;
            let response = store.derive_shared_secret(DeriveSharedSecretRequest {
                key_id,
                key_agreement_algorithm: parse_enum::<KeyAgreementAlgorithm>(Some(key_agreement_algorithm))?,
                public_key: &public_key,
                ..Default::default()
            })?;
            out.print(&SharedSecretOut {
                key_id: response.key_id,
                shared_secret: b64(response.shared_secret.expose()),
                key_agreement_algorithm: response.key_agreement_algorithm,
                key_origin: response.key_origin,
            })
        }
        Command::GenerateRandom { number_of_bytes } => {
            let bytes = store.generate_random(*number_of_bytes)?;
            out.print(&RandomOut { plaintext: b64(bytes.expose()) })
        }
        Command::GetParametersForImport { key_id, wrapping_algorithm, wrapping_key_spec } => {
            out.print(&store.get_parameters_for_import(
                key_id,
                wrapping_algorithm.parse::<WrappingAlgorithm>()?,
                wrapping_key_spec.parse::<WrappingKeySpec>()?,
            )?)
        }
        Command::ImportKeyMaterial {
            key_id,
            import_token,
            encrypted_key_material,
            expiration_model,
            valid_to,
            import_type,
            key_material_description,
            key_material_id,
        } => {
            let import_token = read_blob("--import-token", import_token)?;
            let wrapped = read_blob("--encrypted-key-material", encrypted_key_material)?;
            let valid_to = valid_to.as_deref().map(|v| parse_timestamp("--valid-to", v)).transpose()?;
            out.print(&store.import_key_material(ImportKeyMaterialRequest {
                key_id,
                import_token: &import_token,
                encrypted_key_material: &wrapped,
                expiration_model: parse_enum::<ExpirationModel>(expiration_model.as_deref())?,
                valid_to,
                import_type: parse_enum::<ImportType>(import_type.as_deref())?,
                key_material_description: key_material_description.as_deref(),
                key_material_id: key_material_id.as_deref(),
            })?)
        }
        Command::DeleteImportedKeyMaterial { key_id, key_material_id } => {
            out.print(&store.delete_imported_key_material_with(key_id, key_material_id.as_deref())?)
        }
        Command::AccessKey(AccessKeyCommand::Create { principal }) => {
            let created = store.create_access_key(principal)?;
            let secret_access_key = String::from_utf8(created.secret_access_key.expose().to_vec())
                .map_err(|_| Failure::Other("the new secret access key is not UTF-8".to_owned()))?;
            out.print(&NewAccessKeyOut {
                access_key: NewAccessKeyFields {
                    access_key_id: created.access_key_id,
                    secret_access_key,
                    principal: created.principal,
                },
            })
        }
        Command::AccessKey(AccessKeyCommand::Add { access_key_id, secret_access_key_env, principal }) => {
            let secret = secret_from_env(secret_access_key_env)?;
            let added = store.add_access_key(access_key_id, secret.expose(), principal)?;
            out.print(&AccessKeyOut { access_key: added })
        }
        Command::AccessKey(AccessKeyCommand::List) => {
            out.print(&AccessKeysOut { access_keys: store.list_access_keys()? })
        }
        Command::AccessKey(AccessKeyCommand::Delete { access_key_id }) => {
            store.delete_access_key(access_key_id)?;
            Ok(())
        }
        Command::RotateRootKey { new_passphrase_env, new_root_key_env } => {
            let source = match root_key_source(new_passphrase_env.as_deref(), new_root_key_env.as_deref())? {
                RootKeySource::KeyFile(_) => RootKeySource::KeyFile(Some(dir.join(keystead_core::KEY_FILE_NAME))),
                other => other,
            };
            store.rotate_root_key(source)?;
            Ok(())
        }
        Command::Files(command) => files::run(command, &store, &out),
        Command::Access(command) => access::run(command, &store, &out),
    }
}

fn data_key_request<'a>(
    args: &'a DataKeyArgs,
    context: Option<&'a EncryptionContext>,
) -> CliResult<GenerateDataKeyRequest<'a>> {
    Ok(GenerateDataKeyRequest {
        key_id: &args.key_id,
        encryption_context: context,
        key_spec: parse_enum::<DataKeySpec>(args.key_spec.as_deref())?,
        number_of_bytes: args.number_of_bytes,
        ..Default::default()
    })
}

fn data_key_pair_request<'a>(
    args: &'a DataKeyPairArgs,
    context: Option<&'a EncryptionContext>,
) -> CliResult<GenerateDataKeyPairRequest<'a>> {
    Ok(GenerateDataKeyPairRequest {
        key_id: &args.key_id,
        encryption_context: context,
        key_pair_spec: parse_enum::<DataKeyPairSpec>(Some(&args.key_pair_spec))?,
        ..Default::default()
    })
}

/// Prints responses in the chosen format, optionally narrowed by `--query`.
struct Printer<'a> {
    format: OutputFormat,
    query: Option<&'a str>,
}

impl Printer<'_> {
    fn print<T: Serialize>(&self, response: &T) -> CliResult<()> {
        let text = match (self.format, self.query) {
            (OutputFormat::Json, None) => to_json(response)?,
            (format, query) => {
                let mut value = serde_json::to_value(response).map_err(|e| Failure::Other(e.to_string()))?;
                if let Some(query) = query {
                    value = select(&value, query)?;
                }
                match format {
                    OutputFormat::Json => to_json(&value)?,
                    OutputFormat::Text => to_text(&value),
                }
            }
        };
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = writeln!(stdout, "{text}");
        let _ = stdout.flush();
        Ok(())
    }
}

/// JSON with aws-cli's 4-space indentation.
fn to_json<T: Serialize>(value: &T) -> CliResult<String> {
    let mut buffer = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, formatter);
    value.serialize(&mut serializer).map_err(|e| Failure::Other(e.to_string()))?;
    String::from_utf8(buffer).map_err(|e| Failure::Other(e.to_string()))
}

/// Follows a `--query` path: `Field`, `Field.Sub`, `List[0]`, `List[0].Field`. A missing field
/// is `null` (aws-cli prints `null` / `None`).
fn select(value: &serde_json::Value, query: &str) -> CliResult<serde_json::Value> {
    let bad = || Failure::Usage(format!("Bad value for --query {query}: expected Field, Field.Sub or Field[N]"));
    let mut current = value.clone();
    for segment in query.split('.') {
        let (name, indexes) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            current = current.get(name).cloned().unwrap_or(serde_json::Value::Null);
        }
        let mut rest = indexes;
        while !rest.is_empty() {
            let inner = rest.strip_prefix('[').ok_or_else(bad)?;
            let end = inner.find(']').ok_or_else(bad)?;
            let index: usize = inner[..end].parse().map_err(|_| bad())?;
            current = current.get(index).cloned().unwrap_or(serde_json::Value::Null);
            rest = &inner[end + 1..];
        }
        if name.is_empty() && indexes.is_empty() {
            return Err(bad());
        }
    }
    Ok(current)
}

/// aws-cli-like text output: scalars raw; an object's scalar fields on one tab-separated line,
/// then each nested object or list item on its own line, prefixed by the upper-cased field name.
fn to_text(value: &serde_json::Value) -> String {
    let mut lines = Vec::new();
    text_lines(None, value, &mut lines);
    lines.join("\n")
}

fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => Some("None".to_owned()),
        serde_json::Value::Bool(b) => Some(if *b { "True".to_owned() } else { "False".to_owned() }),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn text_lines(label: Option<&str>, value: &serde_json::Value, lines: &mut Vec<String>) {
    let prefixed = |fields: Vec<String>| match label {
        Some(label) => std::iter::once(label.to_uppercase()).chain(fields).collect::<Vec<_>>().join("\t"),
        None => fields.join("\t"),
    };
    match value {
        serde_json::Value::Object(map) => {
            let scalars: Vec<String> = map.values().filter_map(scalar_text).collect();
            if !scalars.is_empty() {
                lines.push(prefixed(scalars));
            }
            for (key, nested) in map {
                match nested {
                    serde_json::Value::Object(_) => text_lines(Some(key), nested, lines),
                    serde_json::Value::Array(items) => {
                        let all_scalar: Option<Vec<String>> = items.iter().map(scalar_text).collect();
                        match all_scalar {
                            Some(words) if !words.is_empty() => lines
                                .push(std::iter::once(key.to_uppercase()).chain(words).collect::<Vec<_>>().join("\t")),
                            _ => items.iter().for_each(|item| text_lines(Some(key), item, lines)),
                        }
                    }
                    _ => {}
                }
            }
        }
        serde_json::Value::Array(items) => {
            let all_scalar: Option<Vec<String>> = items.iter().map(scalar_text).collect();
            match all_scalar {
                Some(words) => lines.push(prefixed(words)),
                None => items.iter().for_each(|item| text_lines(label, item, lines)),
            }
        }
        scalar => {
            if let Some(text) = scalar_text(scalar) {
                lines.push(prefixed(vec![text]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_shorthand_and_json() {
        let short = parse_context("x", Some("a=1,b=2")).ok().flatten();
        let json = parse_context("x", Some(r#"{"a":"1","b":"2"}"#)).ok().flatten();
        assert!(short.is_some());
        assert_eq!(short, json);
    }

    #[test]
    fn query_paths() {
        let value = serde_json::json!({"A": {"B": [1, {"C": "x"}]}});
        assert_eq!(select(&value, "A.B[1].C").ok(), Some(serde_json::json!("x")));
        assert_eq!(select(&value, "Missing").ok(), Some(serde_json::Value::Null));
        assert!(select(&value, "A..B").is_err());
    }

    #[test]
    fn timestamps_iso_8601_and_epoch_seconds() {
        let at = |text: &str| parse_timestamp("--valid-to", text).ok();
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2030-01-31T12:00:00Z"), Some(1_896_091_200_000));
        assert_eq!(at("2030-01-31T12:00:00"), Some(1_896_091_200_000));
        assert_eq!(at("2030-01-31 14:00:00+02:00"), Some(1_896_091_200_000));
        assert_eq!(at("2030-01-31T07:30-0430"), Some(1_896_091_200_000));
        assert_eq!(at("2030-01-31T12:00:00.25Z"), Some(1_896_091_200_250));
        assert_eq!(at("2030-01-31"), Some(1_896_048_000_000));
        assert_eq!(at("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        assert_eq!(at("1896091200"), Some(1_896_091_200_000));
        assert_eq!(at("1896091200.5"), Some(1_896_091_200_500));
        for bad in ["", "tomorrow", "2023-02-29", "2030-13-01", "2030-01-31T24:00", "2030-1-31", "1e9", "2030-01-31T"] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn tags_shorthand() {
        let tags = parse_tags(&["TagKey=team,TagValue=pay".to_owned()]).ok();
        assert_eq!(tags, Some(vec![Tag::new("team", "pay")]));
    }
}
