/* Cross-binding matrix, C side (context {"matrix": "cross-binding"}, 64 KiB segments):
 *   c_tool STORE seal|seal-stream|fields-seal|secret-seal KEY_ID IN OUT
 *   c_tool STORE open|open-stream|fields-open|secret-open IN OUT
 * seal/open use the one-shot functions, *-stream the streaming contexts; fields encrypt the
 * record's "card" and "address"; secrets are for the variable DB_PASSWORD. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystead.h"

#define SEGMENT 65536

static int fail(const char *what, keystead_error *err) {
    fprintf(stderr, "c_tool: %s: %s: %s\n", what, keystead_error_name(err), keystead_error_message(err));
    keystead_error_free(err);
    return 1;
}

/* The whole file, followed by a NUL (the fields and secret modes read it as text). */
static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(buf, (cap *= 2) + 1);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Writes a result and frees it; the streaming loops call this for every output chunk. */
static void emit(FILE *f, keystead_bytes *bytes) {
    fwrite(keystead_bytes_data(bytes), 1, keystead_bytes_len(bytes), f);
    keystead_bytes_free(bytes);
}

static int run(const char *mode, const keystead_store *store, const keystead_context *ctx, const char *key,
               const unsigned char *data, size_t len, FILE *out) {
    keystead_error *err = NULL;
    keystead_bytes *result = NULL;
    keystead_result r;
    if (strcmp(mode, "seal") == 0) {
        r = keystead_envelope_seal(store, key, data, len, ctx, NULL, 0, SEGMENT, &result, &err);
    } else if (strcmp(mode, "open") == 0) {
        r = keystead_envelope_open(store, data, len, ctx, NULL, 0, 0, &result, &err);
    } else if (strcmp(mode, "fields-seal") == 0) {
        const char *fields[] = {"card", "address"};
        r = keystead_envelope_encrypt_fields(store, key, (const char *)data, fields, 2, ctx, NULL, 0, &result, &err);
    } else if (strcmp(mode, "fields-open") == 0) {
        r = keystead_envelope_decrypt_fields(store, (const char *)data, ctx, NULL, 0, 0, &result, &err);
    } else if (strcmp(mode, "secret-seal") == 0) {
        r = keystead_secret_encrypt(store, key, "DB_PASSWORD", data, len, ctx, &result, &err);
    } else if (strcmp(mode, "secret-open") == 0) {
        r = keystead_secret_decrypt(store, "DB_PASSWORD", (const char *)data, ctx, &result, &err);
    } else if (strcmp(mode, "seal-stream") == 0) {
        keystead_envelope_writer *w = NULL;
        if (keystead_envelope_writer_new(store, key, ctx, NULL, 0, SEGMENT, &w, &err) != KEYSTEAD_RESULT_OK)
            return fail(mode, err);
        for (size_t at = 0; at < len; at += 10000) {
            size_t n = len - at < 10000 ? len - at : 10000;
            if (keystead_envelope_writer_update(w, data + at, n, &result, &err) != KEYSTEAD_RESULT_OK) {
                keystead_envelope_writer_free(w);
                return fail(mode, err);
            }
            emit(out, result);
        }
        r = keystead_envelope_writer_finish(w, &result, &err);
        keystead_envelope_writer_free(w);
    } else if (strcmp(mode, "open-stream") == 0) {
        keystead_envelope_reader *rd = NULL;
        if (keystead_envelope_reader_new(store, ctx, NULL, 0, 0, &rd, &err) != KEYSTEAD_RESULT_OK)
            return fail(mode, err);
        for (size_t at = 0; at < len; at += 9999) {
            size_t n = len - at < 9999 ? len - at : 9999;
            if (keystead_envelope_reader_update(rd, data + at, n, &result, &err) != KEYSTEAD_RESULT_OK) {
                keystead_envelope_reader_free(rd);
                return fail(mode, err);
            }
            emit(out, result);
        }
        r = keystead_envelope_reader_finish(rd, &result, &err);
        keystead_envelope_reader_free(rd);
    } else {
        fprintf(stderr, "c_tool: unknown mode %s\n", mode);
        return 2;
    }
    if (r != KEYSTEAD_RESULT_OK) return fail(mode, err);
    emit(out, result);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: c_tool STORE MODE [KEY] IN OUT (see the top of c_tool.c)\n");
        return 2;
    }
    const char *mode = argv[2];
    int sealing = strstr(mode, "seal") != NULL;
    if (argc != (sealing ? 6 : 5)) return 2;
    const char *key = sealing ? argv[3] : NULL;
    const char *in = argv[sealing ? 4 : 3], *out_path = argv[sealing ? 5 : 4];
    keystead_error *err = NULL;
    keystead_store *store = NULL;
    if (keystead_store_open(argv[1], NULL, &store, &err) != KEYSTEAD_RESULT_OK) return fail("open store", err);
    keystead_context *ctx = NULL;
    if (keystead_context_new(&ctx, &err) != KEYSTEAD_RESULT_OK) return fail("context", err);
    if (keystead_context_add(ctx, "matrix", "cross-binding", &err) != KEYSTEAD_RESULT_OK) return fail("context", err);
    size_t len = 0;
    unsigned char *data = read_all(in, &len);
    FILE *out = data ? fopen(out_path, "wb") : NULL;
    if (!out) {
        perror("c_tool");
        return 1;
    }
    int rc = run(mode, store, ctx, key, data, len, out);
    if (fclose(out) != 0) rc = 1;
    free(data);
    keystead_context_free(ctx);
    keystead_store_free(store);
    return rc;
}
