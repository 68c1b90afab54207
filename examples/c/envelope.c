/*
 * Envelope encryption with Keystead and OpenSSL's libcrypto.
 *
 *   envelope <store-dir> <input> <sealed> <restored>
 *
 * 1. Opens (or creates) the store in <store-dir> and makes sure the key alias/envelope-example
 *    exists.
 * 2. GenerateDataKey(AES_256) under that key, with encryption context {"purpose": "envelope-example"}.
 * 3. Encrypts <input> locally with AES-256-GCM under the plaintext data key, writes <sealed> as
 *    "KSENV1\0\0" | u32 big-endian length | encrypted data key | 12-byte IV | ciphertext | 16-byte tag
 *    (the header is the GCM additional data), and zeroizes and frees the plaintext data key.
 * 4. Reads <sealed> back, has Keystead decrypt the data key (Decrypt, same context), decrypts the
 *    file into <restored>.
 *
 * Build (shared library only: the static library embeds its own OpenSSL):
 *   cc -std=c11 -Iinclude examples/c/envelope.c -Ltarget/release -lkeystead -lcrypto -o envelope
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystead.h"

#define ALIAS "alias/envelope-example"
static const char MAGIC[8] = {'K', 'S', 'E', 'N', 'V', '1', 0, 0};

static int fail_keystead(const char *what, keystead_error *err) {
    fprintf(stderr, "%s failed: %s: %s\n", what, keystead_error_name(err), keystead_error_message(err));
    keystead_error_free(err);
    return 1;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
            } else {
                buf = bigger;
            }
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int write_file(const char *path, const uint8_t *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return 1;
    int bad = fwrite(data, 1, len, f) != len;
    return fclose(f) != 0 || bad;
}

/* AES-256-GCM; `encrypt` selects the direction. Returns 0 on success (tag verified on decrypt). */
static int gcm(int encrypt, const uint8_t *key, const uint8_t iv[12], const uint8_t *aad, size_t aad_len, const uint8_t *in,
               size_t len, uint8_t *out, uint8_t tag[16]) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, encrypt) == 1 &&
                    EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
                    (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1);
    if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + (len == 0 ? 0 : n), &n) == 1;
    if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : 1;
}

static int seal(keystead_store *store, const keystead_context *ctx, const char *in_path, const char *out_path) {
    keystead_error *err = NULL;
    keystead_bytes *data_key = NULL, *wrapped = NULL;
    if (keystead_store_generate_data_key(store, ALIAS, ctx, "AES_256", 0, &data_key, &wrapped, &err) != KEYSTEAD_RESULT_OK)
        return fail_keystead("GenerateDataKey", err);
    size_t len = 0;
    uint8_t *plain = read_file(in_path, &len);
    if (plain == NULL) {
        fprintf(stderr, "cannot read %s\n", in_path);
        keystead_bytes_free(data_key);
        keystead_bytes_free(wrapped);
        return 1;
    }
    size_t wlen = keystead_bytes_len(wrapped), header_len = 8 + 4 + wlen + 12;
    uint8_t *out = malloc(header_len + len + 16);
    memcpy(out, MAGIC, 8);
    out[8] = (uint8_t)(wlen >> 24), out[9] = (uint8_t)(wlen >> 16), out[10] = (uint8_t)(wlen >> 8), out[11] = (uint8_t)wlen;
    memcpy(out + 12, keystead_bytes_data(wrapped), wlen);
    uint8_t *iv = out + 12 + wlen;
    int rc = RAND_bytes(iv, 12) != 1 ||
             gcm(1, keystead_bytes_data(data_key), iv, out, header_len, plain, len, out + header_len, out + header_len + len) ||
             write_file(out_path, out, header_len + len + 16);
    keystead_bytes_free(data_key); /* zeroizes the plaintext data key */
    keystead_bytes_free(wrapped);
    free(plain);
    free(out);
    if (rc) fprintf(stderr, "sealing %s failed\n", in_path);
    return rc;
}

static int open_sealed(keystead_store *store, const keystead_context *ctx, const char *in_path, const char *out_path) {
    size_t len = 0;
    uint8_t *sealed = read_file(in_path, &len);
    if (sealed == NULL || len < 12 + 12 + 16 || memcmp(sealed, MAGIC, 8) != 0) {
        fprintf(stderr, "%s is not a sealed file\n", in_path);
        free(sealed);
        return 1;
    }
    size_t wlen = (size_t)sealed[8] << 24 | (size_t)sealed[9] << 16 | (size_t)sealed[10] << 8 | sealed[11];
    size_t header_len = 8 + 4 + wlen + 12;
    if (wlen > len || header_len + 16 > len) {
        fprintf(stderr, "%s is truncated\n", in_path);
        free(sealed);
        return 1;
    }
    keystead_error *err = NULL;
    keystead_bytes *data_key = NULL;
    if (keystead_store_decrypt(store, sealed + 12, wlen, ctx, NULL, NULL, &data_key, NULL, &err) != KEYSTEAD_RESULT_OK) {
        free(sealed);
        return fail_keystead("Decrypt (data key)", err);
    }
    size_t body = len - header_len - 16;
    uint8_t *plain = malloc(body + 1);
    int rc = gcm(0, keystead_bytes_data(data_key), sealed + 12 + wlen, sealed, header_len, sealed + header_len, body, plain,
                 sealed + header_len + body) ||
             write_file(out_path, plain, body);
    keystead_bytes_free(data_key);
    free(plain);
    free(sealed);
    if (rc) fprintf(stderr, "opening %s failed (tampered?)\n", in_path);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <store-dir> <input> <sealed> <restored>\n", argv[0]);
        return 2;
    }
    keystead_error *err = NULL;
    keystead_store *store = NULL;
    if (keystead_store_open(argv[1], NULL, &store, &err) != KEYSTEAD_RESULT_OK) return fail_keystead("open", err);
    /* Make sure the alias exists: DescribeKey, else CreateKey + CreateAlias. */
    keystead_bytes *json = NULL;
    if (keystead_store_describe_key(store, ALIAS, &json, NULL) != KEYSTEAD_RESULT_OK) {
        keystead_bytes *key_id = NULL;
        if (keystead_store_create_key(store, NULL, &key_id, NULL, &err) != KEYSTEAD_RESULT_OK ||
            keystead_store_create_alias(store, ALIAS, (const char *)keystead_bytes_data(key_id), &err) != KEYSTEAD_RESULT_OK) {
            keystead_bytes_free(key_id);
            keystead_store_free(store);
            return fail_keystead("creating " ALIAS, err);
        }
        keystead_bytes_free(key_id);
    }
    keystead_bytes_free(json);
    keystead_context *ctx = NULL;
    if (keystead_context_new(&ctx, &err) != KEYSTEAD_RESULT_OK ||
        keystead_context_add(ctx, "purpose", "envelope-example", &err) != KEYSTEAD_RESULT_OK) {
        keystead_store_free(store);
        return fail_keystead("context", err);
    }
    int rc = seal(store, ctx, argv[2], argv[3]) || open_sealed(store, ctx, argv[3], argv[4]);
    if (rc == 0) printf("sealed %s -> %s, restored -> %s\n", argv[2], argv[3], argv[4]);
    keystead_context_free(ctx);
    keystead_store_free(store);
    return rc;
}
