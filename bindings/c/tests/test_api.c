/* Keystead C ABI: every function, success and error paths. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Checks a failed call: its code, its error object's code and exception name; frees the error. */
#define EXPECT_ERR(code, name, call)                                                                  \
    do {                                                                                              \
        keystead_error *e_ = NULL;                                                                    \
        keystead_error **EOUT = &e_;                                                                  \
        keystead_result rc_ = (call);                                                                 \
        if (rc_ != (keystead_result)(code) || keystead_error_code(e_) != (keystead_result)(code) ||   \
            strcmp(keystead_error_name(e_), (name)) != 0 || strlen(keystead_error_message(e_)) == 0) { \
            fprintf(stderr, "  EXPECT_ERR failed at %s:%d: %s gave %u %s: %s (wanted %u %s)\n",        \
                    __FILE__, __LINE__, #call, (unsigned)rc_, keystead_error_name(e_),                \
                    keystead_error_message(e_), (unsigned)(code), (name));                            \
            harness_current_failed = 1;                                                               \
        }                                                                                             \
        (void)EOUT;                                                                                   \
        keystead_error_free(e_);                                                                      \
    } while (0)

static keystead_store *memory_store(void) {
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    return store;
}

/* Creates a default symmetric key; the caller frees the id. */
static keystead_bytes *new_key(keystead_store *store) {
    keystead_bytes *key_id = NULL;
    CHECK_OK(keystead_store_create_key(store, NULL, &key_id, NULL, ERR));
    return key_id;
}

static keystead_context *context_of(const char *k1, const char *v1, const char *k2, const char *v2) {
    keystead_context *ctx = NULL;
    CHECK_OK(keystead_context_new(&ctx, ERR));
    if (k1) CHECK_OK(keystead_context_add(ctx, k1, v1, ERR));
    if (k2) CHECK_OK(keystead_context_add(ctx, k2, v2, ERR));
    return ctx;
}

/* Copies the value of "Field":"value" out of JSON text (enough for markers and ids). */
static char *json_string_field(const keystead_bytes *json, const char *field) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", field);
    const char *at = strstr(bytes_str(json), pattern);
    if (at == NULL) return NULL;
    at += strlen(pattern);
    const char *end = strchr(at, '"');
    if (end == NULL) return NULL;
    char *out = malloc((size_t)(end - at) + 1);
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = '\0';
    return out;
}

static void test_version(void) {
    CHECK(strcmp(keystead_version(), KEYSTEAD_VERSION) == 0);
    CHECK(keystead_abi_version() == KEYSTEAD_ABI_VERSION);
    CHECK(KEYSTEAD_VERSION_NUMBER == KEYSTEAD_VERSION_MAJOR * 10000 + KEYSTEAD_VERSION_MINOR * 100 + KEYSTEAD_VERSION_PATCH);
}

static void test_result_names(void) {
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_OK), "OK") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_INVALID_ARGUMENT), "InvalidArgument") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_NULL_PARAMETER), "NullParameter") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_BUFFER_TOO_SMALL), "BufferTooSmall") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_PANIC), "Panic") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_NOT_FOUND), "NotFoundException") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_INVALID_STATE), "KMSInvalidStateException") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_VALIDATION), "ValidationException") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_INCORRECT_ROOT_KEY), "IncorrectRootKeyException") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_CORRUPT_STORE), "CorruptStoreException") == 0);
    CHECK(strcmp(keystead_result_name(99), "Unknown") == 0);
    CHECK(strcmp(keystead_result_name(0xFFFFFFFFu), "Unknown") == 0);
    CHECK(keystead_result_is_retryable(KEYSTEAD_RESULT_INTERNAL));
    CHECK(keystead_result_is_retryable(KEYSTEAD_RESULT_DEPENDENCY_TIMEOUT));
    CHECK(!keystead_result_is_retryable(KEYSTEAD_RESULT_NOT_FOUND));
    CHECK(!keystead_result_is_retryable(KEYSTEAD_RESULT_OK));
    CHECK(!keystead_result_is_retryable(123456));
    /* Accessors on NULL are harmless. */
    CHECK(keystead_error_code(NULL) == KEYSTEAD_RESULT_OK);
    CHECK(strcmp(keystead_error_name(NULL), "") == 0);
    CHECK(strcmp(keystead_error_message(NULL), "") == 0);
    CHECK(keystead_bytes_data(NULL) == NULL);
    CHECK(keystead_bytes_len(NULL) == 0);
    keystead_error_free(NULL);
    keystead_bytes_free(NULL);
    keystead_context_free(NULL);
    keystead_tags_free(NULL);
    keystead_root_key_free(NULL);
    keystead_options_free(NULL);
    keystead_create_key_request_free(NULL);
    keystead_store_free(NULL);
}

static void test_encrypt_decrypt(void) {
    keystead_store *store = memory_store();
    keystead_bytes *key_id = new_key(store);
    keystead_context *ctx = context_of("order", "42", "tenant", "acme");
    const char *secret = "4111 1111 1111 1111";
    keystead_bytes *ct = NULL, *pt = NULL, *arn = NULL;
    CHECK_OK(keystead_store_encrypt(store, bytes_str(key_id), (const uint8_t *)secret, strlen(secret), ctx, NULL, &ct, ERR));
    CHECK(ct != NULL && keystead_bytes_len(ct) > strlen(secret));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, NULL, &pt, &arn, ERR));
    CHECK(bytes_eq_str(pt, secret));
    CHECK(arn != NULL && strstr(bytes_str(arn), bytes_str(key_id)) != NULL);
    CHECK(arn != NULL && strncmp(bytes_str(arn), "arn:aws:kms:us-east-1:111122223333:key/", 39) == 0);
    keystead_bytes_free(pt);
    pt = NULL;
    /* The same context built in another order decrypts; the explicit algorithm and key id too. */
    keystead_context *ctx2 = context_of("tenant", "acme", "order", "42");
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx2, bytes_str(key_id),
                                    "SYMMETRIC_DEFAULT", &pt, NULL, ERR));
    CHECK(bytes_eq_str(pt, secret));
    keystead_bytes_free(pt);
    keystead_bytes_free(arn);
    keystead_bytes_free(ct);
    keystead_context_free(ctx2);
    keystead_context_free(ctx);
    keystead_bytes_free(key_id);
    keystead_store_free(store);
}

