/* Bad input through the C door (issue 11).
 *
 * The cases are generated from include/keystead.h by gen_c_cases.py (see run.sh): every
 * function is a row, and every parameter of a function returning keystead_result gets NULL (when
 * required), empty, oversize and malformed (non-UTF-8, garbage) values, the others valid. Each
 * case must end in a typed result (the AWS exception's code, or INVALID_ARGUMENT /
 * NULL_PARAMETER / BUFFER_TOO_SMALL) whose error object carries the same code, never PANIC or a
 * server fault, and the store (keys, metadata, policies, grants, tags, rotations, aliases,
 * access keys) must be unchanged. A value valid under AWS's rules may succeed only if ACCEPTED
 * lists it. One JSON line per function is appended to argv[2] (docs/bad-input.md).
 *
 * Build: cc -std=c11 -I include -I <dir of cases.inc> c_bad_input.c -lkeystead
 * Run:   ./c_bad_input <scratch dir> [results.jsonl]
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keystead.h"

struct fx {
    struct keystead_store *store;
    char *sym, *hmac, *sign, *agree, *external;
    uint8_t *blob, *signature, *mac, *public_key;
    size_t blob_len, signature_len, mac_len, public_key_len;
    char *access_key_id, *grant_id, *secret_text;
    char new_dir[4096], audit_dir[4096];
    struct keystead_audit_report report;
    /* Set by check_error: the error object disagreed with the result. */
    bool inconsistent;
};

#define FX_SYM fx->sym
#define FX_HMAC fx->hmac
#define FX_SIGN fx->sign
#define FX_AGREE fx->agree
#define FX_EXTERNAL fx->external
#define BIG_BYTES_LEN 300000u

static const char *POLICY =
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": "
    "\"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]}";
static const uint8_t GARBAGE[] = {0xff, 0x00, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0x00, 0x01, 0x02, 0xfe, 0xfd};
static const char *BAD_UTF8 = "\xff\xfe not UTF-8 \xc3";
static const char *const EMPTY_ARRAY[] = {""};
static const char *const BAD_UTF8_ARRAY[] = {"\xff\xfe"};
static const char *const FIELDS[] = {"a"};
static uint8_t JUNK[300];
static char *BIG_STR;
static uint8_t *BIG_BYTES;
static uint8_t obuf[64];
static size_t osize;

static void die(const char *what, struct keystead_error *err) {
    fprintf(stderr, "fixture: %s failed: %s\n", what, err ? keystead_error_message(err) : "(no error)");
    exit(2);
}

/* Fixture calls must succeed; `err` is the caller's error out-parameter. */
#define MUST(call, what)                                    \
    do {                                                    \
        if ((call) != KEYSTEAD_RESULT_OK) die(what, err);   \
    } while (0)

static char *take_string(struct keystead_bytes *b) {
    size_t n = keystead_bytes_len(b);
    char *s = malloc(n + 1);
    memcpy(s, keystead_bytes_data(b), n);
    s[n] = 0;
    keystead_bytes_free(b);
    return s;
}

static uint8_t *take_bytes(struct keystead_bytes *b, size_t *len) {
    *len = keystead_bytes_len(b);
    uint8_t *out = malloc(*len ? *len : 1);
    memcpy(out, keystead_bytes_data(b), *len);
    keystead_bytes_free(b);
    return out;
}

static char *new_key(struct fx *fx, const char *usage, const char *spec, const char *origin) {
    struct keystead_error *err = NULL;
    struct keystead_create_key_request *req = NULL;
    struct keystead_bytes *id = NULL, *meta = NULL;
    MUST(keystead_create_key_request_new(&req, &err), "create_key_request_new");
    if (usage) MUST(keystead_create_key_request_set_key_usage(req, usage, &err), "set_key_usage");
    if (spec) MUST(keystead_create_key_request_set_key_spec(req, spec, &err), "set_key_spec");
    if (origin) MUST(keystead_create_key_request_set_origin(req, origin, &err), "set_origin");
    MUST(keystead_store_create_key(fx->store, req, &id, &meta, &err), "create_key");
    keystead_create_key_request_free(req);
    keystead_bytes_free(meta);
    return take_string(id);
}

