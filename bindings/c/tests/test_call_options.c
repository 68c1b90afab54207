/* Keystead C ABI: GrantTokens and DryRun (keystead_call_options) on every cryptographic
 * operation that takes them in AWS KMS. Each operation is run, through the public header only:
 * as a grantee before any grant (denied), with a malformed grant token, as a dry run, with its
 * grant token, and through the plain function (which is the _with_options one with NULL). */
#include <stdint.h>
#include <string.h>

#include "harness.h"

#define ADMIN "arn:aws:iam::111122223333:user/admin"
#define WORKER "arn:aws:iam::111122223333:role/worker"

/* Only ADMIN may use the keys: everyone else needs a grant. */
static const char *ADMIN_ONLY =
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Admin\", \"Effect\": \"Allow\", "
    "\"Principal\": {\"AWS\": \"" ADMIN "\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]}";

static const uint8_t MSG[] = "invoice 2026-0042";
#define MSG_LEN (sizeof MSG - 1)

enum op {
    OP_ENCRYPT,
    OP_DECRYPT,
    OP_RE_ENCRYPT,
    OP_GENERATE_DATA_KEY,
    OP_GENERATE_DATA_KEY_WITHOUT_PLAINTEXT,
    OP_GENERATE_DATA_KEY_PAIR,
    OP_GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT,
    OP_SIGN,
    OP_VERIFY,
    OP_GENERATE_MAC,
    OP_VERIFY_MAC,
    OP_DERIVE_SHARED_SECRET,
    OP_COUNT
};

static const char *OP_NAMES[OP_COUNT] = {
    "Encrypt",     "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret"};

/* What every operation needs: four keys made by ADMIN, and a ciphertext, signature, MAC and
 * peer public key made with them. */
static struct {
    keystead_store *root, *admin, *worker;
    keystead_bytes *sym, *sig, *mac, *agree;
    keystead_bytes *ciphertext, *signature, *tag, *peer;
} f;

/* The outputs of one call (at most three); all NULL unless it succeeded. */
typedef struct {
    keystead_bytes *a, *b, *c;
} outs;

static void outs_free(outs *o) {
    keystead_bytes_free(o->a);
    keystead_bytes_free(o->b);
    keystead_bytes_free(o->c);
    o->a = o->b = o->c = NULL;
}

static int outs_any(const outs *o) { return o->a != NULL || o->b != NULL || o->c != NULL; }