static void test_crypto_errors(void) {
    keystead_store *store = memory_store();
    keystead_bytes *key_id = new_key(store);
    keystead_bytes *other = new_key(store);
    keystead_context *ctx = context_of("purpose", "test", NULL, NULL);
    keystead_context *wrong = context_of("purpose", "other", NULL, NULL);
    keystead_bytes *ct = NULL, *pt = NULL;
    const uint8_t msg[] = "hello";
    CHECK_OK(keystead_store_encrypt(store, bytes_str(key_id), msg, 5, ctx, NULL, &ct, ERR));

    /* Wrong or missing context, tampered blob: InvalidCiphertext, and no output. */
    pt = (keystead_bytes *)&pt;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), wrong, NULL, NULL, &pt, NULL, EOUT));
    CHECK(pt == NULL);
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, EOUT));
    uint8_t tampered[8192];
    size_t n = keystead_bytes_len(ct);
    memcpy(tampered, keystead_bytes_data(ct), n);
    tampered[n - 1] ^= 1;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_store_decrypt(store, tampered, n, ctx, NULL, NULL, &pt, NULL, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_store_decrypt(store, tampered, 3, ctx, NULL, NULL, &pt, NULL, EOUT));
    /* Naming the wrong key: IncorrectKey. */
    EXPECT_ERR(KEYSTEAD_RESULT_INCORRECT_KEY, "IncorrectKeyException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, bytes_str(other), NULL, &pt, NULL, EOUT));

    /* NotFound. */
    keystead_bytes *ct2 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_encrypt(store, "11111111-2222-3333-4444-555555555555", msg, 5, NULL, NULL, &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_encrypt(store, "alias/missing", msg, 5, NULL, NULL, &ct2, EOUT));
    CHECK(ct2 == NULL);

    /* Disabled. */
    CHECK_OK(keystead_store_disable_key(store, bytes_str(key_id), ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_encrypt(store, bytes_str(key_id), msg, 5, NULL, NULL, &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, NULL, &pt, NULL, EOUT));
    CHECK_OK(keystead_store_enable_key(store, bytes_str(key_id), ERR));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, NULL, &pt, NULL, ERR));
    CHECK(pt != NULL && keystead_bytes_len(pt) == 5 && memcmp(keystead_bytes_data(pt), msg, 5) == 0);
    keystead_bytes_free(pt);

    /* Validation: empty and oversized plaintexts, bad enum strings, invalid UTF-8. */
    static uint8_t big[4097];
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_encrypt(store, bytes_str(key_id), NULL, 0, NULL, NULL, &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_encrypt(store, bytes_str(key_id), big, sizeof big, NULL, NULL, &ct2, EOUT));
    CHECK_OK(keystead_store_encrypt(store, bytes_str(key_id), big, 4096, NULL, NULL, &ct2, ERR));
    keystead_bytes_free(ct2);
    ct2 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_encrypt(store, bytes_str(key_id), msg, 5, NULL, "NOT_AN_ALGORITHM", &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_encrypt(store, bytes_str(key_id), msg, 5, NULL, "symmetric_default", &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_KEY_USAGE, "InvalidKeyUsageException",
               keystead_store_encrypt(store, bytes_str(key_id), msg, 5, NULL, "RSAES_OAEP_SHA_256", &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, "", &pt, NULL, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_ARGUMENT, "InvalidArgument",
               keystead_store_encrypt(store, "\xff\xfe", msg, 5, NULL, NULL, &ct2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter",
               keystead_store_encrypt(store, bytes_str(key_id), NULL, 5, NULL, NULL, &ct2, EOUT));
    CHECK(ct2 == NULL);

    /* Errors without an err_out still return their code. */
    CHECK(keystead_store_encrypt(store, "alias/missing", msg, 5, NULL, NULL, &ct2, NULL) == KEYSTEAD_RESULT_NOT_FOUND);

    keystead_bytes_free(ct);
    keystead_context_free(ctx);
    keystead_context_free(wrong);
    keystead_bytes_free(other);
    keystead_bytes_free(key_id);
    keystead_store_free(store);
}

static void test_context_builder(void) {
    keystead_context *ctx = context_of("a", "1", NULL, NULL);
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_ARGUMENT, "InvalidArgument", keystead_context_add(ctx, "a", "2", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_ARGUMENT, "InvalidArgument", keystead_context_add(ctx, "b", "\xc3\x28", EOUT));
    CHECK_OK(keystead_context_add(ctx, "", "", ERR));
    keystead_context_free(ctx);
}

static void test_create_key_request(void) {
    keystead_store *store = memory_store();
    keystead_create_key_request *req = NULL;
    keystead_tags *tags = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_key_spec(req, "SYMMETRIC_DEFAULT", ERR));
    CHECK_OK(keystead_create_key_request_set_key_usage(req, "ENCRYPT_DECRYPT", ERR));
    CHECK_OK(keystead_create_key_request_set_origin(req, "AWS_KMS", ERR));
    CHECK_OK(keystead_create_key_request_set_description(req, "orders", ERR));
    CHECK_OK(keystead_create_key_request_set_multi_region(req, false, ERR));
    CHECK_OK(keystead_tags_new(&tags, ERR));
    CHECK_OK(keystead_tags_add(tags, "team", "payments", ERR));
    CHECK_OK(keystead_create_key_request_set_tags(req, tags, ERR));
    keystead_bytes *key_id = NULL, *json = NULL;
    CHECK_OK(keystead_store_create_key(store, req, &key_id, &json, ERR));
    CHECK(key_id != NULL && keystead_bytes_len(key_id) == 36);
    CHECK(json != NULL && strncmp(bytes_str(json), "{\"KeyMetadata\":{", 16) == 0);
    CHECK(json != NULL && strstr(bytes_str(json), "\"Description\":\"orders\"") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeyState\":\"Enabled\"") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeySpec\":\"SYMMETRIC_DEFAULT\"") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "\"AWSAccountId\":\"111122223333\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_list_resource_tags(store, bytes_str(key_id), 0, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "{\"TagKey\":\"team\",\"TagValue\":\"payments\"}") != NULL);
    keystead_bytes_free(json);

    /* Bad enum strings are ValidationException at set time; unsupported values at create time. */
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_create_key_request_set_key_spec(req, "AES_999", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_create_key_request_set_key_usage(req, "EAT", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_create_key_request_set_origin(req, "", EOUT));
    CHECK_OK(keystead_create_key_request_set_multi_region(req, true, ERR));
    keystead_bytes *id2 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_UNSUPPORTED_OPERATION, "UnsupportedOperationException",
               keystead_store_create_key(store, req, &id2, NULL, EOUT));
    CHECK_OK(keystead_create_key_request_set_multi_region(req, false, ERR));
    /* Bad tags: the reserved prefix. */
    CHECK_OK(keystead_tags_add(tags, "aws:reserved", "x", ERR));
    CHECK_OK(keystead_create_key_request_set_tags(req, tags, ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_TAG, "TagException", keystead_store_create_key(store, req, &id2, NULL, EOUT));
    CHECK(id2 == NULL);
    keystead_tags_free(tags);
    keystead_create_key_request_free(req);
    keystead_bytes_free(key_id);
    keystead_store_free(store);
}

