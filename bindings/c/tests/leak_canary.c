/* Deliberately leaks one keystead_bytes: ASan and valgrind must report it, which proves the
 * leak detectors are live in bindings/c/test.sh. Not part of the test count. */
#include <stdio.h>

#include "keystead.h"

int main(void) {
    keystead_store *store = NULL;
    keystead_bytes *random = NULL;
    if (keystead_store_open_in_memory(NULL, &store, NULL) != KEYSTEAD_RESULT_OK) return 2;
    if (keystead_store_generate_random(store, 32, &random, NULL) != KEYSTEAD_RESULT_OK) return 2;
    keystead_store_free(store);
    random = NULL; /* the leak */
    printf("leaked one keystead_bytes on purpose\n");
    return 0;
}
