/* Keystead C ABI: NULL for every pointer parameter of every function, and bad enum values.
 * Required pointers give KEYSTEAD_RESULT_NULL_PARAMETER (with an error object naming the
 * parameter) and leave outputs NULL; optional pointers are accepted. Nothing crashes. */
#include <stdint.h>
#include <string.h>

#include "harness.h"

static int null_checks = 0;

/* The call must fail with NULL_PARAMETER and an error object that says so. */
#define NULLP(call)                                                                                        \
    do {                                                                                                   \
        keystead_error *e_ = NULL;                                                                         \
        keystead_error **EOUT = &e_;                                                                       \
        keystead_result rc_ = (call);                                                                      \
        null_checks++;                                                                                     \
        if (rc_ != KEYSTEAD_RESULT_NULL_PARAMETER || keystead_error_code(e_) != KEYSTEAD_RESULT_NULL_PARAMETER || \
            strcmp(keystead_error_name(e_), "NullParameter") != 0 ||                                        \
            strstr(keystead_error_message(e_), "must not be NULL") == NULL) {                              \
            fprintf(stderr, "  NULLP failed at %s:%d: %s gave %u %s\n", __FILE__, __LINE__, #call,         \
                    (unsigned)rc_, keystead_error_message(e_));                                            \
            harness_current_failed = 1;                                                                    \
        }                                                                                                  \
        (void)EOUT;                                                                                        \
        keystead_error_free(e_);                                                                           \
        /* Without err_out too. */                                                                         \
    } while (0)

/* The same call without err_out must give the same code. */
#define NULLP2(call_with_eout, call_without)      \
    do {                                          \
        NULLP(call_with_eout);                    \
        CHECK((call_without) == KEYSTEAD_RESULT_NULL_PARAMETER); \
    } while (0)

static keystead_store *store;
static keystead_bytes *key;
static keystead_bytes *ct;
static keystead_context *ctx;
static keystead_tags *tags;
static keystead_create_key_request *req;
static keystead_options *opts;
static keystead_root_key *root;

#define K (bytes_str(key))
#define CTD (keystead_bytes_data(ct))
#define CTL (keystead_bytes_len(ct))

static void setup(void) {
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    CHECK_OK(keystead_store_create_key(store, NULL, &key, NULL, ERR));
    CHECK_OK(keystead_store_encrypt(store, K, (const uint8_t *)"x", 1, NULL, NULL, &ct, ERR));
    CHECK_OK(keystead_context_new(&ctx, ERR));
    CHECK_OK(keystead_tags_new(&tags, ERR));
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_options_new(&opts, ERR));
    CHECK_OK(keystead_root_key_new_bytes((const uint8_t *)"0123456789abcdef0123456789abcdef", 32, &root, ERR));
}

static void teardown(void) {
    keystead_root_key_free(root);
    keystead_options_free(opts);
    keystead_create_key_request_free(req);
    keystead_tags_free(tags);
    keystead_context_free(ctx);
    keystead_bytes_free(ct);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

static void test_null_builders(void) {
    keystead_context *c = NULL;
    keystead_tags *t = NULL;
    keystead_create_key_request *r = NULL;
    keystead_options *o = NULL;
    keystead_root_key *rk = NULL;
    NULLP2(keystead_context_new(NULL, EOUT), keystead_context_new(NULL, NULL));
    NULLP(keystead_context_add(NULL, "k", "v", EOUT));
    NULLP(keystead_context_add(ctx, NULL, "v", EOUT));
    NULLP(keystead_context_add(ctx, "k", NULL, EOUT));
    NULLP(keystead_tags_new(NULL, EOUT));
    NULLP(keystead_tags_add(NULL, "k", "v", EOUT));
    NULLP(keystead_tags_add(tags, NULL, "v", EOUT));
    NULLP(keystead_tags_add(tags, "k", NULL, EOUT));
    NULLP(keystead_create_key_request_new(NULL, EOUT));
    NULLP(keystead_create_key_request_set_key_spec(NULL, "SYMMETRIC_DEFAULT", EOUT));
    NULLP(keystead_create_key_request_set_key_spec(req, NULL, EOUT));
    NULLP(keystead_create_key_request_set_key_usage(NULL, "ENCRYPT_DECRYPT", EOUT));
    NULLP(keystead_create_key_request_set_key_usage(req, NULL, EOUT));
    NULLP(keystead_create_key_request_set_origin(NULL, "AWS_KMS", EOUT));
    NULLP(keystead_create_key_request_set_origin(req, NULL, EOUT));
    NULLP(keystead_create_key_request_set_description(NULL, "d", EOUT));
    NULLP(keystead_create_key_request_set_description(req, NULL, EOUT));
    NULLP(keystead_create_key_request_set_multi_region(NULL, false, EOUT));
    NULLP(keystead_create_key_request_set_tags(NULL, tags, EOUT));
    NULLP(keystead_create_key_request_set_tags(req, NULL, EOUT));
    NULLP(keystead_options_new(NULL, EOUT));
    NULLP(keystead_options_set_root_key(NULL, root, EOUT));
    NULLP(keystead_options_set_root_key(opts, NULL, EOUT));
    NULLP(keystead_options_set_region(NULL, "eu-west-1", EOUT));
    NULLP(keystead_options_set_region(opts, NULL, EOUT));
    NULLP(keystead_options_set_account_id(NULL, "123456789012", EOUT));
    NULLP(keystead_options_set_account_id(opts, NULL, EOUT));
    NULLP(keystead_options_set_cache_capacity(NULL, 1, EOUT));
    NULLP(keystead_root_key_new_file("x", NULL, EOUT));
    NULLP(keystead_root_key_new_env("X", NULL, EOUT));
    NULLP(keystead_root_key_new_passphrase((const uint8_t *)"p", 1, NULL, EOUT));
    NULLP(keystead_root_key_new_passphrase(NULL, 1, &rk, EOUT));
    CHECK(rk == NULL);
    NULLP(keystead_root_key_new_bytes(NULL, 32, &rk, EOUT));
    NULLP(keystead_root_key_new_bytes((const uint8_t *)"k", 1, NULL, EOUT));
    /* Optional pointers: NULL is fine. */
    CHECK_OK(keystead_root_key_new_file(NULL, &rk, ERR));
    keystead_root_key_free(rk);
    CHECK_OK(keystead_root_key_new_env(NULL, &rk, ERR));
    keystead_root_key_free(rk);
    /* NULL with length 0 is an empty passphrase: refused, and nothing is returned. */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_root_key_new_passphrase(NULL, 0, &rk, ERR));
    CHECK(rk == NULL);
    (void)c; (void)t; (void)r; (void)o;
}