static void test_describe_and_list(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k1 = new_key(store), *k2 = new_key(store), *k3 = new_key(store);
    keystead_bytes *json = NULL;
    CHECK_OK(keystead_store_describe_key(store, bytes_str(k1), &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), bytes_str(k1)) != NULL);
    keystead_bytes_free(json);
    json = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_describe_key(store, "00000000-0000-4000-8000-000000000000", &json, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException", keystead_store_describe_key(store, "not-a-key", &json, EOUT));
    CHECK(json == NULL);

    CHECK_OK(keystead_store_list_keys(store, 0, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"Truncated\":false") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), bytes_str(k2)) != NULL && strstr(bytes_str(json), bytes_str(k3)) != NULL);
    keystead_bytes_free(json);
    json = NULL;
    /* Paging: two pages of limit 2. */
    CHECK_OK(keystead_store_list_keys(store, 2, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"Truncated\":true") != NULL);
    char *marker = json ? json_string_field(json, "NextMarker") : NULL;
    CHECK(marker != NULL);
    keystead_bytes_free(json);
    json = NULL;
    if (marker) {
        CHECK_OK(keystead_store_list_keys(store, 2, marker, &json, ERR));
        CHECK(json != NULL && strstr(bytes_str(json), "\"Truncated\":false") != NULL);
        keystead_bytes_free(json);
        json = NULL;
        free(marker);
    }
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_MARKER, "InvalidMarkerException", keystead_store_list_keys(store, 2, "bogus", &json, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_list_keys(store, 1001, NULL, &json, EOUT));

    CHECK_OK(keystead_store_update_key_description(store, bytes_str(k1), "renamed", ERR));
    CHECK_OK(keystead_store_describe_key(store, bytes_str(k1), &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"Description\":\"renamed\"") != NULL);
    keystead_bytes_free(json);
    static char long_text[8194];
    memset(long_text, 'x', 8193);
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_update_key_description(store, bytes_str(k1), long_text, EOUT));
    keystead_bytes_free(k1);
    keystead_bytes_free(k2);
    keystead_bytes_free(k3);
    keystead_store_free(store);
}

static void test_tags(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key(store);
    keystead_tags *tags = NULL;
    CHECK_OK(keystead_tags_new(&tags, ERR));
    CHECK_OK(keystead_tags_add(tags, "env", "prod", ERR));
    CHECK_OK(keystead_tags_add(tags, "owner", "ops", ERR));
    CHECK_OK(keystead_store_tag_resource(store, bytes_str(k), tags, ERR));
    keystead_bytes *json = NULL;
    CHECK_OK(keystead_store_list_resource_tags(store, bytes_str(k), 1, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"env\"") != NULL && strstr(bytes_str(json), "\"Truncated\":true") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    const char *remove[] = {"env", "absent"};
    CHECK_OK(keystead_store_untag_resource(store, bytes_str(k), remove, 2, ERR));
    CHECK_OK(keystead_store_untag_resource(store, bytes_str(k), NULL, 0, ERR));
    CHECK_OK(keystead_store_list_resource_tags(store, bytes_str(k), 0, NULL, &json, ERR));
    CHECK(json != NULL && strcmp(bytes_str(json), "{\"Tags\":[{\"TagKey\":\"owner\",\"TagValue\":\"ops\"}],\"Truncated\":false}") == 0);
    keystead_bytes_free(json);
    const char *bad[] = {"aws:x"};
    EXPECT_ERR(KEYSTEAD_RESULT_TAG, "TagException", keystead_store_untag_resource(store, bytes_str(k), bad, 1, EOUT));
    const char *with_null[] = {"owner", NULL};
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_store_untag_resource(store, bytes_str(k), with_null, 2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_store_untag_resource(store, bytes_str(k), NULL, 1, EOUT));
    keystead_tags *dup = NULL;
    CHECK_OK(keystead_tags_new(&dup, ERR));
    CHECK_OK(keystead_tags_add(dup, "a", "1", ERR));
    CHECK_OK(keystead_tags_add(dup, "a", "2", ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_TAG, "TagException", keystead_store_tag_resource(store, bytes_str(k), dup, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_tag_resource(store, "00000000-0000-4000-8000-000000000000", tags, EOUT));
    keystead_tags_free(dup);
    keystead_tags_free(tags);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static void test_aliases(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k1 = new_key(store), *k2 = new_key(store);
    CHECK_OK(keystead_store_create_alias(store, "alias/orders", bytes_str(k1), ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_ALREADY_EXISTS, "AlreadyExistsException",
               keystead_store_create_alias(store, "alias/orders", bytes_str(k2), EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_ALIAS_NAME, "InvalidAliasNameException",
               keystead_store_create_alias(store, "orders", bytes_str(k2), EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_create_alias(store, "alias/x", "00000000-0000-4000-8000-000000000000", EOUT));
    /* Encrypt by alias, decrypt reports the key. */
    keystead_bytes *ct = NULL, *pt = NULL, *arn = NULL;
    CHECK_OK(keystead_store_encrypt(store, "alias/orders", (const uint8_t *)"x", 1, NULL, NULL, &ct, ERR));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, "alias/orders", NULL, &pt, &arn, ERR));
    CHECK(arn != NULL && strstr(bytes_str(arn), bytes_str(k1)) != NULL);
    keystead_bytes *json = NULL;
    CHECK_OK(keystead_store_list_aliases(store, NULL, 0, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"AliasName\":\"alias/orders\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_update_alias(store, "alias/orders", bytes_str(k2), ERR));
    CHECK_OK(keystead_store_list_aliases(store, bytes_str(k2), 10, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "alias/orders") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_list_aliases(store, bytes_str(k1), 10, NULL, &json, ERR));
    CHECK(json != NULL && strcmp(bytes_str(json), "{\"Aliases\":[],\"Truncated\":false}") == 0);
    keystead_bytes_free(json);
    json = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_list_aliases(store, NULL, 101, NULL, &json, EOUT));
    CHECK_OK(keystead_store_delete_alias(store, "alias/orders", ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException", keystead_store_delete_alias(store, "alias/orders", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException", keystead_store_update_alias(store, "alias/orders", bytes_str(k1), EOUT));
    keystead_bytes_free(ct);
    keystead_bytes_free(pt);
    keystead_bytes_free(arn);
    keystead_bytes_free(k1);
    keystead_bytes_free(k2);
    keystead_store_free(store);
}

static void test_deletion(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key(store);
    keystead_bytes *json = NULL, *arn = NULL, *ct = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_schedule_key_deletion(store, bytes_str(k), 3, &json, EOUT));
    CHECK_OK(keystead_store_schedule_key_deletion(store, bytes_str(k), 7, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeyState\":\"PendingDeletion\"") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "\"PendingWindowInDays\":7") != NULL);
    keystead_bytes_free(json);
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_STATE, "KMSInvalidStateException",
               keystead_store_encrypt(store, bytes_str(k), (const uint8_t *)"x", 1, NULL, NULL, &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_STATE, "KMSInvalidStateException", keystead_store_enable_key(store, bytes_str(k), EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_STATE, "KMSInvalidStateException",
               keystead_store_schedule_key_deletion(store, bytes_str(k), 0, NULL, EOUT));
    CHECK_OK(keystead_store_cancel_key_deletion(store, bytes_str(k), &arn, ERR));
    CHECK(arn != NULL && strstr(bytes_str(arn), bytes_str(k)) != NULL);
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_STATE, "KMSInvalidStateException", keystead_store_cancel_key_deletion(store, bytes_str(k), NULL, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_encrypt(store, bytes_str(k), (const uint8_t *)"x", 1, NULL, NULL, &ct, EOUT));
    CHECK_OK(keystead_store_schedule_key_deletion(store, bytes_str(k), 0, NULL, ERR));
    CHECK_OK(keystead_store_sweep(store, ERR));
    keystead_bytes_free(arn);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static void test_rotation(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key(store);
    keystead_bytes *json = NULL, *ct = NULL, *pt = NULL, *arn = NULL;
    CHECK_OK(keystead_store_encrypt(store, bytes_str(k), (const uint8_t *)"old", 3, NULL, NULL, &ct, ERR));
    CHECK_OK(keystead_store_get_key_rotation_status(store, bytes_str(k), &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeyRotationEnabled\":false") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_enable_key_rotation(store, bytes_str(k), 10, EOUT));
    CHECK_OK(keystead_store_enable_key_rotation(store, bytes_str(k), 0, ERR));
    CHECK_OK(keystead_store_enable_key_rotation(store, bytes_str(k), 90, ERR));
    CHECK_OK(keystead_store_get_key_rotation_status(store, bytes_str(k), &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeyRotationEnabled\":true") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "\"RotationPeriodInDays\":90") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_rotate_key_on_demand(store, bytes_str(k), &arn, ERR));
    CHECK(arn != NULL && strstr(bytes_str(arn), bytes_str(k)) != NULL);
    CHECK_OK(keystead_store_rotate_key_on_demand(store, bytes_str(k), NULL, ERR));
    CHECK_OK(keystead_store_list_key_rotations(store, bytes_str(k), NULL, 0, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"RotationType\":\"ON_DEMAND\"") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeyMaterialState\":\"CURRENT\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_list_key_rotations(store, bytes_str(k), "ALL_KEY_MATERIAL", 1, NULL, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"Truncated\":true") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_list_key_rotations(store, bytes_str(k), "ROTATIONS_ONLY", 0, NULL, &json, ERR));
    keystead_bytes_free(json);
    json = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_list_key_rotations(store, bytes_str(k), "SOME_KEY_MATERIAL", 0, NULL, &json, EOUT));
    /* Old ciphertexts still decrypt after rotation. */
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, ERR));
    CHECK(bytes_eq_str(pt, "old"));
    CHECK_OK(keystead_store_disable_key_rotation(store, bytes_str(k), ERR));
    CHECK_OK(keystead_store_disable_key(store, bytes_str(k), ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException", keystead_store_rotate_key_on_demand(store, bytes_str(k), NULL, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException", keystead_store_enable_key_rotation(store, bytes_str(k), 0, EOUT));
    keystead_bytes_free(pt);
    keystead_bytes_free(arn);
    keystead_bytes_free(ct);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static void test_re_encrypt(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k1 = new_key(store), *k2 = new_key(store);
    keystead_context *c1 = context_of("stage", "one", NULL, NULL), *c2 = context_of("stage", "two", NULL, NULL);
    keystead_bytes *ct = NULL, *ct2 = NULL, *pt = NULL, *arn = NULL;
    CHECK_OK(keystead_store_encrypt(store, bytes_str(k1), (const uint8_t *)"moving", 6, c1, NULL, &ct, ERR));
    CHECK_OK(keystead_store_re_encrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), c1, NULL, bytes_str(k2), c2, NULL,
                                       NULL, &ct2, ERR));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct2), keystead_bytes_len(ct2), c2, NULL, NULL, &pt, &arn, ERR));
    CHECK(bytes_eq_str(pt, "moving"));
    CHECK(arn != NULL && strstr(bytes_str(arn), bytes_str(k2)) != NULL);
    keystead_bytes *ct3 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_store_re_encrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), c2, NULL, bytes_str(k2), NULL, NULL,
                                         NULL, &ct3, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INCORRECT_KEY, "IncorrectKeyException",
               keystead_store_re_encrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), c1, bytes_str(k2), bytes_str(k2), NULL,
                                         NULL, NULL, &ct3, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_re_encrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), c1, NULL, bytes_str(k2), NULL,
                                         "SYMMETRIC_DEFAULT", "BAD", &ct3, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_re_encrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), c1, bytes_str(k1), "alias/none",
                                         NULL, "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", &ct3, EOUT));
    CHECK(ct3 == NULL);
    keystead_bytes_free(pt);
    keystead_bytes_free(arn);
    keystead_bytes_free(ct);
    keystead_bytes_free(ct2);
    keystead_context_free(c1);
    keystead_context_free(c2);
    keystead_bytes_free(k1);
    keystead_bytes_free(k2);
    keystead_store_free(store);
}