/* Runs `op` as `s`: the plain function when `plain`, else the _with_options one with `opts`. */
static keystead_result call_op(enum op op, const keystead_store *s, int plain, const keystead_call_options *opts,
                               outs *o, keystead_error **err) {
    const uint8_t *ct = keystead_bytes_data(f.ciphertext);
    size_t ct_len = keystead_bytes_len(f.ciphertext);
    const char *sym = bytes_str(f.sym), *sig = bytes_str(f.sig), *mac = bytes_str(f.mac);
    switch (op) {
    case OP_ENCRYPT:
        return plain ? keystead_store_encrypt(s, sym, MSG, MSG_LEN, NULL, NULL, &o->a, err)
                     : keystead_store_encrypt_with_options(s, sym, MSG, MSG_LEN, NULL, NULL, opts, &o->a, err);
    case OP_DECRYPT:
        return plain ? keystead_store_decrypt(s, ct, ct_len, NULL, NULL, NULL, &o->a, &o->b, err)
                     : keystead_store_decrypt_with_options(s, ct, ct_len, NULL, NULL, NULL, opts, &o->a, &o->b, err);
    case OP_RE_ENCRYPT:
        return plain ? keystead_store_re_encrypt(s, ct, ct_len, NULL, NULL, sym, NULL, NULL, NULL, &o->a, err)
                     : keystead_store_re_encrypt_with_options(s, ct, ct_len, NULL, NULL, sym, NULL, NULL, NULL, opts,
                                                              &o->a, err);
    case OP_GENERATE_DATA_KEY:
        return plain ? keystead_store_generate_data_key(s, sym, NULL, "AES_256", 0, &o->a, &o->b, err)
                     : keystead_store_generate_data_key_with_options(s, sym, NULL, "AES_256", 0, opts, &o->a, &o->b,
                                                                     err);
    case OP_GENERATE_DATA_KEY_WITHOUT_PLAINTEXT:
        return plain ? keystead_store_generate_data_key_without_plaintext(s, sym, NULL, NULL, 16, &o->a, err)
                     : keystead_store_generate_data_key_without_plaintext_with_options(s, sym, NULL, NULL, 16, opts,
                                                                                       &o->a, err);
    case OP_GENERATE_DATA_KEY_PAIR:
        return plain ? keystead_store_generate_data_key_pair(s, sym, NULL, "ECC_NIST_P256", &o->a, &o->b, &o->c, err)
                     : keystead_store_generate_data_key_pair_with_options(s, sym, NULL, "ECC_NIST_P256", opts, &o->a,
                                                                          &o->b, &o->c, err);
    case OP_GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT:
        return plain ? keystead_store_generate_data_key_pair_without_plaintext(s, sym, NULL, "ECC_NIST_P256", &o->a,
                                                                               &o->b, err)
                     : keystead_store_generate_data_key_pair_without_plaintext_with_options(
                           s, sym, NULL, "ECC_NIST_P256", opts, &o->a, &o->b, err);
    case OP_SIGN:
        return plain ? keystead_store_sign(s, sig, MSG, MSG_LEN, NULL, "ECDSA_SHA_256", &o->a, err)
                     : keystead_store_sign_with_options(s, sig, MSG, MSG_LEN, NULL, "ECDSA_SHA_256", opts, &o->a, err);
    case OP_VERIFY:
        return plain ? keystead_store_verify(s, sig, MSG, MSG_LEN, NULL, keystead_bytes_data(f.signature),
                                             keystead_bytes_len(f.signature), "ECDSA_SHA_256", err)
                     : keystead_store_verify_with_options(s, sig, MSG, MSG_LEN, NULL, keystead_bytes_data(f.signature),
                                                          keystead_bytes_len(f.signature), "ECDSA_SHA_256", opts, err);
    case OP_GENERATE_MAC:
        return plain ? keystead_store_generate_mac(s, mac, MSG, MSG_LEN, "HMAC_SHA_256", &o->a, err)
                     : keystead_store_generate_mac_with_options(s, mac, MSG, MSG_LEN, "HMAC_SHA_256", opts, &o->a, err);
    case OP_VERIFY_MAC:
        return plain ? keystead_store_verify_mac(s, mac, MSG, MSG_LEN, keystead_bytes_data(f.tag),
                                                 keystead_bytes_len(f.tag), "HMAC_SHA_256", err)
                     : keystead_store_verify_mac_with_options(s, mac, MSG, MSG_LEN, keystead_bytes_data(f.tag),
                                                              keystead_bytes_len(f.tag), "HMAC_SHA_256", opts, err);
    case OP_DERIVE_SHARED_SECRET:
        return plain ? keystead_store_derive_shared_secret(s, bytes_str(f.agree), "ECDH", keystead_bytes_data(f.peer),
                                                           keystead_bytes_len(f.peer), &o->a, err)
                     : keystead_store_derive_shared_secret_with_options(s, bytes_str(f.agree), "ECDH",
                                                                        keystead_bytes_data(f.peer),
                                                                        keystead_bytes_len(f.peer), opts, &o->a, err);
    case OP_COUNT:
        break;
    }
    return KEYSTEAD_RESULT_INVALID_ARGUMENT;
}

/* Expects `op` to give `expected` (and its exception name); frees what it handed out. Returns
 * whether it handed out anything. */
static int expect(enum op op, const keystead_store *s, int plain, const keystead_call_options *opts,
                  keystead_result expected, const char *name) {
    outs o = {NULL, NULL, NULL};
    keystead_error *e = NULL;
    keystead_result rc = call_op(op, s, plain, opts, &o, &e);
    if (rc != expected || (name != NULL && strcmp(keystead_error_name(e), name) != 0)) {
        fprintf(stderr, "  %s (%s): got %u %s (%s), expected %u %s\n", OP_NAMES[op], plain ? "plain" : "with options",
                (unsigned)rc, keystead_error_name(e), keystead_error_message(e), (unsigned)expected, name ? name : "");
        harness_current_failed = 1;
    }
    keystead_error_free(e);
    int any = outs_any(&o);
    if (rc == KEYSTEAD_RESULT_OK) {
        outs_free(&o);
    }
    return any;
}

static keystead_bytes *create_key(const char *spec, const char *usage) {
    keystead_create_key_request *req = NULL;
    keystead_bytes *id = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_key_spec(req, spec, ERR));
    CHECK_OK(keystead_create_key_request_set_key_usage(req, usage, ERR));
    CHECK_OK(keystead_create_key_request_set_policy(req, ADMIN_ONLY, ERR));
    CHECK_OK(keystead_store_create_key(f.admin, req, &id, NULL, ERR));
    keystead_create_key_request_free(req);
    return id;
}

