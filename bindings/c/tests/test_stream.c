#define _POSIX_C_SOURCE 200809L
/* Streaming envelope contexts (keystead_envelope_writer_* / keystead_envelope_reader_*), field
 * encryption of JSON records and configuration secrets, through the C ABI. */
#include <stdint.h>

#include "harness.h"

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

static keystead_bytes *new_key(keystead_store *store) {
    keystead_bytes *key_id = NULL;
    CHECK_OK(keystead_store_create_key(store, NULL, &key_id, NULL, ERR));
    return key_id;
}

static keystead_context *context_of(const char *k, const char *v) {
    keystead_context *ctx = NULL;
    CHECK_OK(keystead_context_new(&ctx, ERR));
    if (k) CHECK_OK(keystead_context_add(ctx, k, v, ERR));
    return ctx;
}

/* A growable byte buffer. */
typedef struct {
    uint8_t *data;
    size_t len;
} buf;

static void append(buf *b, const keystead_bytes *more) {
    size_t n = keystead_bytes_len(more);
    if (n == 0) return;
    b->data = realloc(b->data, b->len + n);
    memcpy(b->data + b->len, keystead_bytes_data(more), n);
    b->len += n;
}

/* Seals `len` bytes in pieces of `piece` bytes with the streaming writer. */
static buf seal_stream(keystead_store *store, const char *key, const uint8_t *data, size_t len, size_t piece,
                       const keystead_context *ctx, size_t segment_size) {
    buf out = {NULL, 0};
    keystead_envelope_writer *w = NULL;
    CHECK_OK(keystead_envelope_writer_new(store, key, ctx, NULL, 0, segment_size, &w, ERR));
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        keystead_bytes *chunk = NULL;
        CHECK_OK(keystead_envelope_writer_update(w, data + at, n, &chunk, ERR));
        append(&out, chunk);
        keystead_bytes_free(chunk);
    }
    keystead_bytes *last = NULL;
    CHECK_OK(keystead_envelope_writer_finish(w, &last, ERR));
    append(&out, last);
    keystead_bytes_free(last);
    keystead_envelope_writer_free(w);
    return out;
}

/* Opens `msg` in pieces of `piece` bytes; returns the result code of the first failure (or OK). */
static keystead_result open_stream(keystead_store *store, const buf *msg, size_t piece, const keystead_context *ctx,
                                   buf *plain) {
    keystead_envelope_reader *r = NULL;
    keystead_result rc = keystead_envelope_reader_new(store, ctx, NULL, 0, 0, &r, NULL);
    if (rc != KEYSTEAD_RESULT_OK) return rc;
    for (size_t at = 0; at < msg->len && rc == KEYSTEAD_RESULT_OK; at += piece) {
        size_t n = msg->len - at < piece ? msg->len - at : piece;
        keystead_bytes *chunk = NULL;
        rc = keystead_envelope_reader_update(r, msg->data + at, n, &chunk, NULL);
        if (rc == KEYSTEAD_RESULT_OK) append(plain, chunk);
        keystead_bytes_free(chunk);
    }
    if (rc == KEYSTEAD_RESULT_OK) {
        keystead_bytes *last = NULL;
        rc = keystead_envelope_reader_finish(r, &last, NULL);
        if (rc == KEYSTEAD_RESULT_OK) append(plain, last);
        keystead_bytes_free(last);
    }
    keystead_envelope_reader_free(r);
    return rc;
}

static void test_stream_round_trips(void) {
    keystead_store *store = memory_store();
    keystead_bytes *key = new_key(store);
    keystead_context *ctx = context_of("object", "export.csv");
    size_t sizes[] = {0, 1, 63, 64, 65, 64 * 9 + 7, 100000};
    size_t pieces[] = {1, 10, 64, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t len = sizes[s];
        uint8_t *data = malloc(len + 1);
        for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 31 + 7);
        for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
            if (len > 10000 && pieces[p] < 64) continue; /* keep the sanitizer runs quick */
            buf msg = seal_stream(store, bytes_str(key), data, len, pieces[p], ctx, 64);
            CHECK(msg.len == 159 + 2 + 2 + 6 + 2 + 10 + len + 16 * (len == 0 ? 1 : (len + 63) / 64));
            /* The one-shot open reads what the streaming writer wrote ... */
            keystead_bytes *pt = NULL;
            CHECK_OK(keystead_envelope_open(store, msg.data, msg.len, ctx, NULL, 0, 0, &pt, ERR));
            CHECK(pt != NULL && keystead_bytes_len(pt) == len && (len == 0 || memcmp(keystead_bytes_data(pt), data, len) == 0));
            keystead_bytes_free(pt);
            /* ... and the streaming reader too, in pieces of any size. */
            buf plain = {NULL, 0};
            CHECK(open_stream(store, &msg, pieces[p] + 3, ctx, &plain) == KEYSTEAD_RESULT_OK);
            CHECK(plain.len == len && (len == 0 || memcmp(plain.data, data, len) == 0));
            free(plain.data);
            free(msg.data);
        }
        /* The streaming reader reads what the one-shot seal wrote. */
        keystead_bytes *one = NULL;
        CHECK_OK(keystead_envelope_seal(store, bytes_str(key), data, len, ctx, NULL, 0, 0, &one, ERR));
        buf msg = {(uint8_t *)keystead_bytes_data(one), keystead_bytes_len(one)};
        buf plain = {NULL, 0};
        CHECK(open_stream(store, &msg, 777, ctx, &plain) == KEYSTEAD_RESULT_OK);
        CHECK(plain.len == len && (len == 0 || memcmp(plain.data, data, len) == 0));
        free(plain.data);
        keystead_bytes_free(one);
        free(data);
    }
    keystead_context_free(ctx);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

