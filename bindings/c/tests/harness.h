/* A tiny test harness for the Keystead C tests: TEST functions, CHECK macros, a summary line. */
#ifndef KEYSTEAD_TEST_HARNESS_H
#define KEYSTEAD_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystead.h"

static int harness_passed = 0;
static int harness_failed = 0;
static int harness_current_failed = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            harness_current_failed = 1;                                                  \
        }                                                                                \
    } while (0)

/* Checks that `call` returns `expected`; prints the error object if the call made one. */
#define CHECK_RC(expected, call)                                                                      \
    do {                                                                                              \
        keystead_error *check_err_ = NULL;                                                            \
        keystead_result check_rc_ = (call);                                                           \
        if (check_rc_ != (keystead_result)(expected)) {                                               \
            fprintf(stderr, "  CHECK_RC failed at %s:%d: %s returned %u (%s: %s), expected %u\n",     \
                    __FILE__, __LINE__, #call, (unsigned)check_rc_, keystead_error_name(check_err_),  \
                    keystead_error_message(check_err_), (unsigned)(expected));                        \
            harness_current_failed = 1;                                                               \
        }                                                                                             \
        keystead_error_free(check_err_);                                                              \
    } while (0)

/* `call` must use the identifier `ERR` as its err_out argument. */
#define ERR (&check_err_)
#define CHECK_OK(call) CHECK_RC(KEYSTEAD_RESULT_OK, call)

#define RUN(test)                                             \
    do {                                                      \
        harness_current_failed = 0;                           \
        test();                                               \
        if (harness_current_failed) {                         \
            harness_failed++;                                 \
            fprintf(stderr, "FAIL %s\n", #test);              \
        } else {                                              \
            harness_passed++;                                 \
            printf("ok   %s\n", #test);                       \
        }                                                     \
    } while (0)

#define SUMMARY(program)                                                                       \
    (printf("c-test-summary %s: %d passed, %d failed\n", program, harness_passed, harness_failed), \
     harness_failed == 0 ? 0 : 1)

/* True when the bytes hold exactly the NUL-terminated `text`. */
static inline int bytes_eq_str(const keystead_bytes *b, const char *text) {
    return b != NULL && keystead_bytes_len(b) == strlen(text) && memcmp(keystead_bytes_data(b), text, strlen(text)) == 0;
}

static inline const char *bytes_str(const keystead_bytes *b) {
    return (const char *)keystead_bytes_data(b);
}

#endif