static void setup(void) {
    CHECK_OK(keystead_store_open_in_memory(NULL, &f.root, ERR));
    CHECK_OK(keystead_store_as_principal(f.root, ADMIN, &f.admin, ERR));
    CHECK_OK(keystead_store_as_principal(f.root, WORKER, &f.worker, ERR));
    f.sym = create_key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
    f.sig = create_key("ECC_NIST_P256", "SIGN_VERIFY");
    f.mac = create_key("HMAC_256", "GENERATE_VERIFY_MAC");
    f.agree = create_key("ECC_NIST_P256", "KEY_AGREEMENT");
    CHECK_OK(keystead_store_encrypt(f.admin, bytes_str(f.sym), MSG, MSG_LEN, NULL, NULL, &f.ciphertext, ERR));
    CHECK_OK(keystead_store_sign(f.admin, bytes_str(f.sig), MSG, MSG_LEN, NULL, "ECDSA_SHA_256", &f.signature, ERR));
    CHECK_OK(keystead_store_generate_mac(f.admin, bytes_str(f.mac), MSG, MSG_LEN, "HMAC_SHA_256", &f.tag, ERR));
    /* ECDH with the key's own public key is a valid agreement; it is all the test needs. */
    CHECK_OK(keystead_store_get_public_key(f.admin, bytes_str(f.agree), &f.peer, NULL, ERR));
}

static void teardown(void) {
    keystead_bytes *all[] = {f.sym, f.sig, f.mac, f.agree, f.ciphertext, f.signature, f.tag, f.peer};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) keystead_bytes_free(all[i]);
    keystead_store_free(f.worker);
    keystead_store_free(f.admin);
    keystead_store_free(f.root);
    memset(&f, 0, sizeof f);
}

/* Grants WORKER `ops` on `key`; adds the grant token to `tokens`. */
static void grant(const keystead_bytes *key, const char *const *ops, size_t n, keystead_call_options *tokens) {
    keystead_create_grant_request *req = NULL;
    keystead_bytes *id = NULL, *token = NULL;
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), WORKER, &req, ERR));
    for (size_t i = 0; i < n; i++) CHECK_OK(keystead_create_grant_request_add_operation(req, ops[i], ERR));
    CHECK_OK(keystead_store_create_grant(f.admin, req, NULL, &id, &token, ERR));
    CHECK_OK(keystead_call_options_add_grant_token(tokens, bytes_str(token), ERR));
    keystead_create_grant_request_free(req);
    keystead_bytes_free(id);
    keystead_bytes_free(token);
}

static void grant_everything(keystead_call_options *tokens) {
    static const char *const sym_ops[] = {"Encrypt",
                                          "Decrypt",
                                          "ReEncryptFrom",
                                          "ReEncryptTo",
                                          "GenerateDataKey",
                                          "GenerateDataKeyWithoutPlaintext",
                                          "GenerateDataKeyPair",
                                          "GenerateDataKeyPairWithoutPlaintext"};
    static const char *const sig_ops[] = {"Sign", "Verify"};
    static const char *const mac_ops[] = {"GenerateMac", "VerifyMac"};
    static const char *const agree_ops[] = {"DeriveSharedSecret"};
    grant(f.sym, sym_ops, sizeof sym_ops / sizeof sym_ops[0], tokens);
    grant(f.sig, sig_ops, 2, tokens);
    grant(f.mac, mac_ops, 2, tokens);
    grant(f.agree, agree_ops, 1, tokens);
}