/* Fresh handles for the cases (never freed: the program is short-lived). */
static struct keystead_context *fx_context(struct fx *fx) {
    (void)fx;
    struct keystead_context *c = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_context_new(&c, &err), "context_new");
    return c;
}
static struct keystead_tags *fx_tags(struct fx *fx) {
    (void)fx;
    struct keystead_tags *t = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_tags_new(&t, &err), "tags_new");
    MUST(keystead_tags_add(t, "team", "x", &err), "tags_add");
    return t;
}
static struct keystead_call_options *fx_call_options(struct fx *fx) {
    (void)fx;
    struct keystead_call_options *o = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_call_options_new(&o, &err), "call_options_new");
    return o;
}
static struct keystead_create_key_request *fx_create_key_request(struct fx *fx) {
    (void)fx;
    struct keystead_create_key_request *r = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_create_key_request_new(&r, &err), "create_key_request_new");
    return r;
}
static struct keystead_create_grant_request *fx_create_grant_request(struct fx *fx) {
    struct keystead_create_grant_request *r = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_create_grant_request_new(fx->sym, "arn:aws:iam::111122223333:role/g", &r, &err), "grant_request_new");
    MUST(keystead_create_grant_request_add_operation(r, "Encrypt", &err), "add_operation");
    return r;
}
static struct keystead_options *fx_options(struct fx *fx) {
    (void)fx;
    struct keystead_options *o = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_options_new(&o, &err), "options_new");
    return o;
}
static struct keystead_root_key *fx_root_key(struct fx *fx) {
    (void)fx;
    struct keystead_root_key *k = NULL;
    struct keystead_error *err = NULL;
    /* A root key source that cannot be read: rotating to it must fail and change nothing. */
    MUST(keystead_root_key_new_env("KEYSTEAD_BAD_INPUT_NO_SUCH_VARIABLE", &k, &err), "root_key_new_env");
    return k;
}
static struct keystead_envelope_writer *fx_writer(struct fx *fx) {
    struct keystead_envelope_writer *w = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_envelope_writer_new(fx->store, fx->sym, NULL, NULL, 0, 0, &w, &err), "writer_new");
    return w;
}
static struct keystead_envelope_reader *fx_reader(struct fx *fx) {
    struct keystead_envelope_reader *r = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_envelope_reader_new(fx->store, NULL, NULL, 0, 0, &r, &err), "reader_new");
    return r;
}
static struct keystead_audit_reader *fx_audit_reader(struct fx *fx) {
    struct keystead_audit_reader *r = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_store_audit_reader(fx->store, NULL, 0, &r, &err), "audit_reader");
    return r;
}
static struct keystead_bytes *fx_bytes(struct fx *fx) {
    struct keystead_bytes *b = NULL;
    struct keystead_error *err = NULL;
    MUST(keystead_store_generate_random(fx->store, 16, &b, &err), "generate_random");
    return b;
}

/* The result of a case: records whether the error object matches it, then frees it. */
static keystead_result check_error(struct fx *fx, keystead_result r, struct keystead_error *err) {
    if (r != KEYSTEAD_RESULT_OK && (!err || keystead_error_code(err) != r || !keystead_error_name(err))) {
        fx->inconsistent = true;
    }
    if (r == KEYSTEAD_RESULT_OK && err) fx->inconsistent = true;
    keystead_error_free(err);
    return r;
}

static bool typed(keystead_result r) {
    switch (r) {
    case KEYSTEAD_RESULT_PANIC:
    case KEYSTEAD_RESULT_INTERNAL:
    case KEYSTEAD_RESULT_KEY_UNAVAILABLE:
    case KEYSTEAD_RESULT_DEPENDENCY_TIMEOUT:
    case KEYSTEAD_RESULT_CORRUPT_STORE:
        return false;
    default:
        return keystead_result_name(r) != NULL;
    }
}

