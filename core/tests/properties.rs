//! Property tests: round trips for every size and context, mutated blobs never decrypt, and the
//! canonical encryption-context encoding round-trips and ignores order.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::sync::OnceLock;

use keystead_core::crypto::context::parse_canonical_context;
use keystead_core::{
    canonical_context, CreateKeyRequest, DecryptRequest, EncryptRequest, EncryptionContext, ErrorKind, Keystead,
};
use proptest::prelude::*;

fn shared() -> &'static (Keystead, String) {
    static STORE: OnceLock<(Keystead, String)> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = Keystead::builder().open_in_memory().unwrap();
        let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        (store, key_id)
    })
}

fn context_strategy() -> impl Strategy<Value = EncryptionContext> {
    prop::collection::btree_map(".{0,12}", ".{0,24}", 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decrypt_inverts_encrypt(plaintext in prop::collection::vec(any::<u8>(), 1..=4096), context in context_strategy()) {
        let (store, key_id) = shared();
        let blob = store
            .encrypt(EncryptRequest { key_id, plaintext: &plaintext, encryption_context: Some(&context), ..Default::default() })
            .unwrap()
            .ciphertext_blob;
        let out = store
            .decrypt(DecryptRequest { ciphertext_blob: &blob, encryption_context: Some(&context), ..Default::default() })
            .unwrap();
        prop_assert_eq!(out.plaintext.expose(), &plaintext[..]);
    }

    #[test]
    fn a_mutated_blob_never_decrypts(
        plaintext in prop::collection::vec(any::<u8>(), 1..256),
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..8),
    ) {
        let (store, key_id) = shared();
        let blob = store.encrypt(EncryptRequest { key_id, plaintext: &plaintext, ..Default::default() }).unwrap().ciphertext_blob;
        let mut flipped = blob.clone();
        flipped[position.index(blob.len())] ^= mask;
        let truncated = &blob[..cut.index(blob.len())];
        let mut extended = blob.clone();
        extended.extend_from_slice(&extra);
        for candidate in [&flipped[..], truncated, &extended[..]] {
            let result = store.decrypt(DecryptRequest { ciphertext_blob: candidate, ..Default::default() });
            let kind = result.unwrap_err().kind();
            prop_assert!(kind == ErrorKind::InvalidCiphertext || (candidate.is_empty() && kind == ErrorKind::Validation));
        }
    }

    #[test]
    fn canonical_context_round_trips_and_ignores_order(context in context_strategy()) {
        let encoded = canonical_context(&context).unwrap();
        prop_assert_eq!(&parse_canonical_context(&encoded).unwrap(), &context);
        let reversed: EncryptionContext = context.into_iter().rev().collect();
        prop_assert_eq!(canonical_context(&reversed).unwrap(), encoded);
    }
}