static void test_grant_tokens_let_a_grantee_call_every_operation(void) {
    setup();
    keystead_call_options *tokens = NULL;
    CHECK_OK(keystead_call_options_new(&tokens, ERR));
    /* The admin may do everything; the worker nothing, with or without options. */
    for (int op = 0; op < OP_COUNT; op++) {
        CHECK(!expect((enum op)op, f.worker, 1, NULL, KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException"));
        CHECK(!expect((enum op)op, f.worker, 0, tokens, KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException"));
        expect((enum op)op, f.admin, 0, NULL, KEYSTEAD_RESULT_OK, NULL);
    }
    grant_everything(tokens);
    for (int op = 0; op < OP_COUNT; op++) {
        int any = expect((enum op)op, f.worker, 0, tokens, KEYSTEAD_RESULT_OK, NULL);
        /* Verify and VerifyMac hand out nothing; the others their results. */
        CHECK(any == (op != OP_VERIFY && op != OP_VERIFY_MAC));
    }
    keystead_call_options_free(tokens);
    teardown();
}

static void test_malformed_grant_tokens_are_refused_by_every_operation(void) {
    setup();
    keystead_call_options *tokens = NULL, *bad = NULL, *many = NULL;
    CHECK_OK(keystead_call_options_new(&tokens, ERR));
    grant_everything(tokens);
    CHECK_OK(keystead_call_options_new(&bad, ERR));
    CHECK_OK(keystead_call_options_add_grant_token(bad, "not-a-grant-token", ERR));
    CHECK_OK(keystead_call_options_new(&many, ERR));
    for (int i = 0; i < 11; i++) CHECK_OK(keystead_call_options_add_grant_token(many, "x", ERR));
    for (int op = 0; op < OP_COUNT; op++) {
        CHECK(!expect((enum op)op, f.worker, 0, bad, KEYSTEAD_RESULT_INVALID_GRANT_TOKEN, "InvalidGrantTokenException"));
        CHECK(!expect((enum op)op, f.worker, 0, many, KEYSTEAD_RESULT_VALIDATION, "ValidationException"));
    }
    keystead_call_options_free(many);
    keystead_call_options_free(bad);
    keystead_call_options_free(tokens);
    teardown();
}

/* A dry run reports DryRunOperationException where the call would succeed, the real error where
 * it would not, and hands out nothing. */
static void test_dry_run_of_every_operation(void) {
    setup();
    keystead_call_options *dry = NULL;
    CHECK_OK(keystead_call_options_new(&dry, ERR));
    CHECK_OK(keystead_call_options_set_dry_run(dry, true, ERR));
    for (int op = 0; op < OP_COUNT; op++) {
        CHECK(!expect((enum op)op, f.admin, 0, dry, KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException"));
        CHECK(!expect((enum op)op, f.worker, 0, dry, KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException"));
    }
    /* The outputs are left NULL (not merely unwritten garbage). */
    outs o = {(keystead_bytes *)1, (keystead_bytes *)1, (keystead_bytes *)1};
    CHECK_RC(KEYSTEAD_RESULT_DRY_RUN_OPERATION, call_op(OP_GENERATE_DATA_KEY_PAIR, f.admin, 0, dry, &o, ERR));
    CHECK(o.a == NULL && o.b == NULL && o.c == NULL);
    /* A dry run with grant tokens: the grantee's would-be success is a DryRunOperation too. */
    keystead_call_options *tokens = NULL;
    CHECK_OK(keystead_call_options_new(&tokens, ERR));
    grant_everything(tokens);
    CHECK_OK(keystead_call_options_set_dry_run(tokens, true, ERR));
    for (int op = 0; op < OP_COUNT; op++) {
        CHECK(!expect((enum op)op, f.worker, 0, tokens, KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException"));
    }
    /* Without the flag the same options make the real calls. */
    CHECK_OK(keystead_call_options_set_dry_run(tokens, false, ERR));
    for (int op = 0; op < OP_COUNT; op++) expect((enum op)op, f.worker, 0, tokens, KEYSTEAD_RESULT_OK, NULL);
    keystead_call_options_free(tokens);
    keystead_call_options_free(dry);
    teardown();
}

/* The plain functions are the _with_options ones with NULL: same successes, same errors. */
static void test_plain_functions_equal_null_options(void) {
    setup();
    for (int op = 0; op < OP_COUNT; op++) {
        int plain = expect((enum op)op, f.admin, 1, NULL, KEYSTEAD_RESULT_OK, NULL);
        int null_options = expect((enum op)op, f.admin, 0, NULL, KEYSTEAD_RESULT_OK, NULL);
        CHECK(plain == null_options);
        expect((enum op)op, f.worker, 1, NULL, KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException");
    }
    /* An unknown algorithm: VALIDATION from both forms. */
    keystead_bytes *out = NULL;
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION,
             keystead_store_sign(f.admin, bytes_str(f.sig), MSG, MSG_LEN, NULL, "ECDSA_SHA_1", &out, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_sign_with_options(f.admin, bytes_str(f.sig), MSG, MSG_LEN, NULL,
                                                                          "ECDSA_SHA_1", NULL, &out, ERR));
    CHECK(out == NULL);
    /* A wrong signature: INVALID_SIGNATURE from both forms. */
    uint8_t wrong[64] = {0};
    CHECK_RC(KEYSTEAD_RESULT_INVALID_SIGNATURE, keystead_store_verify(f.admin, bytes_str(f.sig), MSG, MSG_LEN, NULL,
                                                                      wrong, sizeof wrong, "ECDSA_SHA_256", ERR));
    CHECK_RC(KEYSTEAD_RESULT_INVALID_SIGNATURE,
             keystead_store_verify_with_options(f.admin, bytes_str(f.sig), MSG, MSG_LEN, NULL, wrong, sizeof wrong,
                                                "ECDSA_SHA_256", NULL, ERR));
    teardown();
}

int main(void) {
    RUN(test_grant_tokens_let_a_grantee_call_every_operation);
    RUN(test_malformed_grant_tokens_are_refused_by_every_operation);
    RUN(test_dry_run_of_every_operation);
    RUN(test_plain_functions_equal_null_options);
    return SUMMARY("test_call_options");
}