static void test_data_keys(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key(store);
    keystead_context *ctx = context_of("file", "a.txt", NULL, NULL);
    keystead_bytes *pt = NULL, *ct = NULL, *back = NULL;
    CHECK_OK(keystead_store_generate_data_key(store, bytes_str(k), ctx, "AES_256", 0, &pt, &ct, ERR));
    CHECK(keystead_bytes_len(pt) == 32);
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, NULL, &back, NULL, ERR));
    CHECK(back != NULL && keystead_bytes_len(back) == 32 && memcmp(keystead_bytes_data(back), keystead_bytes_data(pt), 32) == 0);
    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    keystead_bytes_free(back);
    pt = ct = NULL;
    CHECK_OK(keystead_store_generate_data_key(store, bytes_str(k), NULL, "AES_128", 0, &pt, &ct, ERR));
    CHECK(keystead_bytes_len(pt) == 16);
    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    pt = ct = NULL;
    CHECK_OK(keystead_store_generate_data_key(store, bytes_str(k), NULL, NULL, 64, &pt, &ct, ERR));
    CHECK(keystead_bytes_len(pt) == 64);
    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    pt = ct = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key(store, bytes_str(k), NULL, NULL, 0, &pt, &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key(store, bytes_str(k), NULL, "AES_256", 32, &pt, &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key(store, bytes_str(k), NULL, "AES_512", 0, &pt, &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key(store, bytes_str(k), NULL, NULL, 1025, &pt, &ct, EOUT));
    CHECK(pt == NULL && ct == NULL);
    CHECK_OK(keystead_store_generate_data_key_without_plaintext(store, bytes_str(k), ctx, "AES_256", 0, &ct, ERR));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, NULL, &back, NULL, ERR));
    CHECK(keystead_bytes_len(back) == 32);
    keystead_bytes_free(back);
    keystead_bytes_free(ct);
    ct = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key_without_plaintext(store, bytes_str(k), NULL, "aes_256", 0, &ct, EOUT));
    CHECK_OK(keystead_store_disable_key(store, bytes_str(k), ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_generate_data_key_without_plaintext(store, bytes_str(k), NULL, "AES_256", 0, &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_generate_data_key(store, bytes_str(k), NULL, "AES_256", 0, &pt, &ct, EOUT));
    keystead_context_free(ctx);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static keystead_bytes *new_key_of(keystead_store *store, const char *spec, const char *usage) {
    keystead_create_key_request *req = NULL;
    keystead_bytes *key_id = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_key_spec(req, spec, ERR));
    CHECK_OK(keystead_create_key_request_set_key_usage(req, usage, ERR));
    CHECK_OK(keystead_store_create_key(store, req, &key_id, NULL, ERR));
    keystead_create_key_request_free(req);
    return key_id;
}

static void test_rsa_encryption(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key_of(store, "RSA_2048", "ENCRYPT_DECRYPT");
    const char *secret = "card 4111";
    keystead_bytes *ct = NULL, *pt = NULL;
    keystead_context *ctx = context_of("order", "42", NULL, NULL);
    if (k == NULL) {
        keystead_context_free(ctx);
        keystead_store_free(store);
        return;
    }
    CHECK_OK(keystead_store_encrypt(store, bytes_str(k), (const uint8_t *)secret, strlen(secret), NULL, "RSAES_OAEP_SHA_256", &ct, ERR));
    CHECK(ct != NULL && keystead_bytes_len(ct) == 256);
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, bytes_str(k), "RSAES_OAEP_SHA_256",
                                    &pt, NULL, ERR));
    CHECK(bytes_eq_str(pt, secret));
    keystead_bytes_free(pt);
    pt = NULL;
    /* The algorithm is required; a context is not allowed; the blob alone names no key. */
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, bytes_str(k), NULL, &pt, NULL, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, EOUT));
    keystead_bytes *ct2 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_encrypt(store, bytes_str(k), (const uint8_t *)secret, strlen(secret), ctx, "RSAES_OAEP_SHA_256", &ct2, EOUT));
    CHECK(pt == NULL && ct2 == NULL);
    keystead_context_free(ctx);
    keystead_bytes_free(ct);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static void test_signing(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key_of(store, "ECC_NIST_P256", "SIGN_VERIFY");
    const uint8_t msg[] = "pay 10 EUR to alice";
    keystead_bytes *sig = NULL, *pub = NULL, *json = NULL, *ct = NULL;
    if (k == NULL) {
        keystead_store_free(store);
        return;
    }
    CHECK_OK(keystead_store_sign(store, bytes_str(k), msg, sizeof msg - 1, NULL, "ECDSA_SHA_256", &sig, ERR));
    CHECK(sig != NULL && keystead_bytes_len(sig) > 60);
    CHECK_OK(keystead_store_verify(store, bytes_str(k), msg, sizeof msg - 1, "RAW", keystead_bytes_data(sig), keystead_bytes_len(sig),
                                   "ECDSA_SHA_256", ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_SIGNATURE, "KMSInvalidSignatureException",
               keystead_store_verify(store, bytes_str(k), msg, sizeof msg - 2, NULL, keystead_bytes_data(sig), keystead_bytes_len(sig),
                                     "ECDSA_SHA_256", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_sign(store, bytes_str(k), msg, sizeof msg - 1, NULL, "ECDSA_SHA_999", &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_sign(store, bytes_str(k), msg, sizeof msg - 1, NULL, NULL, &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_sign(store, bytes_str(k), msg, sizeof msg - 1, "COOKED", "ECDSA_SHA_256", &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_KEY_USAGE, "InvalidKeyUsageException",
               keystead_store_sign(store, bytes_str(k), msg, sizeof msg - 1, NULL, "RSASSA_PSS_SHA_256", &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_KEY_USAGE, "InvalidKeyUsageException",
               keystead_store_encrypt(store, bytes_str(k), msg, sizeof msg - 1, NULL, NULL, &ct, EOUT));
    CHECK(ct == NULL);
    CHECK_OK(keystead_store_get_public_key(store, bytes_str(k), &pub, &json, ERR));
    CHECK(pub != NULL && keystead_bytes_len(pub) == 91); /* DER SubjectPublicKeyInfo of a P-256 key */
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeySpec\":\"ECC_NIST_P256\"") != NULL);
    keystead_bytes_free(pub);
    pub = NULL;
    keystead_bytes *sym = new_key(store);
    EXPECT_ERR(KEYSTEAD_RESULT_UNSUPPORTED_OPERATION, "UnsupportedOperationException",
               keystead_store_get_public_key(store, bytes_str(sym), &pub, NULL, EOUT));
    CHECK(pub == NULL);

    keystead_bytes *h = new_key_of(store, "HMAC_256", "GENERATE_VERIFY_MAC");
    keystead_bytes *mac = NULL;
    CHECK_OK(keystead_store_generate_mac(store, bytes_str(h), msg, sizeof msg - 1, "HMAC_SHA_256", &mac, ERR));
    CHECK(mac != NULL && keystead_bytes_len(mac) == 32);
    CHECK_OK(keystead_store_verify_mac(store, bytes_str(h), msg, sizeof msg - 1, keystead_bytes_data(mac), keystead_bytes_len(mac),
                                       "HMAC_SHA_256", ERR));
    uint8_t bad_mac[32];
    memcpy(bad_mac, keystead_bytes_data(mac), 32);
    bad_mac[0] ^= 1;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_MAC, "KMSInvalidMacException",
               keystead_store_verify_mac(store, bytes_str(h), msg, sizeof msg - 1, bad_mac, 32, "HMAC_SHA_256", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_mac(store, bytes_str(h), msg, sizeof msg - 1, "HMAC_MD5", &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_mac(store, bytes_str(h), NULL, 0, "HMAC_SHA_256", &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_KEY_USAGE, "InvalidKeyUsageException",
               keystead_store_generate_mac(store, bytes_str(h), msg, sizeof msg - 1, "HMAC_SHA_512", &ct, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_KEY_USAGE, "InvalidKeyUsageException",
               keystead_store_generate_mac(store, bytes_str(sym), msg, sizeof msg - 1, "HMAC_SHA_256", &ct, EOUT));
    CHECK_OK(keystead_store_disable_key(store, bytes_str(h), ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_generate_mac(store, bytes_str(h), msg, sizeof msg - 1, "HMAC_SHA_256", &ct, EOUT));
    CHECK(ct == NULL);
    keystead_bytes_free(mac);
    keystead_bytes_free(h);
    keystead_bytes_free(sym);
    keystead_bytes_free(json);
    keystead_bytes_free(sig);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static void test_data_key_pairs_and_agreement(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key(store);
    keystead_context *ctx = context_of("pair", "1", NULL, NULL);
    keystead_bytes *priv = NULL, *priv_ct = NULL, *pub = NULL, *back = NULL;
    CHECK_OK(keystead_store_generate_data_key_pair(store, bytes_str(k), ctx, "ECC_NIST_P256", &priv, &priv_ct, &pub, ERR));
    CHECK(pub != NULL && keystead_bytes_len(pub) == 91);
    CHECK(priv != NULL && keystead_bytes_len(priv) > 60);
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(priv_ct), keystead_bytes_len(priv_ct), ctx, NULL, NULL, &back, NULL, ERR));
    CHECK(back != NULL && keystead_bytes_len(back) == keystead_bytes_len(priv) &&
          memcmp(keystead_bytes_data(back), keystead_bytes_data(priv), keystead_bytes_len(priv)) == 0);
    keystead_bytes_free(priv);
    keystead_bytes_free(priv_ct);
    keystead_bytes_free(pub);
    keystead_bytes_free(back);
    priv = priv_ct = pub = NULL;
    CHECK_OK(keystead_store_generate_data_key_pair_without_plaintext(store, bytes_str(k), NULL, "RSA_2048", &priv_ct, &pub, ERR));
    CHECK(pub != NULL && keystead_bytes_len(pub) > 250);
    keystead_bytes_free(priv_ct);
    keystead_bytes_free(pub);
    priv_ct = pub = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key_pair(store, bytes_str(k), NULL, "ECC_NIST_P999", &priv, &priv_ct, &pub, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_generate_data_key_pair_without_plaintext(store, bytes_str(k), NULL, NULL, &priv_ct, &pub, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_generate_data_key_pair(store, "alias/none", NULL, "ECC_NIST_P256", &priv, &priv_ct, &pub, EOUT));
    CHECK(priv == NULL && priv_ct == NULL && pub == NULL);

    /* ECDH: both sides derive the same secret. */
    keystead_bytes *a = new_key_of(store, "ECC_NIST_P256", "KEY_AGREEMENT");
    keystead_bytes *b = new_key_of(store, "ECC_NIST_P256", "KEY_AGREEMENT");
    keystead_bytes *pub_a = NULL, *pub_b = NULL, *s1 = NULL, *s2 = NULL;
    CHECK_OK(keystead_store_get_public_key(store, bytes_str(a), &pub_a, NULL, ERR));
    CHECK_OK(keystead_store_get_public_key(store, bytes_str(b), &pub_b, NULL, ERR));
    CHECK_OK(keystead_store_derive_shared_secret(store, bytes_str(a), "ECDH", keystead_bytes_data(pub_b), keystead_bytes_len(pub_b), &s1, ERR));
    CHECK_OK(keystead_store_derive_shared_secret(store, bytes_str(b), "ECDH", keystead_bytes_data(pub_a), keystead_bytes_len(pub_a), &s2, ERR));
    CHECK(s1 != NULL && s2 != NULL && keystead_bytes_len(s1) == 32 && keystead_bytes_len(s2) == 32 &&
          memcmp(keystead_bytes_data(s1), keystead_bytes_data(s2), 32) == 0);
    keystead_bytes *s3 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_derive_shared_secret(store, bytes_str(a), "ECDHE", keystead_bytes_data(pub_b), keystead_bytes_len(pub_b), &s3, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_KEY_USAGE, "InvalidKeyUsageException",
               keystead_store_derive_shared_secret(store, bytes_str(k), "ECDH", keystead_bytes_data(pub_b), keystead_bytes_len(pub_b), &s3, EOUT));
    CHECK(s3 == NULL);
    keystead_bytes_free(s1);
    keystead_bytes_free(s2);
    keystead_bytes_free(pub_a);
    keystead_bytes_free(pub_b);
    keystead_bytes_free(a);
    keystead_bytes_free(b);
    keystead_context_free(ctx);
    keystead_bytes_free(k);
    keystead_store_free(store);
}

static void test_envelope(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k1 = new_key(store), *k2 = new_key(store);
    keystead_context *ctx = context_of("object", "report.pdf", NULL, NULL);
    keystead_context *other = context_of("object", "other.pdf", NULL, NULL);
    size_t len = 300000;
    uint8_t *data = malloc(len);
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 7);
    const char *extra[] = {bytes_str(k2)};
    keystead_bytes *msg = NULL, *pt = NULL;
    CHECK_OK(keystead_envelope_seal(store, bytes_str(k1), data, len, ctx, extra, 1, 65536, &msg, ERR));
    CHECK(msg != NULL && keystead_bytes_len(msg) > len);
    CHECK_OK(keystead_envelope_open(store, keystead_bytes_data(msg), keystead_bytes_len(msg), ctx, NULL, 0, 0, &pt, ERR));
    CHECK(pt != NULL && keystead_bytes_len(pt) == len && memcmp(keystead_bytes_data(pt), data, len) == 0);
    keystead_bytes_free(pt);
    pt = NULL;
    /* Either wrapping key opens it: with k1 disabled, k2 still does. */
    CHECK_OK(keystead_store_disable_key(store, bytes_str(k1), ERR));
    const char *only_k2[] = {bytes_str(k2)};
    CHECK_OK(keystead_envelope_open(store, keystead_bytes_data(msg), keystead_bytes_len(msg), ctx, only_k2, 1, 2, &pt, ERR));
    CHECK(pt != NULL && keystead_bytes_len(pt) == len);
    keystead_bytes_free(pt);
    pt = NULL;
    const char *only_k1[] = {bytes_str(k1)};
    keystead_result rc = keystead_envelope_open(store, keystead_bytes_data(msg), keystead_bytes_len(msg), ctx, only_k1, 1, 0, &pt, NULL);
    CHECK(rc != KEYSTEAD_RESULT_OK && pt == NULL);
    CHECK_OK(keystead_store_enable_key(store, bytes_str(k1), ERR));
    /* Wrong context, tampering, truncation: InvalidCiphertext. */
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_open(store, keystead_bytes_data(msg), keystead_bytes_len(msg), other, NULL, 0, 0, &pt, EOUT));
    uint8_t *copy = malloc(keystead_bytes_len(msg));
    memcpy(copy, keystead_bytes_data(msg), keystead_bytes_len(msg));
    copy[keystead_bytes_len(msg) / 2] ^= 0x40;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_open(store, copy, keystead_bytes_len(msg), ctx, NULL, 0, 0, &pt, EOUT));
    copy[keystead_bytes_len(msg) / 2] ^= 0x40;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_open(store, copy, keystead_bytes_len(msg) - 1, ctx, NULL, 0, 0, &pt, EOUT));
    /* One wrapped data key too many for max_encrypted_data_keys = 1. */
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_open(store, copy, keystead_bytes_len(msg), ctx, NULL, 0, 1, &pt, EOUT));
    CHECK(pt == NULL);
    free(copy);
    /* Empty plaintext and NULL context work; bad options and keys fail. */
    keystead_bytes *empty = NULL;
    CHECK_OK(keystead_envelope_seal(store, bytes_str(k1), NULL, 0, NULL, NULL, 0, 0, &empty, ERR));
    CHECK_OK(keystead_envelope_open(store, keystead_bytes_data(empty), keystead_bytes_len(empty), NULL, NULL, 0, 0, &pt, ERR));
    CHECK(pt != NULL && keystead_bytes_len(pt) == 0);
    keystead_bytes_free(pt);
    pt = NULL;
    keystead_bytes *m2 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_envelope_seal(store, bytes_str(k1), data, 10, NULL, NULL, 0, 1, &m2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_envelope_seal(store, "alias/none", data, 10, NULL, NULL, 0, 0, &m2, EOUT));
    const char *missing[] = {"alias/none"};
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_envelope_seal(store, bytes_str(k1), data, 10, NULL, missing, 1, 0, &m2, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_envelope_open(store, keystead_bytes_data(empty), keystead_bytes_len(empty), NULL, NULL, 0, 256, &pt, EOUT));
    CHECK(m2 == NULL && pt == NULL);
    keystead_bytes_free(empty);
    keystead_bytes_free(msg);
    free(data);
    keystead_context_free(ctx);
    keystead_context_free(other);
    keystead_bytes_free(k1);
    keystead_bytes_free(k2);
    keystead_store_free(store);
}

static void test_access_keys(void) {
    keystead_store *store = memory_store();
    keystead_bytes *id = NULL, *secret = NULL, *json = NULL;
    const char *role = "arn:aws:iam::111122223333:role/checkout";
    CHECK_OK(keystead_store_create_access_key(store, role, &id, &secret, ERR));
    CHECK(id != NULL && strncmp(bytes_str(id), "AKIA", 4) == 0 && keystead_bytes_len(id) == 20);
    CHECK(secret != NULL && keystead_bytes_len(secret) == 40);
    const char *secret2 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    CHECK_OK(keystead_store_add_access_key(store, "AKIAIOSFODNN7EXAMPLE", (const uint8_t *)secret2, strlen(secret2), role, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_ALREADY_EXISTS, "AlreadyExistsException",
               keystead_store_add_access_key(store, "AKIAIOSFODNN7EXAMPLE", (const uint8_t *)secret2, strlen(secret2), role, NULL, EOUT));
    CHECK_OK(keystead_store_list_access_keys(store, &json, ERR));
    CHECK(json != NULL && strncmp(bytes_str(json), "{\"AccessKeys\":[", 15) == 0 && strstr(bytes_str(json), bytes_str(id)) != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "Secret") == NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_delete_access_key(store, bytes_str(id), ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException", keystead_store_delete_access_key(store, bytes_str(id), EOUT));
    keystead_bytes *id2 = NULL, *secret3 = NULL;
    keystead_result rc = keystead_store_create_access_key(store, "not an arn", &id2, &secret3, NULL);
    CHECK(rc != KEYSTEAD_RESULT_OK && id2 == NULL && secret3 == NULL);
    keystead_bytes_free(id);
    keystead_bytes_free(secret);
    keystead_store_free(store);
}

static void test_generate_random(void) {
    keystead_store *store = memory_store();
    keystead_bytes *r1 = NULL, *r2 = NULL;
    CHECK_OK(keystead_store_generate_random(store, 32, &r1, ERR));
    CHECK_OK(keystead_store_generate_random(store, 1024, &r2, ERR));
    CHECK(keystead_bytes_len(r1) == 32 && keystead_bytes_len(r2) == 1024);
    CHECK(memcmp(keystead_bytes_data(r1), keystead_bytes_data(r2), 32) != 0);
    keystead_bytes_free(r1);
    keystead_bytes_free(r2);
    r1 = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_generate_random(store, 0, &r1, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_generate_random(store, 1025, &r1, EOUT));
    CHECK(r1 == NULL);
    keystead_store_free(store);
}

static void test_bytes_copy(void) {
    keystead_store *store = memory_store();
    keystead_bytes *k = new_key(store);
    size_t need = 0;
    /* A size query writes only the size. */
    EXPECT_ERR(KEYSTEAD_RESULT_BUFFER_TOO_SMALL, "BufferTooSmall", keystead_bytes_copy(k, NULL, 0, &need, EOUT));
    CHECK(need == 36);
    /* A short buffer: the needed size is reported and nothing is written. */
    char buf[64];
    memset(buf, 'Z', sizeof buf);
    need = 0;
    EXPECT_ERR(KEYSTEAD_RESULT_BUFFER_TOO_SMALL, "BufferTooSmall", keystead_bytes_copy(k, (uint8_t *)buf, 35, &need, EOUT));
    CHECK(need == 36);
    for (size_t i = 0; i < sizeof buf; i++) CHECK(buf[i] == 'Z');
    /* The exact size fits; nothing past it is touched. */
    CHECK_OK(keystead_bytes_copy(k, (uint8_t *)buf, 36, &need, ERR));
    CHECK(need == 36 && memcmp(buf, bytes_str(k), 36) == 0 && buf[36] == 'Z');
    /* The data is NUL-terminated past its length. */
    CHECK(keystead_bytes_data(k)[36] == 0);
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_bytes_copy(NULL, (uint8_t *)buf, 64, &need, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_bytes_copy(k, (uint8_t *)buf, 64, NULL, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_bytes_copy(k, NULL, 64, &need, EOUT));
    keystead_bytes_free(k);
    keystead_store_free(store);
}

/* A temporary folder for on-disk stores. */
static char *temp_dir(void) {
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/keystead-c-test-XXXXXX");
    if (mkdtemp(path) == NULL) {
        free(path);
        return NULL;
    }
    return path;
}

static void remove_dir(const char *path) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    CHECK(system(cmd) == 0);
}

/* Encrypts `text` under a fresh key in `store`; returns the ciphertext. */
static keystead_bytes *seal_with_new_key(keystead_store *store, const char *text) {
    keystead_bytes *k = new_key(store), *ct = NULL;
    CHECK_OK(keystead_store_encrypt(store, bytes_str(k), (const uint8_t *)text, strlen(text), NULL, NULL, &ct, ERR));
    keystead_bytes_free(k);
    return ct;
}

static int opens_and_decrypts(const char *dir, const keystead_options *opts, const keystead_bytes *ct, const char *text) {
    keystead_store *store = NULL;
    keystead_bytes *pt = NULL;
    int ok = keystead_store_open(dir, opts, &store, NULL) == KEYSTEAD_RESULT_OK &&
             keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, NULL) ==
                 KEYSTEAD_RESULT_OK &&
             bytes_eq_str(pt, text);
    keystead_bytes_free(pt);
    keystead_store_free(store);
    return ok;
}

static void test_store_key_file_and_options(void) {
    char *dir = temp_dir();
    CHECK(dir != NULL);
    if (dir == NULL) return;
    keystead_options *opts = NULL;
    CHECK_OK(keystead_options_new(&opts, ERR));
    CHECK_OK(keystead_options_set_region(opts, "eu-west-1", ERR));
    CHECK_OK(keystead_options_set_account_id(opts, "123456789012", ERR));
    CHECK_OK(keystead_options_set_cache_capacity(opts, 0, ERR));
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open(dir, opts, &store, ERR));
    keystead_bytes *k = new_key(store), *json = NULL;
    CHECK_OK(keystead_store_describe_key(store, bytes_str(k), &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"Arn\":\"arn:aws:kms:eu-west-1:123456789012:key/") != NULL);
    keystead_bytes_free(json);
    keystead_bytes_free(k);
    keystead_bytes *ct = seal_with_new_key(store, "on disk");
    keystead_store_free(store);
    /* Reopen with the defaults (the key file in the folder). */
    CHECK(opens_and_decrypts(dir, NULL, ct, "on disk"));
    /* Rotate the root key to a new key file, still openable. */
    store = NULL;
    CHECK_OK(keystead_store_open(dir, NULL, &store, ERR));
    keystead_root_key *file = NULL;
    CHECK_OK(keystead_root_key_new_file(NULL, &file, ERR));
    CHECK_OK(keystead_store_rotate_root_key(store, file, ERR));
    keystead_store_free(store);
    CHECK(opens_and_decrypts(dir, NULL, ct, "on disk"));
    /* A value of the wrong length is Validation in the setter; the pattern is checked when a
     * store is created. */
    char *dir2 = temp_dir();
    keystead_options *bad = NULL;
    CHECK_OK(keystead_options_new(&bad, ERR));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_options_set_account_id(bad, "12", EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_options_set_region(bad, "", EOUT));
    CHECK_OK(keystead_options_set_account_id(bad, "12345678901x", ERR));
    store = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_store_open_in_memory(bad, &store, EOUT));
    CHECK(store == NULL);
    /* An explicit key file path. */
    char key_path[128];
    snprintf(key_path, sizeof key_path, "%s/elsewhere.key", dir2);
    keystead_root_key *explicit_file = NULL;
    CHECK_OK(keystead_root_key_new_file(key_path, &explicit_file, ERR));
    keystead_options *o2 = NULL;
    CHECK_OK(keystead_options_new(&o2, ERR));
    CHECK_OK(keystead_options_set_root_key(o2, explicit_file, ERR));
    char store2[128];
    snprintf(store2, sizeof store2, "%s/store", dir2);
    CHECK_OK(keystead_store_open(store2, o2, &store, ERR));
    keystead_bytes *ct2 = seal_with_new_key(store, "elsewhere");
    keystead_store_free(store);
    CHECK(access(key_path, F_OK) == 0);
    CHECK(opens_and_decrypts(store2, o2, ct2, "elsewhere"));
    keystead_bytes_free(ct2);
    /* A folder whose name is not UTF-8 (Unix paths are bytes). */
    char odd[160];
    snprintf(odd, sizeof odd, "%s/store-\xff\xfe", dir2);
    CHECK_OK(keystead_store_open(odd, NULL, &store, ERR));
    keystead_store_free(store);
    store = NULL;
    CHECK(access(odd, F_OK) == 0);
    keystead_options_free(o2);
    keystead_root_key_free(explicit_file);
    keystead_options_free(bad);
    remove_dir(dir2);
    free(dir2);
    keystead_root_key_free(file);
    keystead_bytes_free(ct);
    keystead_options_free(opts);
    remove_dir(dir);
    free(dir);
}

static void test_store_root_key_sources(void) {
    char *dir = temp_dir();
    CHECK(dir != NULL);
    if (dir == NULL) return;
    uint8_t raw[32], other[32];
    for (int i = 0; i < 32; i++) {
        raw[i] = (uint8_t)i;
        other[i] = (uint8_t)(255 - i);
    }
    keystead_root_key *bytes_key = NULL, *other_key = NULL, *short_key = NULL;
    CHECK_OK(keystead_root_key_new_bytes(raw, sizeof raw, &bytes_key, ERR));
    CHECK_OK(keystead_root_key_new_bytes(other, sizeof other, &other_key, ERR));
    /* A key of the wrong length is refused at once. */
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_root_key_new_bytes(raw, 16, &short_key, EOUT));
    CHECK(short_key == NULL);
    keystead_options *opts = NULL, *wrong = NULL;
    CHECK_OK(keystead_options_new(&opts, ERR));
    CHECK_OK(keystead_options_new(&wrong, ERR));
    CHECK_OK(keystead_options_set_root_key(opts, bytes_key, ERR));
    CHECK_OK(keystead_options_set_root_key(wrong, other_key, ERR));
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open(dir, opts, &store, ERR));
    keystead_bytes *ct = seal_with_new_key(store, "bytes");
    keystead_store_free(store);
    store = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_INCORRECT_ROOT_KEY, "IncorrectRootKeyException", keystead_store_open(dir, wrong, &store, EOUT));
    CHECK(store == NULL);
    CHECK(opens_and_decrypts(dir, opts, ct, "bytes"));
    /* Rotate to the other bytes: the old key no longer opens the store. */
    CHECK_OK(keystead_store_open(dir, opts, &store, ERR));
    CHECK_OK(keystead_store_rotate_root_key(store, other_key, ERR));
    keystead_store_free(store);
    store = NULL;
    CHECK(opens_and_decrypts(dir, wrong, ct, "bytes"));
    EXPECT_ERR(KEYSTEAD_RESULT_INCORRECT_ROOT_KEY, "IncorrectRootKeyException", keystead_store_open(dir, opts, &store, EOUT));

    /* Environment variable (base64 of 32 bytes). */
    char *dir_env = temp_dir();
    setenv("KEYSTEAD_C_TEST_ROOT", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
    keystead_root_key *env_key = NULL, *default_env = NULL;
    CHECK_OK(keystead_root_key_new_env("KEYSTEAD_C_TEST_ROOT", &env_key, ERR));
    CHECK_OK(keystead_root_key_new_env(NULL, &default_env, ERR));
    keystead_options *env_opts = NULL;
    CHECK_OK(keystead_options_new(&env_opts, ERR));
    CHECK_OK(keystead_options_set_root_key(env_opts, env_key, ERR));
    CHECK_OK(keystead_store_open(dir_env, env_opts, &store, ERR));
    keystead_bytes *ct_env = seal_with_new_key(store, "env");
    keystead_store_free(store);
    store = NULL;
    CHECK(opens_and_decrypts(dir_env, env_opts, ct_env, "env"));
    /* The same 32 bytes given directly open it too. */
    CHECK(opens_and_decrypts(dir_env, opts, ct_env, "env"));
    unsetenv("KEYSTEAD_C_TEST_ROOT");
    CHECK(keystead_store_open(dir_env, env_opts, &store, NULL) != KEYSTEAD_RESULT_OK && store == NULL);

    /* Passphrase. */
    char *dir_pass = temp_dir();
    keystead_root_key *pass = NULL, *bad_pass = NULL;
    CHECK_OK(keystead_root_key_new_passphrase((const uint8_t *)"correct horse", 13, &pass, ERR));
    CHECK_OK(keystead_root_key_new_passphrase((const uint8_t *)"wrong horse", 11, &bad_pass, ERR));
    keystead_options *pass_opts = NULL, *bad_pass_opts = NULL;
    CHECK_OK(keystead_options_new(&pass_opts, ERR));
    CHECK_OK(keystead_options_new(&bad_pass_opts, ERR));
    CHECK_OK(keystead_options_set_root_key(pass_opts, pass, ERR));
    CHECK_OK(keystead_options_set_root_key(bad_pass_opts, bad_pass, ERR));
    CHECK_OK(keystead_store_open(dir_pass, pass_opts, &store, ERR));
    keystead_bytes *ct_pass = seal_with_new_key(store, "passphrase");
    keystead_store_free(store);
    store = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_INCORRECT_ROOT_KEY, "IncorrectRootKeyException", keystead_store_open(dir_pass, bad_pass_opts, &store, EOUT));
    CHECK(opens_and_decrypts(dir_pass, pass_opts, ct_pass, "passphrase"));

    keystead_bytes_free(ct_pass);
    keystead_options_free(pass_opts);
    keystead_options_free(bad_pass_opts);
    keystead_root_key_free(pass);
    keystead_root_key_free(bad_pass);
    remove_dir(dir_pass);
    free(dir_pass);
    keystead_bytes_free(ct_env);
    keystead_options_free(env_opts);
    keystead_root_key_free(env_key);
    keystead_root_key_free(default_env);
    remove_dir(dir_env);
    free(dir_env);
    keystead_bytes_free(ct);
    keystead_options_free(opts);
    keystead_options_free(wrong);
    keystead_root_key_free(bytes_key);
    keystead_root_key_free(other_key);
    keystead_root_key_free(short_key);
    remove_dir(dir);
    free(dir);
}

int main(void) {
    RUN(test_version);
    RUN(test_result_names);
    RUN(test_encrypt_decrypt);
    RUN(test_crypto_errors);
    RUN(test_context_builder);
    RUN(test_create_key_request);
    RUN(test_describe_and_list);
    RUN(test_tags);
    RUN(test_aliases);
    RUN(test_deletion);
    RUN(test_rotation);
    RUN(test_re_encrypt);
    RUN(test_data_keys);
    RUN(test_rsa_encryption);
    RUN(test_signing);
    RUN(test_data_key_pairs_and_agreement);
    RUN(test_envelope);
    RUN(test_access_keys);
    RUN(test_generate_random);
    RUN(test_bytes_copy);
    RUN(test_store_key_file_and_options);
    RUN(test_store_root_key_sources);
    return SUMMARY("test_api");
}