/* Appends one JSON call result (or "ERR <code>") to a growing snapshot string. */
static void add(char **snap, size_t *len, keystead_result r, struct keystead_bytes *b, struct keystead_error *err) {
    char head[32];
    snprintf(head, sizeof head, "|%u|", (unsigned)r);
    size_t extra = strlen(head) + (b ? keystead_bytes_len(b) : 0);
    *snap = realloc(*snap, *len + extra + 1);
    memcpy(*snap + *len, head, strlen(head));
    *len += strlen(head);
    if (b) {
        memcpy(*snap + *len, keystead_bytes_data(b), keystead_bytes_len(b));
        *len += keystead_bytes_len(b);
        keystead_bytes_free(b);
    }
    (*snap)[*len] = 0;
    keystead_error_free(err);
}

/* Everything a bad call could have changed. Audit events and metrics change with every call,
 * so they are not part of it. */
static char *snapshot(struct fx *fx) {
    char *snap = NULL;
    size_t len = 0;
    struct keystead_bytes *b = NULL;
    struct keystead_error *err = NULL;
    keystead_result r = keystead_store_list_keys(fx->store, 1000, NULL, &b, &err);
    add(&snap, &len, r, b, err);
    const char *keys[] = {fx->sym, fx->hmac, fx->sign, fx->agree, fx->external};
    for (size_t i = 0; i < 5; i++) {
        b = NULL, err = NULL;
        add(&snap, &len, keystead_store_describe_key(fx->store, keys[i], &b, &err), b, err);
        b = NULL, err = NULL;
        add(&snap, &len, keystead_store_get_key_policy(fx->store, keys[i], NULL, &b, &err), b, err);
        b = NULL, err = NULL;
        add(&snap, &len, keystead_store_list_grants(fx->store, keys[i], NULL, NULL, 100, NULL, &b, &err), b, err);
        b = NULL, err = NULL;
        add(&snap, &len, keystead_store_list_resource_tags(fx->store, keys[i], 50, NULL, &b, &err), b, err);
    }
    b = NULL, err = NULL;
    add(&snap, &len, keystead_store_list_key_rotations(fx->store, fx->sym, NULL, 1000, NULL, &b, &err), b, err);
    b = NULL, err = NULL;
    add(&snap, &len, keystead_store_list_aliases(fx->store, NULL, 100, NULL, &b, &err), b, err);
    b = NULL, err = NULL;
    add(&snap, &len, keystead_store_list_access_keys(fx->store, &b, &err), b, err);
    return snap;
}

struct bad_case {
    const char *function, *param, *kase;
    keystead_result (*run)(struct fx *fx);
};

#include "cases.inc"

/* function/param/case triples whose value is valid under AWS's rules, or a documented
 * optional-argument convention of the C ABI. */
static const char *const ACCEPTED[] = {
    /* The data being protected, signed or MAC'd: any bytes, and envelopes of any size. */
    "keystead_store_encrypt/plaintext/malformed",
    "keystead_store_encrypt_with_options/plaintext/malformed",
    "keystead_envelope_seal/plaintext/empty",
    "keystead_envelope_seal/plaintext/oversize",
    "keystead_envelope_seal/plaintext/malformed",
    "keystead_envelope_writer_update/plaintext/empty",
    "keystead_envelope_writer_update/plaintext/oversize",
    "keystead_envelope_writer_update/plaintext/malformed",
    "keystead_secret_encrypt/value/malformed",
    "keystead_store_sign/message/malformed",
    "keystead_store_sign_with_options/message/malformed",
    "keystead_store_generate_mac/message/malformed",
    "keystead_store_generate_mac_with_options/message/malformed",
    /* An empty chunk of a streamed message. */
    "keystead_envelope_reader_update/message/empty",
    /* AWS allows an empty description and an empty tag value. */
    "keystead_store_update_key_description/description/empty",
    "keystead_create_key_request_set_description/description/empty",
    "keystead_tags_add/value/empty",
    /* AWS sets no minimum length on encryption context keys and values. */
    "keystead_context_add/key/empty",
    "keystead_context_add/value/empty",
    /* Any bytes but NUL make a valid Linux path. */
    "keystead_store_open/dir/malformed",
    "keystead_root_key_new_file/path/malformed",
    /* Any bytes make a passphrase. */
    "keystead_root_key_new_passphrase/passphrase/malformed",
    "keystead_root_key_new_passphrase/passphrase/oversize",
    NULL,
};

