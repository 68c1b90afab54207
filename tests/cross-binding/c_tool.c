/* Cross-binding matrix, C side: seal or open an envelope message with the one-shot functions or
 * the streaming contexts.
 *   c_tool STORE seal|seal-stream KEY_ID IN OUT
 *   c_tool STORE open|open-stream IN OUT
 * The encryption context is {"matrix": "cross-binding"}; segments are 65536 bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystead.h"

static int fail(const char *what, keystead_error *err) {
    fprintf(stderr, "c_tool: %s: %s: %s\n", what, keystead_error_name(err), keystead_error_message(err));
    keystead_error_free(err);
    return 1;
}

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: c_tool STORE seal|seal-stream KEY IN OUT | c_tool STORE open|open-stream IN OUT\n");
        return 2;
    }
    const char *mode = argv[2];
    int sealing = strncmp(mode, "seal", 4) == 0;
    int streaming = strstr(mode, "stream") != NULL;
    const char *in = argv[sealing ? 4 : 3], *out = argv[sealing ? 5 : 4];
    keystead_error *err = NULL;
    keystead_store *store = NULL;
    if (keystead_store_open(argv[1], NULL, &store, &err) != KEYSTEAD_RESULT_OK) return fail("open store", err);
    keystead_context *ctx = NULL;
    keystead_context_new(&ctx, NULL);
    keystead_context_add(ctx, "matrix", "cross-binding", NULL);
    size_t len = 0;
    unsigned char *data = read_all(in, &len);
    if (!data) return 1;
    FILE *f = fopen(out, "wb");
    if (!f) return 1;
    int rc = 0;
    if (!streaming) {
        keystead_bytes *result = NULL;
        keystead_result r = sealing ? keystead_envelope_seal(store, argv[3], data, len, ctx, NULL, 0, 65536, &result, &err)
                                    : keystead_envelope_open(store, data, len, ctx, NULL, 0, 0, &result, &err);
        if (r != KEYSTEAD_RESULT_OK) return fail(mode, err);
        fwrite(keystead_bytes_data(result), 1, keystead_bytes_len(result), f);
        keystead_bytes_free(result);
    } else if (sealing) {
        keystead_envelope_writer *w = NULL;
        if (keystead_envelope_writer_new(store, argv[3], ctx, NULL, 0, 65536, &w, &err) != KEYSTEAD_RESULT_OK) return fail(mode, err);
        for (size_t at = 0; at < len; at += 10000) {
            keystead_bytes *chunk = NULL;
            size_t n = len - at < 10000 ? len - at : 10000;
            if (keystead_envelope_writer_update(w, data + at, n, &chunk, &err) != KEYSTEAD_RESULT_OK) return fail(mode, err);
            fwrite(keystead_bytes_data(chunk), 1, keystead_bytes_len(chunk), f);
            keystead_bytes_free(chunk);
        }
        keystead_bytes *last = NULL;
        if (keystead_envelope_writer_finish(w, &last, &err) != KEYSTEAD_RESULT_OK) return fail(mode, err);
        fwrite(keystead_bytes_data(last), 1, keystead_bytes_len(last), f);
        keystead_bytes_free(last);
        keystead_envelope_writer_free(w);
    } else {
        keystead_envelope_reader *r = NULL;
        if (keystead_envelope_reader_new(store, ctx, NULL, 0, 0, &r, &err) != KEYSTEAD_RESULT_OK) return fail(mode, err);
        for (size_t at = 0; at < len; at += 9999) {
            keystead_bytes *chunk = NULL;
            size_t n = len - at < 9999 ? len - at : 9999;
            if (keystead_envelope_reader_update(r, data + at, n, &chunk, &err) != KEYSTEAD_RESULT_OK) return fail(mode, err);
            fwrite(keystead_bytes_data(chunk), 1, keystead_bytes_len(chunk), f);
            keystead_bytes_free(chunk);
        }
        keystead_bytes *last = NULL;
        if (keystead_envelope_reader_finish(r, &last, &err) != KEYSTEAD_RESULT_OK) return fail(mode, err);
        fwrite(keystead_bytes_data(last), 1, keystead_bytes_len(last), f);
        keystead_bytes_free(last);
        keystead_envelope_reader_free(r);
    }
    if (fclose(f) != 0) rc = 1;
    free(data);
    keystead_context_free(ctx);
    keystead_store_free(store);
    return rc;
}
