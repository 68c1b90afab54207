/* One timed batch of keystead_store_encrypt calls on 1 KiB from C, on an in-memory store: the
 * C side of the binding-overhead comparison in `make bench` (bench/report.py alternates this
 * process with `peers encrypt-loop`, the same loop over the Rust call). Prints "<ns> ns/call".
 *
 *   cc -O2 -std=c11 -Iinclude bench/c/encrypt_loop.c -Ltarget/release -lkeystead \
 *      -Wl,-rpath,$PWD/target/release -o target/bench-c/encrypt_loop
 *   target/bench-c/encrypt_loop [calls]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keystead.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* One Encrypt of `plaintext` and the release of its result; 0 on success. */
static int encrypt_once(const keystead_store *store, const char *key_id, const uint8_t *plaintext, size_t len) {
    keystead_bytes *ciphertext = NULL;
    keystead_error *err = NULL;
    if (keystead_store_encrypt(store, key_id, plaintext, len, NULL, NULL, &ciphertext, &err) != KEYSTEAD_RESULT_OK) {
        fprintf(stderr, "encrypt: %s\n", keystead_error_message(err));
        keystead_error_free(err);
        return 1;
    }
    keystead_bytes_free(ciphertext);
    return 0;
}

int main(int argc, char **argv) {
    long calls = argc > 1 ? atol(argv[1]) : 20000;
    keystead_store *store = NULL;
    keystead_error *err = NULL;
    if (keystead_store_open_in_memory(NULL, &store, &err) != KEYSTEAD_RESULT_OK) {
        fprintf(stderr, "open: %s\n", keystead_error_message(err));
        return 1;
    }
    keystead_bytes *id = NULL;
    if (keystead_store_create_key(store, NULL, &id, NULL, &err) != KEYSTEAD_RESULT_OK) {
        fprintf(stderr, "create key: %s\n", keystead_error_message(err));
        return 1;
    }
    /* The id is NUL-terminated text; copy it so the loop holds a plain C string. */
    char key_id[128];
    snprintf(key_id, sizeof key_id, "%.*s", (int)keystead_bytes_len(id), (const char *)keystead_bytes_data(id));
    keystead_bytes_free(id);
    uint8_t plaintext[1024];
    memset(plaintext, 0x5a, sizeof plaintext);
    for (int i = 0; i < 1000; i++)
        if (encrypt_once(store, key_id, plaintext, sizeof plaintext)) return 1;
    double start = now_ns();
    for (long i = 0; i < calls; i++)
        if (encrypt_once(store, key_id, plaintext, sizeof plaintext)) return 1;
    printf("%.1f ns/call\n", (now_ns() - start) / (double)calls);
    keystead_store_free(store);
    return 0;
}