static void test_stream_refuses_tampering(void) {
    keystead_store *store = memory_store();
    keystead_bytes *key = new_key(store);
    keystead_context *ctx = context_of("object", "export.csv");
    keystead_context *other = context_of("object", "other.csv");
    uint8_t data[300];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)i;
    buf msg = seal_stream(store, bytes_str(key), data, sizeof data, 50, ctx, 64);
    buf plain = {NULL, 0};
    CHECK(open_stream(store, &msg, 100, other, &plain) == KEYSTEAD_RESULT_INVALID_CIPHERTEXT);
    for (size_t at = 0; at < msg.len; at += 17) {
        msg.data[at] ^= 0x01;
        plain.len = 0;
        CHECK(open_stream(store, &msg, 100, ctx, &plain) != KEYSTEAD_RESULT_OK);
        msg.data[at] ^= 0x01;
    }
    /* Cut short anywhere: refused at the latest by finish. */
    size_t full = msg.len;
    for (size_t cut = 0; cut < full; cut += 41) {
        msg.len = cut;
        plain.len = 0;
        CHECK(open_stream(store, &msg, 100, ctx, &plain) == KEYSTEAD_RESULT_INVALID_CIPHERTEXT);
    }
    msg.len = full;
    free(plain.data);

    /* After a failure, every call fails; a finished writer refuses more input. */
    keystead_envelope_reader *r = NULL;
    CHECK_OK(keystead_envelope_reader_new(store, other, NULL, 0, 0, &r, ERR));
    keystead_bytes *out = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_reader_update(r, msg.data, msg.len, &out, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_reader_finish(r, &out, EOUT));
    CHECK(out == NULL);
    keystead_envelope_reader_free(r);
    keystead_envelope_writer *w = NULL;
    CHECK_OK(keystead_envelope_writer_new(store, bytes_str(key), NULL, NULL, 0, 0, &w, ERR));
    CHECK_OK(keystead_envelope_writer_finish(w, &out, ERR));
    keystead_bytes_free(out);
    out = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_envelope_writer_update(w, data, 1, &out, EOUT));
    keystead_envelope_writer_free(w);

    /* Bad arguments: NULLs, bad segment size, unknown key, bad limit. */
    w = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_envelope_writer_new(store, NULL, NULL, NULL, 0, 0, &w, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_envelope_writer_new(store, bytes_str(key), NULL, NULL, 0, 8, &w, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException", keystead_envelope_writer_new(store, "alias/none", NULL, NULL, 0, 0, &w, EOUT));
    CHECK(w == NULL);
    r = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_envelope_reader_new(store, NULL, NULL, 0, 256, &r, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_envelope_reader_update(NULL, data, 1, &out, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter", keystead_envelope_writer_update(NULL, data, 1, &out, EOUT));
    CHECK(r == NULL && out == NULL);
    keystead_envelope_reader_free(NULL);
    keystead_envelope_writer_free(NULL);

    free(msg.data);
    keystead_context_free(ctx);
    keystead_context_free(other);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

static void test_fields(void) {
    keystead_store *store = memory_store();
    keystead_bytes *key = new_key(store);
    keystead_context *ctx = context_of("table", "customers");
    keystead_context *other = context_of("table", "orders");
    const char *record = "{\"pk\":\"c#42\",\"card\":\"4111 1111 1111 1111\",\"address\":{\"city\":\"Paris\"},\"age\":36}";
    const char *fields[] = {"card", "address"};
    keystead_bytes *sealed = NULL, *opened = NULL;
    CHECK_OK(keystead_envelope_encrypt_fields(store, bytes_str(key), record, fields, 2, ctx, NULL, 0, &sealed, ERR));
    CHECK(sealed != NULL && strstr(bytes_str(sealed), "4111") == NULL && strstr(bytes_str(sealed), "Paris") == NULL);
    CHECK(strstr(bytes_str(sealed), "\"pk\":\"c#42\"") != NULL && strstr(bytes_str(sealed), "\"keystead:fields\":\"") != NULL);
    CHECK_OK(keystead_envelope_decrypt_fields(store, bytes_str(sealed), ctx, NULL, 0, 0, &opened, ERR));
    CHECK(opened != NULL && strstr(bytes_str(opened), "\"card\":\"4111 1111 1111 1111\"") != NULL);
    CHECK(opened != NULL && strstr(bytes_str(opened), "\"address\":{\"city\":\"Paris\"}") != NULL);
    CHECK(opened != NULL && strstr(bytes_str(opened), "keystead:fields") == NULL);
    keystead_bytes_free(opened);
    opened = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_envelope_decrypt_fields(store, bytes_str(sealed), other, NULL, 0, 0, &opened, EOUT));
    const char *missing[] = {"email"};
    keystead_bytes *bad = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_envelope_encrypt_fields(store, bytes_str(key), record, missing, 1, ctx, NULL, 0, &bad, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_ARGUMENT, "InvalidArgument",
               keystead_envelope_encrypt_fields(store, bytes_str(key), "{not json", fields, 2, ctx, NULL, 0, &bad, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_NULL_PARAMETER, "NullParameter",
               keystead_envelope_encrypt_fields(store, bytes_str(key), record, NULL, 0, ctx, NULL, 0, &bad, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_envelope_decrypt_fields(store, record, ctx, NULL, 0, 0, &opened, EOUT));
    CHECK(bad == NULL && opened == NULL);
    keystead_bytes_free(sealed);
    keystead_context_free(ctx);
    keystead_context_free(other);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

static void test_secrets(void) {
    keystead_store *store = memory_store();
    keystead_bytes *key = new_key(store);
    keystead_context *ctx = context_of("service", "billing");
    keystead_bytes *text = NULL, *plain = NULL, *json = NULL;
    CHECK_OK(keystead_secret_encrypt(store, bytes_str(key), "KS_TEST_DB_PASSWORD", (const uint8_t *)"pa\"ss", 5, ctx, &text, ERR));
    CHECK(text != NULL && strncmp(bytes_str(text), "keystead:v1:", 12) == 0 && strchr(bytes_str(text), '\n') == NULL);
    CHECK_OK(keystead_secret_decrypt(store, "KS_TEST_DB_PASSWORD", bytes_str(text), ctx, &plain, ERR));
    CHECK(plain != NULL && keystead_bytes_len(plain) == 5 && memcmp(keystead_bytes_data(plain), "pa\"ss", 5) == 0);
    keystead_bytes_free(plain);
    plain = NULL;
    EXPECT_ERR(KEYSTEAD_RESULT_INVALID_CIPHERTEXT, "InvalidCiphertextException",
               keystead_secret_decrypt(store, "KS_TEST_OTHER", bytes_str(text), ctx, &plain, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_secret_decrypt(store, "KS_TEST_DB_PASSWORD", "plain text", ctx, &plain, EOUT));
    EXPECT_ERR(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_secret_encrypt(store, bytes_str(key), "KS_TEST_X", NULL, 0, ctx, &plain, EOUT));

    /* decrypt_env: the secret variable comes back decrypted, plain variables are left out. */
    setenv("KS_TEST_DB_PASSWORD", bytes_str(text), 1);
    setenv("KS_TEST_PLAIN", "just text", 1);
    CHECK_OK(keystead_secret_decrypt_env(store, ctx, &json, ERR));
    CHECK(json != NULL && strstr(bytes_str(json), "\"KS_TEST_DB_PASSWORD\":\"pa\\\"ss\"") != NULL);
    CHECK(json != NULL && strstr(bytes_str(json), "KS_TEST_PLAIN") == NULL);
    keystead_bytes_free(json);
    json = NULL;
    /* Moved to another variable: the whole call fails and names the variable. */
    setenv("KS_TEST_MOVED", bytes_str(text), 1);
    keystead_error *err = NULL;
    CHECK(keystead_secret_decrypt_env(store, ctx, &json, &err) == KEYSTEAD_RESULT_INVALID_CIPHERTEXT);
    CHECK(err != NULL && strstr(keystead_error_message(err), "KS_TEST_MOVED") != NULL);
    CHECK(err != NULL && strstr(keystead_error_message(err), bytes_str(text) + 12) == NULL);
    CHECK(json == NULL);
    keystead_error_free(err);
    unsetenv("KS_TEST_MOVED");
    unsetenv("KS_TEST_DB_PASSWORD");
    unsetenv("KS_TEST_PLAIN");
    keystead_bytes_free(text);
    keystead_context_free(ctx);
    keystead_bytes_free(key);
    keystead_store_free(store);
}

int main(void) {
    RUN(test_stream_round_trips);
    RUN(test_stream_refuses_tampering);
    RUN(test_fields);
    RUN(test_secrets);
    return SUMMARY("test_stream");
}