static void test_null_store(void) {
    keystead_store *s = NULL;
    NULLP(keystead_store_open(NULL, NULL, &s, EOUT));
    NULLP(keystead_store_open("/tmp/keystead-null-never", NULL, NULL, EOUT));
    NULLP(keystead_store_open_in_memory(NULL, NULL, EOUT));
    CHECK(s == NULL);
    NULLP(keystead_store_rotate_root_key(NULL, root, EOUT));
    NULLP(keystead_store_rotate_root_key(store, NULL, EOUT));
    NULLP(keystead_store_sweep(NULL, EOUT));
    size_t n = 0;
    uint8_t buf[4];
    NULLP(keystead_bytes_copy(NULL, buf, 4, &n, EOUT));
    NULLP(keystead_bytes_copy(key, buf, 4, NULL, EOUT));
}

static void test_null_keys(void) {
    keystead_bytes *out = NULL, *out2 = NULL;
    NULLP(keystead_store_create_key(NULL, NULL, &out, NULL, EOUT));
    NULLP(keystead_store_create_key(store, NULL, NULL, &out2, EOUT));
    CHECK(out2 == NULL);
    NULLP(keystead_store_describe_key(NULL, K, &out, EOUT));
    NULLP(keystead_store_describe_key(store, NULL, &out, EOUT));
    NULLP(keystead_store_describe_key(store, K, NULL, EOUT));
    NULLP(keystead_store_list_keys(NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_keys(store, 0, NULL, NULL, EOUT));
    NULLP(keystead_store_update_key_description(NULL, K, "d", EOUT));
    NULLP(keystead_store_update_key_description(store, NULL, "d", EOUT));
    NULLP(keystead_store_update_key_description(store, K, NULL, EOUT));
    NULLP(keystead_store_enable_key(NULL, K, EOUT));
    NULLP(keystead_store_enable_key(store, NULL, EOUT));
    NULLP(keystead_store_disable_key(NULL, K, EOUT));
    NULLP(keystead_store_disable_key(store, NULL, EOUT));
    NULLP(keystead_store_schedule_key_deletion(NULL, K, 0, NULL, EOUT));
    NULLP(keystead_store_schedule_key_deletion(store, NULL, 0, NULL, EOUT));
    NULLP(keystead_store_cancel_key_deletion(NULL, K, NULL, EOUT));
    NULLP(keystead_store_cancel_key_deletion(store, NULL, NULL, EOUT));
    NULLP(keystead_store_tag_resource(NULL, K, tags, EOUT));
    NULLP(keystead_store_tag_resource(store, NULL, tags, EOUT));
    NULLP(keystead_store_tag_resource(store, K, NULL, EOUT));
    const char *names[] = {"a"};
    NULLP(keystead_store_untag_resource(NULL, K, names, 1, EOUT));
    NULLP(keystead_store_untag_resource(store, NULL, names, 1, EOUT));
    NULLP(keystead_store_untag_resource(store, K, NULL, 1, EOUT));
    NULLP(keystead_store_list_resource_tags(NULL, K, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_resource_tags(store, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_resource_tags(store, K, 0, NULL, NULL, EOUT));
    NULLP(keystead_store_create_alias(NULL, "alias/a", K, EOUT));
    NULLP(keystead_store_create_alias(store, NULL, K, EOUT));
    NULLP(keystead_store_create_alias(store, "alias/a", NULL, EOUT));
    NULLP(keystead_store_update_alias(NULL, "alias/a", K, EOUT));
    NULLP(keystead_store_update_alias(store, NULL, K, EOUT));
    NULLP(keystead_store_update_alias(store, "alias/a", NULL, EOUT));
    NULLP(keystead_store_delete_alias(NULL, "alias/a", EOUT));
    NULLP(keystead_store_delete_alias(store, NULL, EOUT));
    NULLP(keystead_store_list_aliases(NULL, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_aliases(store, NULL, 0, NULL, NULL, EOUT));
    NULLP(keystead_store_enable_key_rotation(NULL, K, 0, EOUT));
    NULLP(keystead_store_enable_key_rotation(store, NULL, 0, EOUT));
    NULLP(keystead_store_disable_key_rotation(NULL, K, EOUT));
    NULLP(keystead_store_disable_key_rotation(store, NULL, EOUT));
    NULLP(keystead_store_get_key_rotation_status(NULL, K, &out, EOUT));
    NULLP(keystead_store_get_key_rotation_status(store, NULL, &out, EOUT));
    NULLP(keystead_store_get_key_rotation_status(store, K, NULL, EOUT));
    NULLP(keystead_store_rotate_key_on_demand(NULL, K, NULL, EOUT));
    NULLP(keystead_store_rotate_key_on_demand(store, NULL, NULL, EOUT));
    NULLP(keystead_store_list_key_rotations(NULL, K, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_key_rotations(store, NULL, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_key_rotations(store, K, NULL, 0, NULL, NULL, EOUT));
    CHECK(out == NULL);
    /* Optional pointers: NULL request, metadata, marker, key filter, outputs. */
    CHECK_OK(keystead_store_create_key(store, NULL, &out, NULL, ERR));
    keystead_bytes_free(out);
    out = NULL;
    CHECK_OK(keystead_store_list_keys(store, 0, NULL, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
    CHECK_OK(keystead_store_list_aliases(store, NULL, 0, NULL, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
}

static void test_null_crypto(void) {
    keystead_bytes *out = NULL, *out2 = NULL;
    const uint8_t *p = (const uint8_t *)"x";
    NULLP(keystead_store_encrypt(NULL, K, p, 1, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_encrypt(store, NULL, p, 1, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_encrypt(store, K, NULL, 1, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_encrypt(store, K, p, 1, NULL, NULL, NULL, EOUT));
    NULLP(keystead_store_decrypt(NULL, CTD, CTL, NULL, NULL, NULL, &out, NULL, EOUT));
    NULLP(keystead_store_decrypt(store, NULL, CTL, NULL, NULL, NULL, &out, NULL, EOUT));
    NULLP(keystead_store_decrypt(store, CTD, CTL, NULL, NULL, NULL, NULL, &out2, EOUT));
    CHECK(out2 == NULL);
    NULLP(keystead_store_re_encrypt(NULL, CTD, CTL, NULL, NULL, K, NULL, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_re_encrypt(store, NULL, CTL, NULL, NULL, K, NULL, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_re_encrypt(store, CTD, CTL, NULL, NULL, NULL, NULL, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_re_encrypt(store, CTD, CTL, NULL, NULL, K, NULL, NULL, NULL, NULL, EOUT));
    NULLP(keystead_store_generate_data_key(NULL, K, NULL, "AES_256", 0, &out, &out2, EOUT));
    NULLP(keystead_store_generate_data_key(store, NULL, NULL, "AES_256", 0, &out, &out2, EOUT));
    NULLP(keystead_store_generate_data_key(store, K, NULL, "AES_256", 0, NULL, &out2, EOUT));
    NULLP(keystead_store_generate_data_key(store, K, NULL, "AES_256", 0, &out, NULL, EOUT));
    NULLP(keystead_store_generate_data_key_without_plaintext(NULL, K, NULL, "AES_256", 0, &out, EOUT));
    NULLP(keystead_store_generate_data_key_without_plaintext(store, NULL, NULL, "AES_256", 0, &out, EOUT));
    NULLP(keystead_store_generate_data_key_without_plaintext(store, K, NULL, "AES_256", 0, NULL, EOUT));
    NULLP(keystead_store_generate_random(NULL, 8, &out, EOUT));
    NULLP(keystead_store_generate_random(store, 8, NULL, EOUT));
    CHECK(out == NULL && out2 == NULL);
    /* A zero-length input may be NULL (then it fails AWS validation, not as a NULL). */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_encrypt(store, K, NULL, 0, NULL, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_decrypt(store, NULL, 0, NULL, NULL, NULL, &out, NULL, ERR));
    /* Optional context, algorithm, key id, outputs. */
    CHECK_OK(keystead_store_decrypt(store, CTD, CTL, NULL, NULL, NULL, &out, NULL, ERR));
    keystead_bytes_free(out);
}

static void test_null_signing(void) {
    keystead_bytes *out = NULL, *out2 = NULL;
    const uint8_t *m = (const uint8_t *)"m";
    NULLP(keystead_store_sign(NULL, K, m, 1, NULL, "ECDSA_SHA_256", &out, EOUT));
    NULLP(keystead_store_sign(store, NULL, m, 1, NULL, "ECDSA_SHA_256", &out, EOUT));
    NULLP(keystead_store_sign(store, K, NULL, 1, NULL, "ECDSA_SHA_256", &out, EOUT));
    NULLP(keystead_store_sign(store, K, m, 1, NULL, "ECDSA_SHA_256", NULL, EOUT));
    NULLP(keystead_store_verify(NULL, K, m, 1, NULL, m, 1, "ECDSA_SHA_256", EOUT));
    NULLP(keystead_store_verify(store, NULL, m, 1, NULL, m, 1, "ECDSA_SHA_256", EOUT));
    NULLP(keystead_store_verify(store, K, NULL, 1, NULL, m, 1, "ECDSA_SHA_256", EOUT));
    NULLP(keystead_store_verify(store, K, m, 1, NULL, NULL, 1, "ECDSA_SHA_256", EOUT));
    NULLP(keystead_store_get_public_key(NULL, K, &out, NULL, EOUT));
    NULLP(keystead_store_get_public_key(store, NULL, &out, NULL, EOUT));
    NULLP(keystead_store_get_public_key(store, K, NULL, &out2, EOUT));
    NULLP(keystead_store_generate_mac(NULL, K, m, 1, "HMAC_SHA_256", &out, EOUT));
    NULLP(keystead_store_generate_mac(store, NULL, m, 1, "HMAC_SHA_256", &out, EOUT));
    NULLP(keystead_store_generate_mac(store, K, NULL, 1, "HMAC_SHA_256", &out, EOUT));
    NULLP(keystead_store_generate_mac(store, K, m, 1, "HMAC_SHA_256", NULL, EOUT));
    NULLP(keystead_store_verify_mac(NULL, K, m, 1, m, 1, "HMAC_SHA_256", EOUT));
    NULLP(keystead_store_verify_mac(store, NULL, m, 1, m, 1, "HMAC_SHA_256", EOUT));
    NULLP(keystead_store_verify_mac(store, K, NULL, 1, m, 1, "HMAC_SHA_256", EOUT));
    NULLP(keystead_store_verify_mac(store, K, m, 1, NULL, 1, "HMAC_SHA_256", EOUT));
    keystead_bytes *out3 = NULL;
    NULLP(keystead_store_generate_data_key_pair(NULL, K, NULL, "ECC_NIST_P256", &out, &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair(store, NULL, NULL, "ECC_NIST_P256", &out, &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair(store, K, NULL, "ECC_NIST_P256", NULL, &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair(store, K, NULL, "ECC_NIST_P256", &out, NULL, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair(store, K, NULL, "ECC_NIST_P256", &out, &out2, NULL, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext(NULL, K, NULL, "ECC_NIST_P256", &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext(store, NULL, NULL, "ECC_NIST_P256", &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext(store, K, NULL, "ECC_NIST_P256", NULL, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext(store, K, NULL, "ECC_NIST_P256", &out2, NULL, EOUT));
    NULLP(keystead_store_derive_shared_secret(NULL, K, "ECDH", m, 1, &out, EOUT));
    NULLP(keystead_store_derive_shared_secret(store, NULL, "ECDH", m, 1, &out, EOUT));
    NULLP(keystead_store_derive_shared_secret(store, K, "ECDH", NULL, 1, &out, EOUT));
    NULLP(keystead_store_derive_shared_secret(store, K, "ECDH", m, 1, NULL, EOUT));
    CHECK(out == NULL && out2 == NULL && out3 == NULL);
    NULLP(keystead_store_get_parameters_for_import(NULL, K, "RSAES_OAEP_SHA_256", "RSA_2048", &out, &out2, NULL, EOUT));
    NULLP(keystead_store_get_parameters_for_import(store, NULL, "RSAES_OAEP_SHA_256", "RSA_2048", &out, &out2, NULL, EOUT));
    NULLP(keystead_store_get_parameters_for_import(store, K, NULL, "RSA_2048", &out, &out2, NULL, EOUT));
    NULLP(keystead_store_get_parameters_for_import(store, K, "RSAES_OAEP_SHA_256", NULL, &out, &out2, NULL, EOUT));
    NULLP(keystead_store_get_parameters_for_import(store, K, "RSAES_OAEP_SHA_256", "RSA_2048", NULL, &out2, NULL, EOUT));
    NULLP(keystead_store_get_parameters_for_import(store, K, "RSAES_OAEP_SHA_256", "RSA_2048", &out, NULL, &out3, EOUT));
    NULLP(keystead_store_import_key_material(NULL, K, m, 1, m, 1, NULL, 0, NULL, EOUT));
    NULLP(keystead_store_import_key_material(store, NULL, m, 1, m, 1, NULL, 0, NULL, EOUT));
    NULLP(keystead_store_import_key_material(store, K, NULL, 1, m, 1, NULL, 0, NULL, EOUT));
    NULLP(keystead_store_import_key_material(store, K, m, 1, NULL, 1, NULL, 0, &out, EOUT));
    NULLP(keystead_store_delete_imported_key_material(NULL, K, NULL, EOUT));
    NULLP(keystead_store_delete_imported_key_material(store, NULL, &out, EOUT));
    NULLP(keystead_store_create_access_key(NULL, "arn:aws:iam::111122223333:role/x", &out, &out2, EOUT));
    NULLP(keystead_store_create_access_key(store, NULL, &out, &out2, EOUT));
    NULLP(keystead_store_create_access_key(store, "arn:aws:iam::111122223333:role/x", NULL, &out2, EOUT));
    NULLP(keystead_store_create_access_key(store, "arn:aws:iam::111122223333:role/x", &out, NULL, EOUT));
    NULLP(keystead_store_add_access_key(NULL, "AKIAIOSFODNN7EXAMPLE", m, 1, "arn:aws:iam::111122223333:role/x", NULL, EOUT));
    NULLP(keystead_store_add_access_key(store, NULL, m, 1, "arn:aws:iam::111122223333:role/x", NULL, EOUT));
    NULLP(keystead_store_add_access_key(store, "AKIAIOSFODNN7EXAMPLE", NULL, 1, "arn:aws:iam::111122223333:role/x", NULL, EOUT));
    NULLP(keystead_store_add_access_key(store, "AKIAIOSFODNN7EXAMPLE", m, 1, NULL, &out, EOUT));
    NULLP(keystead_store_list_access_keys(NULL, &out, EOUT));
    NULLP(keystead_store_list_access_keys(store, NULL, EOUT));
    NULLP(keystead_store_delete_access_key(NULL, "AKIAIOSFODNN7EXAMPLE", EOUT));
    NULLP(keystead_store_delete_access_key(store, NULL, EOUT));
    const char *ids[] = {K, NULL};
    NULLP(keystead_envelope_seal(NULL, K, m, 1, NULL, NULL, 0, 0, &out, EOUT));
    NULLP(keystead_envelope_seal(store, NULL, m, 1, NULL, NULL, 0, 0, &out, EOUT));
    NULLP(keystead_envelope_seal(store, K, NULL, 1, NULL, NULL, 0, 0, &out, EOUT));
    NULLP(keystead_envelope_seal(store, K, m, 1, NULL, NULL, 1, 0, &out, EOUT));
    NULLP(keystead_envelope_seal(store, K, m, 1, NULL, ids, 2, 0, &out, EOUT));
    NULLP(keystead_envelope_seal(store, K, m, 1, NULL, NULL, 0, 0, NULL, EOUT));
    NULLP(keystead_envelope_open(NULL, m, 1, NULL, NULL, 0, 0, &out, EOUT));
    NULLP(keystead_envelope_open(store, NULL, 1, NULL, NULL, 0, 0, &out, EOUT));
    NULLP(keystead_envelope_open(store, m, 1, NULL, NULL, 1, 0, &out, EOUT));
    NULLP(keystead_envelope_open(store, m, 1, NULL, ids, 2, 0, &out, EOUT));
    NULLP(keystead_envelope_open(store, m, 1, NULL, NULL, 0, 0, NULL, EOUT));
    CHECK(out == NULL && out2 == NULL && out3 == NULL);
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_generate_data_key_pair(store, K, NULL, NULL, &out, &out2, &out3, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_derive_shared_secret(store, K, NULL, m, 1, &out, ERR));
    /* NULL algorithms are a ValidationException (required by AWS), not a NULL error. */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_sign(store, K, m, 1, NULL, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_verify(store, K, m, 1, NULL, m, 1, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_generate_mac(store, K, m, 1, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_verify_mac(store, K, m, 1, m, 1, NULL, ERR));
}

/* Access control (issue 8): principals, policies, grants, call options, explain, metrics. */
static void test_null_access(void) {
    keystead_bytes *out = NULL, *out2 = NULL;
    keystead_store *s = NULL;
    keystead_call_options *co = NULL;
    keystead_create_grant_request *gr = NULL;
    const char *arn = "arn:aws:iam::111122223333:role/x";
    const uint8_t *p = (const uint8_t *)"x";
    NULLP(keystead_options_set_audit(NULL, false, EOUT));
    NULLP(keystead_store_as_principal(NULL, arn, &s, EOUT));
    NULLP(keystead_store_as_principal(store, NULL, &s, EOUT));
    NULLP(keystead_store_as_principal(store, arn, NULL, EOUT));
    NULLP(keystead_store_as_principal_with_access_key(NULL, arn, "AKIA", &s, EOUT));
    NULLP(keystead_store_as_principal_with_access_key(store, NULL, "AKIA", &s, EOUT));
    NULLP(keystead_store_as_principal_with_access_key(store, arn, NULL, &s, EOUT));
    NULLP(keystead_store_as_principal_with_access_key(store, arn, "AKIA", NULL, EOUT));
    CHECK(s == NULL);
    NULLP(keystead_store_principal_arn(NULL, &out, EOUT));
    NULLP(keystead_store_principal_arn(store, NULL, EOUT));
    NULLP(keystead_create_key_request_set_policy(NULL, "{}", EOUT));
    NULLP(keystead_create_key_request_set_policy(req, NULL, EOUT));
    NULLP(keystead_create_key_request_set_bypass_policy_lockout_safety_check(NULL, true, EOUT));
    NULLP(keystead_store_put_key_policy(NULL, K, "{}", NULL, false, EOUT));
    NULLP(keystead_store_put_key_policy(store, NULL, "{}", NULL, false, EOUT));
    NULLP(keystead_store_put_key_policy(store, K, NULL, NULL, false, EOUT));
    NULLP(keystead_store_get_key_policy(NULL, K, NULL, &out, EOUT));
    NULLP(keystead_store_get_key_policy(store, NULL, NULL, &out, EOUT));
    NULLP(keystead_store_get_key_policy(store, K, NULL, NULL, EOUT));
    NULLP(keystead_store_list_key_policies(NULL, K, &out, EOUT));
    NULLP(keystead_store_list_key_policies(store, NULL, &out, EOUT));
    NULLP(keystead_store_list_key_policies(store, K, NULL, EOUT));
    const char *ck[] = {"aws:SourceIp"};
    const char *cv[] = {"10.0.0.1"};
    const char *cnull[] = {NULL};
    NULLP(keystead_store_explain(NULL, K, "kms:Encrypt", NULL, NULL, NULL, 0, &out, EOUT));
    NULLP(keystead_store_explain(store, NULL, "kms:Encrypt", NULL, NULL, NULL, 0, &out, EOUT));
    NULLP(keystead_store_explain(store, K, NULL, NULL, NULL, NULL, 0, &out, EOUT));
    NULLP(keystead_store_explain(store, K, "kms:Encrypt", NULL, NULL, cv, 1, &out, EOUT));
    NULLP(keystead_store_explain(store, K, "kms:Encrypt", NULL, ck, NULL, 1, &out, EOUT));
    NULLP(keystead_store_explain(store, K, "kms:Encrypt", NULL, ck, cnull, 1, &out, EOUT));
    NULLP(keystead_store_explain(store, K, "kms:Encrypt", NULL, NULL, NULL, 0, NULL, EOUT));
    NULLP(keystead_call_options_new(NULL, EOUT));
    NULLP(keystead_call_options_add_grant_token(NULL, "t", EOUT));
    NULLP(keystead_call_options_set_dry_run(NULL, true, EOUT));
    CHECK_OK(keystead_call_options_new(&co, ERR));
    NULLP(keystead_call_options_add_grant_token(co, NULL, EOUT));
    NULLP(keystead_store_encrypt_with_options(NULL, K, p, 1, NULL, NULL, co, &out, EOUT));
    NULLP(keystead_store_encrypt_with_options(store, NULL, p, 1, NULL, NULL, co, &out, EOUT));
    NULLP(keystead_store_encrypt_with_options(store, K, NULL, 1, NULL, NULL, co, &out, EOUT));
    NULLP(keystead_store_encrypt_with_options(store, K, p, 1, NULL, NULL, co, NULL, EOUT));
    NULLP(keystead_store_decrypt_with_options(NULL, CTD, CTL, NULL, NULL, NULL, co, &out, NULL, EOUT));
    NULLP(keystead_store_decrypt_with_options(store, NULL, CTL, NULL, NULL, NULL, co, &out, NULL, EOUT));
    NULLP(keystead_store_decrypt_with_options(store, CTD, CTL, NULL, NULL, NULL, co, NULL, &out2, EOUT));
    NULLP(keystead_store_generate_data_key_with_options(NULL, K, NULL, "AES_256", 0, co, &out, &out2, EOUT));
    NULLP(keystead_store_generate_data_key_with_options(store, NULL, NULL, "AES_256", 0, co, &out, &out2, EOUT));
    NULLP(keystead_store_generate_data_key_with_options(store, K, NULL, "AES_256", 0, co, NULL, &out2, EOUT));
    NULLP(keystead_store_generate_data_key_with_options(store, K, NULL, "AES_256", 0, co, &out, NULL, EOUT));
    CHECK(out == NULL && out2 == NULL);
    NULLP(keystead_create_grant_request_new(NULL, arn, &gr, EOUT));
    NULLP(keystead_create_grant_request_new(K, NULL, &gr, EOUT));
    NULLP(keystead_create_grant_request_new(K, arn, NULL, EOUT));
    CHECK(gr == NULL);
    CHECK_OK(keystead_create_grant_request_new(K, arn, &gr, ERR));
    NULLP(keystead_create_grant_request_add_operation(NULL, "Encrypt", EOUT));
    NULLP(keystead_create_grant_request_add_operation(gr, NULL, EOUT));
    NULLP(keystead_create_grant_request_set_retiring_principal(NULL, arn, EOUT));
    NULLP(keystead_create_grant_request_set_retiring_principal(gr, NULL, EOUT));
    NULLP(keystead_create_grant_request_set_name(NULL, "n", EOUT));
    NULLP(keystead_create_grant_request_set_name(gr, NULL, EOUT));
    NULLP(keystead_create_grant_request_set_constraints(NULL, ctx, NULL, EOUT));
    NULLP(keystead_store_create_grant(NULL, gr, NULL, &out, &out2, EOUT));
    NULLP(keystead_store_create_grant(store, NULL, NULL, &out, &out2, EOUT));
    NULLP(keystead_store_create_grant(store, gr, NULL, NULL, &out2, EOUT));
    NULLP(keystead_store_list_grants(NULL, K, NULL, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_grants(store, NULL, NULL, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_grants(store, K, NULL, NULL, 0, NULL, NULL, EOUT));
    NULLP(keystead_store_list_retirable_grants(NULL, arn, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_retirable_grants(store, NULL, 0, NULL, &out, EOUT));
    NULLP(keystead_store_list_retirable_grants(store, arn, 0, NULL, NULL, EOUT));
    NULLP(keystead_store_retire_grant(NULL, "token", NULL, NULL, false, EOUT));
    NULLP(keystead_store_revoke_grant(NULL, K, "g", false, EOUT));
    NULLP(keystead_store_revoke_grant(store, NULL, "g", false, EOUT));
    NULLP(keystead_store_revoke_grant(store, K, NULL, false, EOUT));
    NULLP(keystead_store_metrics_json(NULL, &out, EOUT));
    NULLP(keystead_store_metrics_json(store, NULL, EOUT));
    NULLP(keystead_store_metrics_prometheus(NULL, &out, EOUT));
    NULLP(keystead_store_metrics_prometheus(store, NULL, EOUT));
    CHECK(out == NULL && out2 == NULL);
    /* Optional pointers: NULL call options, context, constraints, grant token output, filters,
     * and NULL/0 condition arrays are accepted. */
    CHECK_OK(keystead_store_encrypt_with_options(store, K, p, 1, NULL, NULL, NULL, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
    CHECK_OK(keystead_store_get_key_policy(store, K, NULL, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
    CHECK_OK(keystead_store_explain(store, K, "kms:Encrypt", NULL, NULL, NULL, 0, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
    CHECK_OK(keystead_create_grant_request_set_constraints(gr, NULL, NULL, ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(gr, "Encrypt", ERR));
    CHECK_OK(keystead_store_create_grant(store, gr, NULL, &out, NULL, ERR));
    keystead_bytes_free(out);
    out = NULL;
    CHECK_OK(keystead_store_list_grants(store, K, NULL, NULL, 0, NULL, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
    /* RetireGrant with neither a token nor key and grant id: ValidationException. */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_retire_grant(store, NULL, NULL, NULL, false, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_retire_grant(store, NULL, NULL, "g", false, ERR));
    /* Bad enum strings and limits. */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_create_grant_request_add_operation(gr, "bogus", ERR));
    CHECK_RC(KEYSTEAD_RESULT_INVALID_ARGUMENT, keystead_create_grant_request_add_operation(gr, "\xff", ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_list_grants(store, K, NULL, NULL, 101, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_list_retirable_grants(store, arn, 0xFFFFFFFFu, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_encrypt_with_options(store, K, p, 1, NULL, "bogus", co, &out, ERR));
    CHECK(out == NULL);
    keystead_create_grant_request_free(gr);
    keystead_call_options_free(co);
    keystead_call_options_free(NULL);
    keystead_create_grant_request_free(NULL);
}

/* Enum strings that are not AWS values: ValidationException, never a crash. Integers from C
 * only size things (limits, day counts, byte counts), and out-of-range ones are validated. */
static void test_bad_enums_and_ranges(void) {
    keystead_bytes *out = NULL, *out2 = NULL;
    const char *bad[] = {"", "bogus", "SYMMETRIC_DEFAULT ", "aes_256", "\xff", "RSA_2048\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        keystead_result want = (bad[i][0] == '\xff') ? KEYSTEAD_RESULT_INVALID_ARGUMENT : KEYSTEAD_RESULT_VALIDATION;
        CHECK_RC(want, keystead_create_key_request_set_key_spec(req, bad[i], ERR));
        CHECK_RC(want, keystead_create_key_request_set_key_usage(req, bad[i], ERR));
        CHECK_RC(want, keystead_create_key_request_set_origin(req, bad[i], ERR));
        CHECK_RC(want, keystead_store_encrypt(store, K, (const uint8_t *)"x", 1, NULL, bad[i], &out, ERR));
        CHECK_RC(want, keystead_store_decrypt(store, CTD, CTL, NULL, NULL, bad[i], &out, NULL, ERR));
        CHECK_RC(want, keystead_store_re_encrypt(store, CTD, CTL, NULL, NULL, K, NULL, bad[i], NULL, &out, ERR));
        CHECK_RC(want, keystead_store_re_encrypt(store, CTD, CTL, NULL, NULL, K, NULL, NULL, bad[i], &out, ERR));
        CHECK_RC(want, keystead_store_generate_data_key(store, K, NULL, bad[i], 0, &out, &out2, ERR));
        CHECK_RC(want, keystead_store_generate_data_key_without_plaintext(store, K, NULL, bad[i], 0, &out, ERR));
        CHECK_RC(want, keystead_store_list_key_rotations(store, K, bad[i], 0, NULL, &out, ERR));
        CHECK_RC(want, keystead_store_sign(store, K, (const uint8_t *)"m", 1, bad[i], "ECDSA_SHA_256", &out, ERR));
        CHECK_RC(want, keystead_store_sign(store, K, (const uint8_t *)"m", 1, NULL, bad[i], &out, ERR));
        CHECK_RC(want, keystead_store_verify(store, K, (const uint8_t *)"m", 1, bad[i], (const uint8_t *)"s", 1, "ECDSA_SHA_256", ERR));
        CHECK_RC(want, keystead_store_verify(store, K, (const uint8_t *)"m", 1, NULL, (const uint8_t *)"s", 1, bad[i], ERR));
        CHECK_RC(want, keystead_store_generate_mac(store, K, (const uint8_t *)"m", 1, bad[i], &out, ERR));
        keystead_bytes *out3 = NULL;
        CHECK_RC(want, keystead_store_generate_data_key_pair(store, K, NULL, bad[i], &out, &out2, &out3, ERR));
        CHECK_RC(want, keystead_store_generate_data_key_pair_without_plaintext(store, K, NULL, bad[i], &out2, &out3, ERR));
        CHECK_RC(want, keystead_store_derive_shared_secret(store, K, bad[i], (const uint8_t *)"p", 1, &out, ERR));
        CHECK_RC(want, keystead_store_import_key_material(store, K, (const uint8_t *)"t", 1, (const uint8_t *)"m", 1, bad[i], 0, NULL, ERR));
        CHECK_RC(want, keystead_store_get_parameters_for_import(store, K, bad[i], "RSA_2048", &out, &out2, NULL, ERR));
        CHECK_RC(want, keystead_store_get_parameters_for_import(store, K, "RSAES_OAEP_SHA_256", bad[i], &out, &out2, NULL, ERR));
        CHECK(out3 == NULL);
        CHECK_RC(want, keystead_store_verify_mac(store, K, (const uint8_t *)"m", 1, (const uint8_t *)"s", 1, bad[i], ERR));
    }
    CHECK(out == NULL && out2 == NULL);
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_list_keys(store, 0xFFFFFFFFu, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_list_resource_tags(store, K, 51, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_list_key_rotations(store, K, NULL, 1001, NULL, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_schedule_key_deletion(store, K, 0xFFFFFFFFu, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_enable_key_rotation(store, K, 0xFFFFFFFFu, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_generate_random(store, 0xFFFFFFFFu, &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_generate_data_key(store, K, NULL, NULL, 0xFFFFFFFFu, &out, &out2, ERR));
    CHECK(strcmp(keystead_result_name(6), "Unknown") == 0 && strcmp(keystead_result_name(202), "Unknown") == 0);
    CHECK(out == NULL && out2 == NULL);
}

/* The _with_options operations added for issue 8 and the audit log functions. Options may be
 * NULL; every other required pointer may not. */
static void test_null_options_and_audit(void) {
    keystead_bytes *out = NULL, *out2 = NULL, *out3 = NULL;
    keystead_call_options *co = NULL;
    const uint8_t *p = (const uint8_t *)"x";
    CHECK_OK(keystead_call_options_new(&co, ERR));
    NULLP(keystead_store_re_encrypt_with_options(NULL, CTD, CTL, NULL, NULL, K, NULL, NULL, NULL, co, &out, EOUT));
    NULLP(keystead_store_re_encrypt_with_options(store, NULL, CTL, NULL, NULL, K, NULL, NULL, NULL, co, &out, EOUT));
    NULLP(keystead_store_re_encrypt_with_options(store, CTD, CTL, NULL, NULL, NULL, NULL, NULL, NULL, co, &out, EOUT));
    NULLP(keystead_store_re_encrypt_with_options(store, CTD, CTL, NULL, NULL, K, NULL, NULL, NULL, co, NULL, EOUT));
    NULLP(keystead_store_generate_data_key_without_plaintext_with_options(NULL, K, NULL, "AES_256", 0, co, &out, EOUT));
    NULLP(keystead_store_generate_data_key_without_plaintext_with_options(store, NULL, NULL, "AES_256", 0, co, &out, EOUT));
    NULLP(keystead_store_generate_data_key_without_plaintext_with_options(store, K, NULL, "AES_256", 0, co, NULL, EOUT));
    NULLP(keystead_store_generate_data_key_pair_with_options(NULL, K, NULL, "RSA_2048", co, &out, &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_with_options(store, NULL, NULL, "RSA_2048", co, &out, &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_with_options(store, K, NULL, "RSA_2048", co, NULL, &out2, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_with_options(store, K, NULL, "RSA_2048", co, &out, NULL, &out3, EOUT));
    NULLP(keystead_store_generate_data_key_pair_with_options(store, K, NULL, "RSA_2048", co, &out, &out2, NULL, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext_with_options(NULL, K, NULL, "RSA_2048", co, &out,
                                                                                &out2, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext_with_options(store, K, NULL, "RSA_2048", co, NULL,
                                                                                &out2, EOUT));
    NULLP(keystead_store_generate_data_key_pair_without_plaintext_with_options(store, K, NULL, "RSA_2048", co, &out,
                                                                                NULL, EOUT));
    NULLP(keystead_store_sign_with_options(NULL, K, p, 1, NULL, "ECDSA_SHA_256", co, &out, EOUT));
    NULLP(keystead_store_sign_with_options(store, NULL, p, 1, NULL, "ECDSA_SHA_256", co, &out, EOUT));
    NULLP(keystead_store_sign_with_options(store, K, NULL, 1, NULL, "ECDSA_SHA_256", co, &out, EOUT));
    NULLP(keystead_store_sign_with_options(store, K, p, 1, NULL, "ECDSA_SHA_256", co, NULL, EOUT));
    NULLP(keystead_store_verify_with_options(NULL, K, p, 1, NULL, p, 1, "ECDSA_SHA_256", co, EOUT));
    NULLP(keystead_store_verify_with_options(store, NULL, p, 1, NULL, p, 1, "ECDSA_SHA_256", co, EOUT));
    NULLP(keystead_store_verify_with_options(store, K, p, 1, NULL, NULL, 1, "ECDSA_SHA_256", co, EOUT));
    NULLP(keystead_store_generate_mac_with_options(NULL, K, p, 1, "HMAC_SHA_256", co, &out, EOUT));
    NULLP(keystead_store_generate_mac_with_options(store, K, NULL, 1, "HMAC_SHA_256", co, &out, EOUT));
    NULLP(keystead_store_generate_mac_with_options(store, K, p, 1, "HMAC_SHA_256", co, NULL, EOUT));
    NULLP(keystead_store_verify_mac_with_options(NULL, K, p, 1, p, 1, "HMAC_SHA_256", co, EOUT));
    NULLP(keystead_store_verify_mac_with_options(store, K, p, 1, NULL, 1, "HMAC_SHA_256", co, EOUT));
    NULLP(keystead_store_derive_shared_secret_with_options(NULL, K, "ECDH", p, 1, co, &out, EOUT));
    NULLP(keystead_store_derive_shared_secret_with_options(store, NULL, "ECDH", p, 1, co, &out, EOUT));
    NULLP(keystead_store_derive_shared_secret_with_options(store, K, "ECDH", NULL, 1, co, &out, EOUT));
    NULLP(keystead_store_derive_shared_secret_with_options(store, K, "ECDH", p, 1, co, NULL, EOUT));
    CHECK(out == NULL && out2 == NULL && out3 == NULL);
    /* NULL options are the plain call. */
    CHECK_OK(keystead_store_generate_data_key_without_plaintext_with_options(store, K, NULL, "AES_256", 0, NULL, &out,
                                                                             ERR));
    keystead_bytes_free(out);
    out = NULL;
    keystead_call_options_free(co);

    keystead_audit_report report;
    keystead_audit_reader *r = NULL;
    NULLP(keystead_audit_verify(NULL, NULL, &report, EOUT));
    NULLP(keystead_audit_verify("/tmp", NULL, NULL, EOUT));
    NULLP(keystead_store_audit_verify(NULL, &report, EOUT));
    NULLP(keystead_store_audit_verify(store, NULL, EOUT));
    NULLP(keystead_audit_reader_open(NULL, NULL, 0, &r, EOUT));
    NULLP(keystead_audit_reader_open("/tmp", NULL, 0, NULL, EOUT));
    NULLP(keystead_store_audit_reader(NULL, NULL, 0, &r, EOUT));
    NULLP(keystead_store_audit_reader(store, NULL, 0, NULL, EOUT));
    NULLP(keystead_audit_reader_next(NULL, &out, EOUT));
    CHECK(r == NULL && out == NULL);
    CHECK(keystead_audit_reader_remaining(NULL) == 0);
    keystead_audit_reader_free(NULL);
}

int main(void) {
    setup();
    RUN(test_null_builders);
    RUN(test_null_store);
    RUN(test_null_keys);
    RUN(test_null_crypto);
    RUN(test_null_signing);
    RUN(test_null_access);
    RUN(test_null_options_and_audit);
    RUN(test_bad_enums_and_ranges);
    teardown();
    printf("null-parameter checks: %d\n", null_checks);
    return SUMMARY("test_null");
}