/* Known findings, reported to the owners; rows of docs/bad-input.md. */
static const char *const KNOWN_FINDINGS[] = {
    NULL,
};

/* After a call that was allowed to succeed (it may have disabled a key, scheduled its deletion
 * or moved the alias), puts the fixture back so that later cases start from the same state. */
static void repair(struct fx *fx) {
    const char *keys[] = {fx->sym, fx->hmac, fx->sign, fx->agree, fx->external};
    for (size_t i = 0; i < 5; i++) {
        struct keystead_bytes *b = NULL;
        struct keystead_error *err = NULL;
        keystead_store_cancel_key_deletion(fx->store, keys[i], &b, &err);
        keystead_bytes_free(b);
        keystead_error_free(err);
        err = NULL;
        keystead_store_enable_key(fx->store, keys[i], &err);
        keystead_error_free(err);
    }
}

static bool listed(const char *const *list, const char *key) {
    for (size_t i = 0; list[i]; i++) {
        if (strcmp(list[i], key) == 0) return true;
    }
    return false;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: c_bad_input <scratch dir> [results.jsonl]\n");
        return 2;
    }
    FILE *out = argc > 2 ? fopen(argv[2], "a") : NULL;
    /* Relative paths of the cases (a non-UTF-8 folder name is a valid store folder) land in the
     * scratch folder, not in the caller's working directory (the repository root). */
    char *scratch = realpath(argv[1], NULL);
    if (scratch == NULL || chdir(scratch) != 0) {
        perror("the scratch dir");
        return 2;
    }
    BIG_STR = malloc(70001);
    memset(BIG_STR, 'k', 70000);
    BIG_STR[70000] = 0;
    BIG_BYTES = calloc(BIG_BYTES_LEN, 1);
    memset(JUNK, 7, sizeof JUNK);

    struct fx fxs;
    memset(&fxs, 0, sizeof fxs);
    struct fx *fx = &fxs;
    struct keystead_error *err = NULL;
    char store_dir[4096];
    snprintf(store_dir, sizeof store_dir, "%s/store", scratch);
    snprintf(fx->new_dir, sizeof fx->new_dir, "%s/other", scratch);
    snprintf(fx->audit_dir, sizeof fx->audit_dir, "%s/store/audit", scratch);
    MUST(keystead_store_open(store_dir, NULL, &fx->store, &err), "store_open");
    fx->sym = new_key(fx, NULL, NULL, NULL);
    fx->hmac = new_key(fx, "GENERATE_VERIFY_MAC", "HMAC_256", NULL);
    fx->sign = new_key(fx, "SIGN_VERIFY", "ECC_NIST_P256", NULL);
    fx->agree = new_key(fx, "KEY_AGREEMENT", "ECC_NIST_P256", NULL);
    fx->external = new_key(fx, NULL, NULL, "EXTERNAL");
    MUST(keystead_store_create_alias(fx->store, "alias/bad-input", fx->sym, &err), "create_alias");
    struct keystead_bytes *b = NULL, *b2 = NULL;
    struct keystead_create_grant_request *greq = fx_create_grant_request(fx);
    MUST(keystead_store_create_grant(fx->store, greq, NULL, &b, &b2, &err), "create_grant");
    fx->grant_id = take_string(b2);
    keystead_bytes_free(b);
    MUST(keystead_store_encrypt(fx->store, fx->sym, (const uint8_t *)"hello", 5, NULL, NULL, &b, &err), "encrypt");
    fx->blob = take_bytes(b, &fx->blob_len);
    MUST(keystead_store_generate_mac(fx->store, fx->hmac, (const uint8_t *)"m", 1, "HMAC_SHA_256", &b, &err), "mac");
    fx->mac = take_bytes(b, &fx->mac_len);
    MUST(keystead_store_sign(fx->store, fx->sign, (const uint8_t *)"m", 1, NULL, "ECDSA_SHA_256", &b, &err), "sign");
    fx->signature = take_bytes(b, &fx->signature_len);
    MUST(keystead_store_get_public_key(fx->store, fx->agree, &b, &b2, &err), "get_public_key");
    fx->public_key = take_bytes(b, &fx->public_key_len);
    keystead_bytes_free(b2);
    MUST(keystead_store_create_access_key(fx->store, "arn:aws:iam::111122223333:user/u", &b, &b2, &err), "access key");
    fx->access_key_id = take_string(b);
    keystead_bytes_free(b2);
    MUST(keystead_secret_encrypt(fx->store, fx->sym, "BAD_INPUT_NAME", (const uint8_t *)"v", 1, NULL, &b, &err), "secret");
    fx->secret_text = take_string(b);

    int problems = 0, total = 0, typed_total = 0, accepted_total = 0, findings_total = 0, functions = 0;
    for (size_t f = 0; FUNCTIONS[f]; f++) {
        functions++;
        int cases = 0, typed_n = 0, accepted = 0;
        char findings[8192] = "";
        for (size_t c = 0; CASES[c].function; c++) {
            if (strcmp(CASES[c].function, FUNCTIONS[f]) != 0) continue;
            char key[256];
            snprintf(key, sizeof key, "%s/%s/%s", CASES[c].function, CASES[c].param, CASES[c].kase);
            char *before = snapshot(fx);
            fx->inconsistent = false;
            keystead_result r = CASES[c].run(fx);
            cases++;
            const char *verdict = NULL;
            if (r == KEYSTEAD_RESULT_OK) {
                repair(fx);
                if (listed(ACCEPTED, key)) accepted++;
                else verdict = "accepted";
            } else if (!typed(r)) {
                verdict = keystead_result_name(r) ? keystead_result_name(r) : "unknown result";
            } else if (fx->inconsistent) {
                verdict = "error object does not match the result";
            } else {
                char *after = snapshot(fx);
                if (strcmp(before, after) != 0) verdict = "failed but changed the store";
                else typed_n++;
                free(after);
            }
            free(before);
            if (verdict) {
                if (listed(KNOWN_FINDINGS, key)) {
                    size_t used = strlen(findings);
                    snprintf(findings + used, sizeof findings - used, "%s\"%s=%s: %s\"", used ? ", " : "",
                             CASES[c].param, CASES[c].kase, verdict);
                    findings_total++;
                } else {
                    printf("PROBLEM %s: %s\n", key, verdict);
                    problems++;
                }
            }
        }
        total += cases;
        typed_total += typed_n;
        accepted_total += accepted;
        if (out) {
            fprintf(out,
                    "{\"binding\": \"c\", \"function\": \"%s\", \"cases\": %d, \"typed_errors\": %d, \"accepted\": %d, "
                    "\"findings\": [%s], \"problems\": []}\n",
                    FUNCTIONS[f], cases, typed_n, accepted, findings);
        }
    }
    if (out) fclose(out);
    keystead_store_free(fx->store);
    printf("bad-input/c: %d functions, %d cases: %d typed errors, %d valid under AWS's rules and accepted, "
           "%d known findings, %d new problems\n",
           functions, total, typed_total, accepted_total, findings_total, problems);
    free(scratch);
    return problems ? 1 : 0;
}
