/* Keystead C ABI: the signing message types beyond RAW, checked against OpenSSL's libcrypto:
 * ED25519_PH_SHA_512 over a SHA-512 digest (MessageType DIGEST), and ML-DSA over a mu computed
 * here with SHAKE256 as FIPS 204 defines it (MessageType EXTERNAL_MU). Links the shared library
 * only (libcrypto computes the digests). Mirrors the Python, Node and server tests. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

static const char MESSAGE[] = "message signed through a prehash";

static keystead_bytes *new_key(keystead_store *store, const char *spec) {
    keystead_create_key_request *req = NULL;
    keystead_bytes *key = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_key_spec(req, spec, ERR));
    CHECK_OK(keystead_create_key_request_set_key_usage(req, "SIGN_VERIFY", ERR));
    CHECK_OK(keystead_store_create_key(store, req, &key, NULL, ERR));
    keystead_create_key_request_free(req);
    return key;
}

static int digest(const EVP_MD *md, const uint8_t *in, size_t len, uint8_t *out, size_t out_len) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, in, len) == 1;
    if (ok) ok = (EVP_MD_flags(md) & EVP_MD_FLAG_XOF) ? EVP_DigestFinalXOF(ctx, out, out_len) == 1 : EVP_DigestFinal_ex(ctx, out, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static void test_ed25519ph_signs_a_sha512_digest(void) {
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    keystead_bytes *key = new_key(store, "ECC_NIST_EDWARDS25519");
    const char *k = bytes_str(key);
    uint8_t sha512[64];
    CHECK(digest(EVP_sha512(), (const uint8_t *)MESSAGE, strlen(MESSAGE), sha512, sizeof sha512));
    keystead_bytes *sig = NULL;
    CHECK_OK(keystead_store_sign(store, k, sha512, sizeof sha512, "DIGEST", "ED25519_PH_SHA_512", &sig, ERR));
    CHECK(keystead_bytes_len(sig) == 64);
    const uint8_t *s = keystead_bytes_data(sig);
    CHECK_OK(keystead_store_verify(store, k, sha512, sizeof sha512, "DIGEST", s, 64, "ED25519_PH_SHA_512", ERR));
    /* Not a pure Ed25519 signature of the digest: libcrypto's Ed25519 verifier refuses it. */
    keystead_bytes *public_key = NULL;
    CHECK_OK(keystead_store_get_public_key(store, k, &public_key, NULL, ERR));
    const unsigned char *p = keystead_bytes_data(public_key);
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)keystead_bytes_len(public_key));
    CHECK(pkey != NULL && EVP_PKEY_id(pkey) == EVP_PKEY_ED25519);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    CHECK(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1);
    CHECK(EVP_DigestVerify(ctx, s, 64, sha512, sizeof sha512) != 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    /* A digest of the wrong length, a tampered signature, the RAW message type. */
    keystead_bytes *none = NULL;
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_sign(store, k, sha512, 32, "DIGEST", "ED25519_PH_SHA_512", &none, ERR));
    uint8_t tampered[64];
    memcpy(tampered, s, 64);
    tampered[10] ^= 1;
    CHECK_RC(KEYSTEAD_RESULT_INVALID_SIGNATURE,
             keystead_store_verify(store, k, sha512, sizeof sha512, "DIGEST", tampered, 64, "ED25519_PH_SHA_512", ERR));
    CHECK(keystead_store_sign(store, k, sha512, sizeof sha512, "RAW", "ED25519_PH_SHA_512", &none, NULL) != KEYSTEAD_RESULT_OK);
    CHECK(none == NULL);
    keystead_bytes_free(public_key);
    keystead_bytes_free(sig);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

static void test_ml_dsa_external_mu_is_the_message_signature(void) {
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    keystead_bytes *key = new_key(store, "ML_DSA_65");
    const char *k = bytes_str(key);
    /* The raw ML-DSA-65 public key (1952 bytes) ends the DER SubjectPublicKeyInfo (its BIT
     * STRING); this libcrypto may not know ML-DSA, so it is taken from the DER directly. */
    keystead_bytes *spki = NULL, *options_json = NULL;
    keystead_call_options *options = NULL;
    CHECK_OK(keystead_call_options_new(&options, ERR));
    CHECK_OK(keystead_store_get_public_key_with_options(store, k, options, &spki, &options_json, ERR));
    CHECK(options_json != NULL && strstr(bytes_str(options_json), "\"KeySpec\":\"ML_DSA_65\"") != NULL);
    size_t spki_len = keystead_bytes_len(spki);
    CHECK(spki_len > 1952);
    const uint8_t *raw = keystead_bytes_data(spki) + spki_len - 1952;
    /* FIPS 204: tr = SHAKE256(pk, 64); mu = SHAKE256(tr || 0 || 0 || M, 64) (empty context). */
    uint8_t tr[64], mu[64];
    CHECK(digest(EVP_shake256(), raw, 1952, tr, sizeof tr));
    uint8_t input[64 + 2 + sizeof MESSAGE];
    memcpy(input, tr, 64);
    input[64] = 0;
    input[65] = 0;
    memcpy(input + 66, MESSAGE, strlen(MESSAGE));
    CHECK(digest(EVP_shake256(), input, 66 + strlen(MESSAGE), mu, sizeof mu));

    keystead_bytes *sig = NULL;
    CHECK_OK(keystead_store_sign(store, k, mu, sizeof mu, "EXTERNAL_MU", "ML_DSA_SHAKE_256", &sig, ERR));
    const uint8_t *s = keystead_bytes_data(sig);
    size_t sl = keystead_bytes_len(sig);
    CHECK(sl == 3309);
    /* A signature of mu is a signature of the message it was computed from. */
    CHECK_OK(keystead_store_verify(store, k, (const uint8_t *)MESSAGE, strlen(MESSAGE), "RAW", s, sl, "ML_DSA_SHAKE_256", ERR));
    CHECK_OK(keystead_store_verify(store, k, mu, sizeof mu, "EXTERNAL_MU", s, sl, "ML_DSA_SHAKE_256", ERR));
    CHECK_RC(KEYSTEAD_RESULT_INVALID_SIGNATURE,
             keystead_store_verify(store, k, (const uint8_t *)"another message", 15, "RAW", s, sl, "ML_DSA_SHAKE_256", ERR));
    keystead_bytes *none = NULL;
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_sign(store, k, mu, 63, "EXTERNAL_MU", "ML_DSA_SHAKE_256", &none, ERR));
    CHECK(none == NULL);

    /* GetPublicKey's grant tokens are checked; it has no DryRun. */
    keystead_bytes *pk2 = NULL;
    CHECK_OK(keystead_call_options_add_grant_token(options, "not a grant token", ERR));
    CHECK_RC(KEYSTEAD_RESULT_INVALID_GRANT_TOKEN, keystead_store_get_public_key_with_options(store, k, options, &pk2, NULL, ERR));
    keystead_call_options *dry = NULL;
    CHECK_OK(keystead_call_options_new(&dry, ERR));
    CHECK_OK(keystead_call_options_set_dry_run(dry, true, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_get_public_key_with_options(store, k, dry, &pk2, NULL, ERR));
    CHECK(pk2 == NULL);
    keystead_call_options_free(dry);
    keystead_call_options_free(options);
    keystead_bytes_free(options_json);
    keystead_bytes_free(spki);
    keystead_bytes_free(sig);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

int main(void) {
    RUN(test_ed25519ph_signs_a_sha512_digest);
    RUN(test_ml_dsa_external_mu_is_the_message_signature);
    return SUMMARY("test_signing_modes");
}
