/* Keystead C ABI: importing key material (GetParametersForImport, ImportKeyMaterial,
 * DeleteImportedKeyMaterial). Wraps material with OpenSSL's libcrypto as an AWS client would,
 * so it links the shared library only (the static one embeds its own OpenSSL). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

#define EXPECT_CODE(code, call) CHECK_RC(code, call)

/* RSA-OAEP-SHA256 of `material` under the DER public key; returns the length or 0. */
static size_t wrap(const keystead_bytes *public_key, const uint8_t *material, size_t len, uint8_t *out, size_t cap) {
    const unsigned char *p = keystead_bytes_data(public_key);
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)keystead_bytes_len(public_key));
    EVP_PKEY_CTX *ctx = pkey ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
    size_t out_len = cap;
    int ok = ctx != NULL && EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_encrypt(ctx, out, &out_len, material, len) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok ? out_len : 0;
}

static void test_import_round_trip(void) {
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    keystead_create_key_request *req = NULL;
    keystead_bytes *key = NULL, *sym = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_origin(req, "EXTERNAL", ERR));
    CHECK_OK(keystead_store_create_key(store, req, &key, NULL, ERR));
    CHECK_OK(keystead_store_create_key(store, NULL, &sym, NULL, ERR));
    const char *k = bytes_str(key);
    keystead_bytes *ct = NULL, *pt = NULL, *json = NULL;
    /* No material yet. */
    CHECK_RC(KEYSTEAD_RESULT_INVALID_STATE, keystead_store_encrypt(store, k, (const uint8_t *)"x", 1, NULL, NULL, &ct, ERR));

    keystead_bytes *token = NULL, *wrapping = NULL;
    CHECK_OK(keystead_store_get_parameters_for_import(store, k, "RSAES_OAEP_SHA_256", "RSA_2048", &token, &wrapping, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"ImportToken\":\"") != NULL && strstr(bytes_str(json), "\"ParametersValidTo\":") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    uint8_t material[32], wrapped[512];
    CHECK(RAND_bytes(material, sizeof material) == 1);
    size_t wrapped_len = wrap(wrapping, material, sizeof material, wrapped, sizeof wrapped);
    CHECK(wrapped_len == 256);

    /* Bad inputs first: garbage material, a bad token, a bad expiration model, a missing ValidTo. */
    uint8_t garbage[256];
    memset(garbage, 7, sizeof garbage);
    keystead_result rc = keystead_store_import_key_material(store, k, keystead_bytes_data(token), keystead_bytes_len(token), garbage,
                                                            sizeof garbage, "KEY_MATERIAL_DOES_NOT_EXPIRE", 0, NULL, NULL);
    CHECK(rc != KEYSTEAD_RESULT_OK && rc >= 100);
    CHECK_RC(KEYSTEAD_RESULT_INVALID_IMPORT_TOKEN,
             keystead_store_import_key_material(store, k, (const uint8_t *)"not a token", 11, wrapped, wrapped_len,
                                                "KEY_MATERIAL_DOES_NOT_EXPIRE", 0, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_import_key_material(store, k, keystead_bytes_data(token), keystead_bytes_len(token),
                                                                           wrapped, wrapped_len, "NEVER", 0, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_import_key_material(store, k, keystead_bytes_data(token), keystead_bytes_len(token),
                                                                           wrapped, wrapped_len, NULL, 0, NULL, ERR));
    /* The real import. */
    CHECK_OK(keystead_store_import_key_material(store, k, keystead_bytes_data(token), keystead_bytes_len(token), wrapped, wrapped_len,
                                                "KEY_MATERIAL_DOES_NOT_EXPIRE", 0, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"KeyMaterialId\":\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_encrypt(store, k, (const uint8_t *)"imported", 8, NULL, NULL, &ct, ERR));
    /* Delete the material: the key cannot be used; reimport the same material: old ciphertexts open. */
    CHECK_OK(keystead_store_delete_imported_key_material(store, k, &json, ERR));
    keystead_bytes_free(json);
    json = NULL;
    CHECK_RC(KEYSTEAD_RESULT_INVALID_STATE,
             keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, ERR));
    keystead_bytes_free(token);
    keystead_bytes_free(wrapping);
    token = wrapping = NULL;
    CHECK_OK(keystead_store_get_parameters_for_import(store, k, "RSAES_OAEP_SHA_256", "RSA_2048", &token, &wrapping, NULL, ERR));
    wrapped_len = wrap(wrapping, material, sizeof material, wrapped, sizeof wrapped);
    /* Other material is refused for this key. */
    uint8_t other[32];
    memset(other, 1, sizeof other);
    uint8_t wrapped_other[512];
    size_t other_len = wrap(wrapping, other, sizeof other, wrapped_other, sizeof wrapped_other);
    CHECK_RC(KEYSTEAD_RESULT_INCORRECT_KEY_MATERIAL,
             keystead_store_import_key_material(store, k, keystead_bytes_data(token), keystead_bytes_len(token), wrapped_other, other_len,
                                                "KEY_MATERIAL_DOES_NOT_EXPIRE", 0, NULL, ERR));
    CHECK_OK(keystead_store_import_key_material(store, k, keystead_bytes_data(token), keystead_bytes_len(token), wrapped, wrapped_len,
                                                "KEY_MATERIAL_DOES_NOT_EXPIRE", 0, NULL, ERR));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, ERR));
    CHECK(bytes_eq_str(pt, "imported"));

    /* Keys that are not EXTERNAL, unknown enum strings, NotFound. */
    keystead_bytes *t2 = NULL, *w2 = NULL;
    CHECK_RC(KEYSTEAD_RESULT_UNSUPPORTED_OPERATION,
             keystead_store_get_parameters_for_import(store, bytes_str(sym), "RSAES_OAEP_SHA_256", "RSA_2048", &t2, &w2, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_UNSUPPORTED_OPERATION, keystead_store_delete_imported_key_material(store, bytes_str(sym), NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_get_parameters_for_import(store, k, "RSAES_OAEP_SHA_512", "RSA_2048", &t2, &w2, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_get_parameters_for_import(store, k, "RSAES_OAEP_SHA_256", "RSA_1024", &t2, &w2, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_NOT_FOUND, keystead_store_delete_imported_key_material(store, "00000000-0000-4000-8000-000000000000", NULL, ERR));
    CHECK(t2 == NULL && w2 == NULL);

    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    keystead_bytes_free(token);
    keystead_bytes_free(wrapping);
    keystead_create_key_request_free(req);
    keystead_bytes_free(sym);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

/* Fresh import parameters for `key` and `material` wrapped under them; the caller frees *token. */
static size_t wrap_fresh(keystead_store *store, const char *key, const uint8_t *material, size_t len, keystead_bytes **token, uint8_t *out,
                         size_t cap) {
    keystead_bytes *wrapping = NULL;
    size_t n = 0;
    if (keystead_store_get_parameters_for_import(store, key, "RSAES_OAEP_SHA_256", "RSA_2048", token, &wrapping, NULL, NULL) ==
        KEYSTEAD_RESULT_OK)
        n = wrap(wrapping, material, len, out, cap);
    keystead_bytes_free(wrapping);
    return n;
}

/* Copies the 64-character KeyMaterialId of an ImportKeyMaterial response into `id` (65 bytes). */
static int material_id(const keystead_bytes *json, char *id) {
    const char *at = strstr(bytes_str(json), "\"KeyMaterialId\":\"");
    if (at == NULL) return 0;
    memcpy(id, at + 17, 64);
    id[64] = 0;
    return strlen(id) == 64 && strchr(id, '"') == NULL;
}

/* AWS's 2025 additions: NEW material waits in PENDING_ROTATION, deleting one material by id,
 * re-importing it as EXISTING with its KeyMaterialId, and the new parameters' validation. */
static void test_multiple_materials(void) {
    keystead_store *store = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    keystead_create_key_request *req = NULL;
    keystead_bytes *key = NULL, *token = NULL, *json = NULL, *ct = NULL, *pt = NULL, *rotated = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_origin(req, "EXTERNAL", ERR));
    CHECK_OK(keystead_store_create_key(store, req, &key, NULL, ERR));
    const char *k = bytes_str(key);
    uint8_t first[32], second[32], wrapped[512];
    memset(first, 0x11, sizeof first);
    memset(second, 0x22, sizeof second);
    char first_id[65] = {0}, second_id[65] = {0};
    const char *never = "KEY_MATERIAL_DOES_NOT_EXPIRE";

    size_t n = wrap_fresh(store, k, first, sizeof first, &token, wrapped, sizeof wrapped);
    CHECK(n == 256);
    CHECK_OK(keystead_store_import_key_material_with(store, k, keystead_bytes_data(token), keystead_bytes_len(token), wrapped, n, never, 0,
                                                     NULL, "first material", NULL, &json, ERR));
    CHECK(json != NULL && material_id(json, first_id));
    keystead_bytes_free(json);
    keystead_bytes_free(token);
    json = token = NULL;
    CHECK_OK(keystead_store_encrypt(store, k, (const uint8_t *)"old", 3, NULL, NULL, &ct, ERR));
    /* Nothing pending: an imported key cannot rotate yet. */
    CHECK_RC(KEYSTEAD_RESULT_UNSUPPORTED_OPERATION, keystead_store_rotate_key_on_demand(store, k, &rotated, ERR));

    n = wrap_fresh(store, k, second, sizeof second, &token, wrapped, sizeof wrapped);
    const uint8_t *t = keystead_bytes_data(token);
    size_t tl = keystead_bytes_len(token);
    /* Bad 2025 parameters are refused and change nothing. */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION,
             keystead_store_import_key_material_with(store, k, t, tl, wrapped, n, never, 0, "BRAND_NEW", NULL, NULL, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION,
             keystead_store_import_key_material_with(store, k, t, tl, wrapped, n, never, 0, "NEW_KEY_MATERIAL", NULL, first_id, NULL, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION,
             keystead_store_import_key_material_with(store, k, t, tl, wrapped, n, never, 0, "NEW_KEY_MATERIAL", "no;semicolons", NULL, NULL, ERR));
    /* Without ImportType a second import means EXISTING: other material is refused. */
    CHECK_RC(KEYSTEAD_RESULT_INCORRECT_KEY_MATERIAL,
             keystead_store_import_key_material_with(store, k, t, tl, wrapped, n, never, 0, NULL, NULL, NULL, NULL, ERR));
    CHECK_OK(keystead_store_import_key_material_with(store, k, t, tl, wrapped, n, never, 0, "NEW_KEY_MATERIAL", "second material", NULL,
                                                     &json, ERR));
    CHECK(json != NULL && material_id(json, second_id) && strcmp(first_id, second_id) != 0);
    keystead_bytes_free(json);
    keystead_bytes_free(token);
    json = token = NULL;

    CHECK_OK(keystead_store_list_key_rotations(store, k, "ALL_KEY_MATERIAL", 0, NULL, &json, ERR));
    CHECK(strstr(bytes_str(json), "\"KeyMaterialState\":\"PENDING_ROTATION\"") != NULL);
    CHECK(strstr(bytes_str(json), "\"KeyMaterialDescription\":\"second material\"") != NULL);
    CHECK(strstr(bytes_str(json), "\"ImportState\":\"IMPORTED\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_OK(keystead_store_rotate_key_on_demand(store, k, &rotated, ERR));
    CHECK_OK(keystead_store_list_key_rotations(store, k, NULL, 0, NULL, &json, ERR));
    CHECK(strstr(bytes_str(json), second_id) != NULL && strstr(bytes_str(json), "\"RotationType\":\"ON_DEMAND\"") != NULL);
    keystead_bytes_free(json);
    json = NULL;

    /* Delete the first material by id: its ciphertext fails until it is imported again. */
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_delete_imported_key_material_with(store, k, "XYZ", NULL, ERR));
    CHECK_OK(keystead_store_delete_imported_key_material_with(store, k, first_id, &json, ERR));
    CHECK(strstr(bytes_str(json), first_id) != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_RC(KEYSTEAD_RESULT_INVALID_STATE,
             keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, ERR));
    n = wrap_fresh(store, k, first, sizeof first, &token, wrapped, sizeof wrapped);
    CHECK_RC(KEYSTEAD_RESULT_INCORRECT_KEY_MATERIAL,
             keystead_store_import_key_material_with(store, k, keystead_bytes_data(token), keystead_bytes_len(token), wrapped, n, never, 0,
                                                     "EXISTING_KEY_MATERIAL", NULL, second_id, NULL, ERR));
    CHECK_OK(keystead_store_import_key_material_with(store, k, keystead_bytes_data(token), keystead_bytes_len(token), wrapped, n, never, 0,
                                                     "EXISTING_KEY_MATERIAL", NULL, first_id, NULL, ERR));
    CHECK_OK(keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt, NULL, ERR));
    CHECK(bytes_eq_str(pt, "old"));

    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    keystead_bytes_free(token);
    keystead_bytes_free(rotated);
    keystead_create_key_request_free(req);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

int main(void) {
    RUN(test_import_round_trip);
    RUN(test_multiple_materials);
    return SUMMARY("test_import");
}
