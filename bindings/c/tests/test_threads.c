/* Keystead C ABI: one store handle shared by several threads that encrypt, decrypt, create keys
 * and list at the same time. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define THREADS 8

static int rounds = 100;
static keystead_store *store;
static keystead_bytes *shared_key;

struct worker {
    int id;
    int failures;
};

static void *work(void *arg) {
    struct worker *w = arg;
    keystead_context *ctx = NULL;
    char value[32];
    snprintf(value, sizeof value, "thread-%d", w->id);
    if (keystead_context_new(&ctx, NULL) != KEYSTEAD_RESULT_OK || keystead_context_add(ctx, "who", value, NULL) != KEYSTEAD_RESULT_OK) {
        w->failures++;
        return NULL;
    }
    /* Each thread also makes its own key while the others work. */
    keystead_bytes *own = NULL;
    if (keystead_store_create_key(store, NULL, &own, NULL, NULL) != KEYSTEAD_RESULT_OK) w->failures++;
    uint8_t msg[1024];
    for (int i = 0; i < rounds; i++) {
        memset(msg, (int)(w->id * 31 + i), sizeof msg);
        const char *key = (i % 2 == 0 || own == NULL) ? bytes_str(shared_key) : bytes_str(own);
        keystead_bytes *ct = NULL, *pt = NULL;
        keystead_error *err = NULL;
        if (keystead_store_encrypt(store, key, msg, sizeof msg, ctx, NULL, &ct, &err) != KEYSTEAD_RESULT_OK) {
            fprintf(stderr, "  thread %d encrypt: %s\n", w->id, keystead_error_message(err));
            w->failures++;
        } else if (keystead_store_decrypt(store, keystead_bytes_data(ct), keystead_bytes_len(ct), ctx, NULL, NULL, &pt, NULL, &err) !=
                       KEYSTEAD_RESULT_OK ||
                   keystead_bytes_len(pt) != sizeof msg || memcmp(keystead_bytes_data(pt), msg, sizeof msg) != 0) {
            fprintf(stderr, "  thread %d decrypt: %s\n", w->id, keystead_error_message(err));
            w->failures++;
        }
        keystead_error_free(err);
        keystead_bytes_free(ct);
        keystead_bytes_free(pt);
        if (i % 25 == 0) {
            keystead_bytes *json = NULL;
            if (keystead_store_list_keys(store, 0, NULL, &json, NULL) != KEYSTEAD_RESULT_OK) w->failures++;
            keystead_bytes_free(json);
        }
    }
    keystead_bytes_free(own);
    keystead_context_free(ctx);
    return NULL;
}

static void test_shared_store(void) {
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].id = i;
        workers[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].failures == 0);
    }
    keystead_bytes *json = NULL;
    CHECK_OK(keystead_store_list_keys(store, 0, NULL, &json, ERR));
    /* The shared key plus one per thread. */
    int count = 0;
    for (const char *p = bytes_str(json); (p = strstr(p, "\"KeyId\"")) != NULL; p++) count++;
    CHECK(count == THREADS + 1);
    keystead_bytes_free(json);
}

int main(int argc, char **argv) {
    if (argc > 1) rounds = atoi(argv[1]);
    CHECK_OK(keystead_store_open_in_memory(NULL, &store, ERR));
    CHECK_OK(keystead_store_create_key(store, NULL, &shared_key, NULL, ERR));
    RUN(test_shared_store);
    keystead_bytes_free(shared_key);
    keystead_store_free(store);
    return SUMMARY("test_threads");
}
