/* Keystead C ABI, access control (issue 8): principals, key policies, grants, DryRun,
 * GrantTokens, explain, metrics, and the audit log of a store opened from a folder.
 * Every outcome is checked through the public header only. */
#define _DEFAULT_SOURCE /* mkdtemp, opendir */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define ACCOUNT_ROOT "arn:aws:iam::111122223333:root"
#define ADMIN "arn:aws:iam::111122223333:user/admin"
#define CHECKOUT "arn:aws:iam::111122223333:role/checkout"
#define ANALYTICS "arn:aws:iam::111122223333:role/analytics"
#define OUTSIDER "arn:aws:iam::444455556666:role/intruder"

/* ADMIN administers the key; CHECKOUT may Encrypt/Decrypt only with purpose=orders. */
static const char *POLICY =
    "{\"Version\": \"2012-10-17\", \"Statement\": ["
    "{\"Sid\": \"Admin\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" ADMIN "\"}, "
    "\"Action\": \"kms:*\", \"Resource\": \"*\"},"
    "{\"Sid\": \"CheckoutUse\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" CHECKOUT "\"}, "
    "\"Action\": [\"kms:Encrypt\", \"kms:Decrypt\"], \"Resource\": \"*\", "
    "\"Condition\": {\"StringEquals\": {\"kms:EncryptionContext:purpose\": \"orders\"}}}]}";

/* A policy that lets only CHECKOUT encrypt: whoever puts it can never change it again. */
static const char *LOCKING_POLICY =
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" CHECKOUT
    "\"}, \"Action\": \"kms:Encrypt\", \"Resource\": \"*\"}]}";

static const uint8_t MSG[] = "card 4111";
#define MSG_LEN (sizeof MSG - 1)

static keystead_store *open_memory(void) {
    keystead_store *s = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &s, ERR));
    return s;
}

static keystead_store *narrow(const keystead_store *s, const char *arn) {
    keystead_store *p = NULL;
    CHECK_OK(keystead_store_as_principal(s, arn, &p, ERR));
    CHECK(p != NULL);
    return p;
}

static keystead_context *context1(const char *k, const char *v) {
    keystead_context *c = NULL;
    CHECK_OK(keystead_context_new(&c, ERR));
    CHECK_OK(keystead_context_add(c, k, v, ERR));
    return c;
}

/* Runs `call`, expects code `expected` and the AWS exception name `name`. */
#define CHECK_KIND(expected, name, call)                                                              \
    do {                                                                                              \
        keystead_error *e_ = NULL;                                                                    \
        keystead_error **EOUT = &e_;                                                                  \
        keystead_result rc_ = (call);                                                                 \
        (void)EOUT;                                                                                   \
        if (rc_ != (expected) || strcmp(keystead_error_name(e_), (name)) != 0) {                      \
            fprintf(stderr, "  CHECK_KIND failed at %s:%d: %s gave %u %s: %s\n", __FILE__, __LINE__, \
                    #call, (unsigned)rc_, keystead_error_name(e_), keystead_error_message(e_));       \
            harness_current_failed = 1;                                                               \
        }                                                                                             \
        keystead_error_free(e_);                                                                      \
    } while (0)

/* A key created by ADMIN with POLICY; returns its id. */
static keystead_bytes *policy_key(const keystead_store *admin) {
    keystead_create_key_request *req = NULL;
    keystead_bytes *key = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_policy(req, POLICY, ERR));
    CHECK_OK(keystead_store_create_key(admin, req, &key, NULL, ERR));
    keystead_create_key_request_free(req);
    return key;
}

static void test_narrowing_to_a_principal(void) {
    keystead_store *s = open_memory();
    keystead_bytes *arn = NULL;
    CHECK_OK(keystead_store_principal_arn(s, &arn, ERR));
    CHECK(bytes_eq_str(arn, ACCOUNT_ROOT));
    keystead_bytes_free(arn);

    keystead_store *role = narrow(s, CHECKOUT);
    CHECK_OK(keystead_store_principal_arn(role, &arn, ERR));
    CHECK(bytes_eq_str(arn, CHECKOUT));
    keystead_bytes_free(arn);

    keystead_store *keyed = NULL;
    CHECK_OK(keystead_store_as_principal_with_access_key(s, ANALYTICS, "AKIAEXAMPLE000000001", &keyed, ERR));
    CHECK_OK(keystead_store_principal_arn(keyed, &arn, ERR));
    CHECK(bytes_eq_str(arn, ANALYTICS));
    keystead_bytes_free(arn);

    /* Bad ARNs: INVALID_ARN, nothing returned. */
    const char *bad[] = {"", "alice", "arn:aws:iam::1234:root", "arn:aws:s3:::bucket", "arn:aws:sts::111122223333:root"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        keystead_store *p = (keystead_store *)1;
        CHECK_KIND(KEYSTEAD_RESULT_INVALID_ARN, "InvalidArnException", keystead_store_as_principal(s, bad[i], &p, EOUT));
        CHECK(p == NULL);
    }

    /* The narrowed handle outlives the one it came from: they share the store. */
    keystead_bytes *key = NULL, *ct = NULL, *pt = NULL;
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));
    keystead_store_free(s);
    CHECK_OK(keystead_store_encrypt(role, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    CHECK_OK(keystead_store_decrypt(keyed, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL, &pt,
                                    NULL, ERR));
    CHECK(keystead_bytes_len(pt) == MSG_LEN && memcmp(keystead_bytes_data(pt), MSG, MSG_LEN) == 0);
    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    keystead_bytes_free(key);
    keystead_store_free(keyed);
    keystead_store_free(role);
}

static void test_access_denied_for_another_account(void) {
    keystead_store *s = open_memory();
    keystead_store *outsider = narrow(s, OUTSIDER);
    keystead_bytes *key = NULL, *ct = NULL, *json = NULL;
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));
    /* The default key policy lets the account in, and nobody else. */
    ct = (keystead_bytes *)1;
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(outsider, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, EOUT));
    CHECK(ct == NULL);
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_describe_key(outsider, bytes_str(key), &json, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_disable_key(outsider, bytes_str(key), EOUT));
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_ACCESS_DENIED), "AccessDeniedException") == 0);
    CHECK(!keystead_result_is_retryable(KEYSTEAD_RESULT_ACCESS_DENIED));
    /* The denied disable changed nothing. */
    CHECK_OK(keystead_store_describe_key(s, bytes_str(key), &json, ERR));
    CHECK(strstr(bytes_str(json), "\"Enabled\":true") != NULL);
    keystead_bytes_free(json);
    keystead_bytes_free(key);
    keystead_store_free(outsider);
    keystead_store_free(s);
}

static void test_policy_restricts_a_role_by_encryption_context(void) {
    keystead_store *s = open_memory();
    keystead_store *admin = narrow(s, ADMIN);
    keystead_store *checkout = narrow(s, CHECKOUT);
    keystead_store *analytics = narrow(s, ANALYTICS);
    keystead_store *session = narrow(s, "arn:aws:sts::111122223333:assumed-role/checkout/pod-7");
    keystead_bytes *key = policy_key(admin);
    keystead_context *orders = context1("purpose", "orders");
    keystead_context *refunds = context1("purpose", "refunds");
    keystead_bytes *ct = NULL, *pt = NULL, *json = NULL;

    CHECK_OK(keystead_store_encrypt(checkout, bytes_str(key), MSG, MSG_LEN, orders, NULL, &ct, ERR));
    CHECK_OK(keystead_store_decrypt(checkout, keystead_bytes_data(ct), keystead_bytes_len(ct), orders, NULL, NULL, &pt,
                                    NULL, ERR));
    CHECK(keystead_bytes_len(pt) == MSG_LEN && memcmp(keystead_bytes_data(pt), MSG, MSG_LEN) == 0);
    keystead_bytes_free(pt);
    pt = NULL;
    /* An assumed-role session of checkout counts as checkout. */
    CHECK_OK(keystead_store_decrypt(session, keystead_bytes_data(ct), keystead_bytes_len(ct), orders, NULL, NULL, &pt,
                                    NULL, ERR));
    keystead_bytes_free(pt);
    pt = NULL;

    keystead_bytes *other = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(checkout, bytes_str(key), MSG, MSG_LEN, refunds, NULL, &other, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(checkout, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &other, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_describe_key(checkout, bytes_str(key), &json, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_decrypt(analytics, keystead_bytes_data(ct), keystead_bytes_len(ct), orders, NULL, NULL,
                                      &pt, NULL, EOUT));
    CHECK(other == NULL && pt == NULL && json == NULL);

    /* GetKeyPolicy returns the policy as given, in AWS's shape; ListKeyPolicies names it. */
    CHECK_OK(keystead_store_get_key_policy(admin, bytes_str(key), NULL, &json, ERR));
    CHECK(strncmp(bytes_str(json), "{\"Policy\":\"", 11) == 0);
    CHECK(strstr(bytes_str(json), "CheckoutUse") != NULL);
    CHECK(strstr(bytes_str(json), "\"PolicyName\":\"default\"") != NULL);
    keystead_bytes_free(json);
    CHECK_OK(keystead_store_list_key_policies(admin, bytes_str(key), &json, ERR));
    CHECK(bytes_eq_str(json, "{\"PolicyNames\":[\"default\"],\"Truncated\":false}"));
    keystead_bytes_free(json);
    json = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_get_key_policy(checkout, bytes_str(key), NULL, &json, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_get_key_policy(admin, bytes_str(key), "other", &json, EOUT));

    /* PutKeyPolicy takes effect on the next call: now checkout may also use refunds. */
    CHECK_OK(keystead_store_put_key_policy(admin, bytes_str(key), "{\"Version\": \"2012-10-17\", \"Statement\": ["
                                                                  "{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" ADMIN
                                                                  "\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"},"
                                                                  "{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" CHECKOUT
                                                                  "\"}, \"Action\": \"kms:Encrypt\", \"Resource\": \"*\"}]}",
                                           NULL, false, ERR));
    CHECK_OK(keystead_store_encrypt(checkout, bytes_str(key), MSG, MSG_LEN, refunds, NULL, &other, ERR));
    keystead_bytes_free(other);

    keystead_context_free(refunds);
    keystead_context_free(orders);
    keystead_bytes_free(ct);
    keystead_bytes_free(key);
    keystead_store_free(session);
    keystead_store_free(analytics);
    keystead_store_free(checkout);
    keystead_store_free(admin);
    keystead_store_free(s);
}

static void test_lockout_check_and_malformed_policies(void) {
    keystead_store *s = open_memory();
    keystead_store *admin = narrow(s, ADMIN);
    keystead_store *checkout = narrow(s, CHECKOUT);
    keystead_bytes *key = NULL, *ct = NULL, *json = NULL;
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));

    CHECK_KIND(KEYSTEAD_RESULT_MALFORMED_POLICY_DOCUMENT, "MalformedPolicyDocumentException",
               keystead_store_put_key_policy(admin, bytes_str(key), LOCKING_POLICY, NULL, false, EOUT));
    const char *malformed[] = {
        "not json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Maybe\", \"Principal\": \"*\", \"Action\": "
        "\"kms:*\", \"Resource\": \"*\"}]}",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        CHECK_KIND(KEYSTEAD_RESULT_MALFORMED_POLICY_DOCUMENT, "MalformedPolicyDocumentException",
                   keystead_store_put_key_policy(admin, bytes_str(key), malformed[i], NULL, false, EOUT));
    }
    /* Nothing changed: the default policy still lets the admin in. */
    CHECK_OK(keystead_store_get_key_policy(s, bytes_str(key), NULL, &json, ERR));
    CHECK(strstr(bytes_str(json), "Enable IAM User Permissions") != NULL || strstr(bytes_str(json), ACCOUNT_ROOT) != NULL);
    CHECK(strstr(bytes_str(json), "role/checkout") == NULL);
    keystead_bytes_free(json);
    CHECK_OK(keystead_store_encrypt(admin, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);

    /* CreateKey applies the same check, and its bypass. */
    keystead_create_key_request *req = NULL;
    keystead_bytes *locked = NULL;
    CHECK_OK(keystead_create_key_request_new(&req, ERR));
    CHECK_OK(keystead_create_key_request_set_policy(req, LOCKING_POLICY, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_MALFORMED_POLICY_DOCUMENT, "MalformedPolicyDocumentException",
               keystead_store_create_key(admin, req, &locked, NULL, EOUT));
    CHECK(locked == NULL);
    CHECK_OK(keystead_create_key_request_set_bypass_policy_lockout_safety_check(req, true, ERR));
    CHECK_OK(keystead_store_create_key(admin, req, &locked, NULL, ERR));
    keystead_create_key_request_free(req);
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(admin, bytes_str(locked), MSG, MSG_LEN, NULL, NULL, &ct, EOUT));
    CHECK_OK(keystead_store_encrypt(checkout, bytes_str(locked), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);

    /* PutKeyPolicy with the bypass locks the admin out of the first key too. */
    CHECK_OK(keystead_store_put_key_policy(admin, bytes_str(key), LOCKING_POLICY, "default", true, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_put_key_policy(admin, bytes_str(key), POLICY, NULL, false, EOUT));

    keystead_bytes_free(locked);
    keystead_bytes_free(key);
    keystead_store_free(checkout);
    keystead_store_free(admin);
    keystead_store_free(s);
}

/* Counts how often `needle` occurs in `text`. */
static int occurrences(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) n++;
    return n;
}

static void test_grants_create_use_list_retire_revoke(void) {
    keystead_store *s = open_memory();
    keystead_store *admin = narrow(s, ADMIN);
    keystead_store *checkout = narrow(s, CHECKOUT);
    keystead_store *analytics = narrow(s, ANALYTICS);
    keystead_bytes *key = policy_key(admin), *arn_json = NULL;
    keystead_bytes *grant_id = NULL, *token = NULL, *ct = NULL, *pt = NULL, *json = NULL;
    keystead_context *region = context1("region", "eu");

    /* Analytics may do nothing until granted. */
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_generate_data_key(analytics, bytes_str(key), region, "AES_256", 0, &pt, &ct, EOUT));

    keystead_create_grant_request *greq = NULL;
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), ANALYTICS, &greq, ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "GenerateDataKey", ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "Decrypt", ERR));
    CHECK_OK(keystead_create_grant_request_set_retiring_principal(greq, CHECKOUT, ERR));
    CHECK_OK(keystead_create_grant_request_set_name(greq, "analytics-eu", ERR));
    CHECK_OK(keystead_create_grant_request_set_constraints(greq, region, NULL, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_create_grant_request_add_operation(greq, "ReEncrypt", EOUT));
    CHECK_OK(keystead_store_create_grant(admin, greq, NULL, &grant_id, &token, ERR));
    CHECK(keystead_bytes_len(grant_id) == 64);
    CHECK(keystead_bytes_len(token) > 0);

    /* The same name and properties: the same grant. */
    keystead_bytes *again = NULL;
    CHECK_OK(keystead_store_create_grant(admin, greq, NULL, &again, NULL, ERR));
    CHECK(bytes_eq_str(again, bytes_str(grant_id)));
    keystead_bytes_free(again);
    keystead_create_grant_request_free(greq);

    /* Used at once, with the grant token passed as AWS code does; only with the constraint. */
    keystead_call_options *opts = NULL;
    CHECK_OK(keystead_call_options_new(&opts, ERR));
    CHECK_OK(keystead_call_options_add_grant_token(opts, bytes_str(token), ERR));
    CHECK_OK(keystead_store_generate_data_key_with_options(analytics, bytes_str(key), region, "AES_256", 0, opts, &pt,
                                                           &ct, ERR));
    CHECK(keystead_bytes_len(pt) == 32);
    keystead_bytes *pt2 = NULL;
    CHECK_OK(keystead_store_decrypt_with_options(analytics, keystead_bytes_data(ct), keystead_bytes_len(ct), region, NULL,
                                                 NULL, opts, &pt2, NULL, ERR));
    CHECK(keystead_bytes_len(pt2) == 32 && memcmp(keystead_bytes_data(pt), keystead_bytes_data(pt2), 32) == 0);
    keystead_bytes_free(pt2);
    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    pt = ct = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_generate_data_key(analytics, bytes_str(key), NULL, "AES_256", 0, &pt, &ct, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(analytics, bytes_str(key), MSG, MSG_LEN, region, NULL, &ct, EOUT));
    keystead_call_options_free(opts);

    /* ListGrants in AWS's shape; ListRetirableGrants for the retiring principal. */
    CHECK_OK(keystead_store_list_grants(admin, bytes_str(key), NULL, NULL, 0, NULL, &json, ERR));
    CHECK(strncmp(bytes_str(json), "{\"Grants\":[{", 12) == 0);
    CHECK(occurrences(bytes_str(json), "\"GrantId\"") == 1);
    CHECK(strstr(bytes_str(json), bytes_str(grant_id)) != NULL);
    CHECK(strstr(bytes_str(json), "\"GranteePrincipal\":\"" ANALYTICS "\"") != NULL);
    CHECK(strstr(bytes_str(json), "\"RetiringPrincipal\":\"" CHECKOUT "\"") != NULL);
    CHECK(strstr(bytes_str(json), "\"Operations\":[\"Decrypt\",\"GenerateDataKey\"]") != NULL);
    CHECK(strstr(bytes_str(json), "\"Constraints\":{\"EncryptionContextSubset\":{\"region\":\"eu\"}}") != NULL);
    CHECK(strstr(bytes_str(json), "\"Name\":\"analytics-eu\"") != NULL);
    CHECK(strstr(bytes_str(json), "\"Truncated\":false") != NULL);
    CHECK(strstr(bytes_str(json), bytes_str(token)) == NULL); /* never returns tokens */
    keystead_bytes_free(json);
    CHECK_OK(keystead_store_list_grants(admin, bytes_str(key), NULL, CHECKOUT, 0, NULL, &json, ERR));
    CHECK(bytes_eq_str(json, "{\"Grants\":[],\"Truncated\":false}"));
    keystead_bytes_free(json);
    CHECK_OK(keystead_store_list_retirable_grants(checkout, CHECKOUT, 0, NULL, &json, ERR));
    CHECK(occurrences(bytes_str(json), "\"GrantId\"") == 1 && strstr(bytes_str(json), bytes_str(grant_id)) != NULL);
    keystead_bytes_free(json);
    json = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_INVALID_MARKER, "InvalidMarkerException",
               keystead_store_list_grants(admin, bytes_str(key), NULL, NULL, 0, "bogus", &json, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_list_grants(analytics, bytes_str(key), NULL, NULL, 0, NULL, &json, EOUT));

    /* RetireGrant: a principal of another account may not (neither retiring principal, nor
     * grantee, nor of the issuing account), checkout (retiring) may; a dry run changes
     * nothing; by token. */
    keystead_store *outsider = narrow(s, OUTSIDER);
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_retire_grant(outsider, bytes_str(token), NULL, NULL, false, EOUT));
    keystead_store_free(outsider);
    CHECK_KIND(KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException",
               keystead_store_retire_grant(checkout, bytes_str(token), NULL, NULL, true, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_retire_grant(checkout, NULL, bytes_str(key), NULL, false, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_INVALID_GRANT_TOKEN, "InvalidGrantTokenException",
               keystead_store_retire_grant(checkout, "not-a-token", NULL, NULL, false, EOUT));
    CHECK_OK(keystead_store_generate_data_key(analytics, bytes_str(key), region, "AES_256", 0, &pt, &ct, ERR));
    keystead_bytes_free(pt);
    keystead_bytes_free(ct);
    pt = ct = NULL;
    CHECK_OK(keystead_store_retire_grant(checkout, bytes_str(token), NULL, NULL, false, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_generate_data_key(analytics, bytes_str(key), region, "AES_256", 0, &pt, &ct, EOUT));
    CHECK_OK(keystead_store_list_grants(admin, bytes_str(key), NULL, NULL, 0, NULL, &json, ERR));
    CHECK(bytes_eq_str(json, "{\"Grants\":[],\"Truncated\":false}"));
    keystead_bytes_free(json);
    keystead_bytes_free(token);
    keystead_bytes_free(grant_id);
    grant_id = token = NULL;

    /* RevokeGrant: needs kms:RevokeGrant (the admin has it, checkout does not). */
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), ANALYTICS, &greq, ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "Encrypt", ERR));
    CHECK_OK(keystead_store_create_grant(admin, greq, NULL, &grant_id, NULL, ERR));
    keystead_create_grant_request_free(greq);
    CHECK_OK(keystead_store_encrypt(analytics, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);
    ct = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_revoke_grant(checkout, bytes_str(key), bytes_str(grant_id), false, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException",
               keystead_store_revoke_grant(admin, bytes_str(key), bytes_str(grant_id), true, EOUT));
    CHECK_OK(keystead_store_encrypt(analytics, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);
    ct = NULL;
    CHECK_OK(keystead_store_revoke_grant(admin, bytes_str(key), bytes_str(grant_id), false, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(analytics, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_revoke_grant(admin, bytes_str(key), bytes_str(grant_id), false, EOUT));
    keystead_bytes_free(grant_id);
    grant_id = NULL;

    /* Grant validation: no operation; an operation a symmetric key cannot grant; bad grantee;
     * a dry run of a valid grant creates nothing. */
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), ANALYTICS, &greq, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_create_grant(admin, greq, NULL, &grant_id, NULL, EOUT));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "Sign", ERR));
    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_create_grant(admin, greq, NULL, &grant_id, NULL, EOUT));
    keystead_create_grant_request_free(greq);
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), "bob", &greq, ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "Encrypt", ERR));
    CHECK_KIND(KEYSTEAD_RESULT_INVALID_ARN, "InvalidArnException",
               keystead_store_create_grant(admin, greq, NULL, &grant_id, NULL, EOUT));
    keystead_create_grant_request_free(greq);
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), ANALYTICS, &greq, ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "Encrypt", ERR));
    CHECK_OK(keystead_call_options_new(&opts, ERR));
    CHECK_OK(keystead_call_options_set_dry_run(opts, true, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException",
               keystead_store_create_grant(admin, greq, opts, &grant_id, NULL, EOUT));
    CHECK(grant_id == NULL);
    keystead_call_options_free(opts);
    keystead_create_grant_request_free(greq);
    CHECK_OK(keystead_store_list_grants(admin, bytes_str(key), NULL, NULL, 0, NULL, &json, ERR));
    CHECK(bytes_eq_str(json, "{\"Grants\":[],\"Truncated\":false}"));
    keystead_bytes_free(json);

    (void)arn_json;
    keystead_context_free(region);
    keystead_bytes_free(key);
    keystead_store_free(analytics);
    keystead_store_free(checkout);
    keystead_store_free(admin);
    keystead_store_free(s);
}

static void test_dry_run_and_grant_tokens(void) {
    keystead_store *s = open_memory();
    keystead_store *outsider = narrow(s, OUTSIDER);
    keystead_bytes *key = NULL, *ct = NULL, *pt = NULL, *dk = NULL, *ct2_early = NULL;
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));
    keystead_call_options *dry = NULL;
    CHECK_OK(keystead_call_options_new(&dry, ERR));
    CHECK_OK(keystead_call_options_set_dry_run(dry, true, ERR));

    /* A dry run that would succeed: DryRunOperationException and no output. */
    CHECK_KIND(KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException",
               keystead_store_encrypt_with_options(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, dry, &ct, EOUT));
    CHECK(ct == NULL);
    CHECK_KIND(KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException",
               keystead_store_generate_data_key_with_options(s, bytes_str(key), NULL, "AES_256", 0, dry, &pt, &dk, EOUT));
    CHECK(pt == NULL && dk == NULL);
    /* Without DryRun (NULL options, or options with dry run off) the call is made. */
    CHECK_OK(keystead_store_encrypt_with_options(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, NULL, &ct, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_DRY_RUN_OPERATION, "DryRunOperationException",
               keystead_store_decrypt_with_options(s, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL,
                                                   dry, &pt, NULL, EOUT));
    CHECK(pt == NULL);
    /* A dry run that would fail fails with the real error. */
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_decrypt_with_options(outsider, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL,
                                                   NULL, dry, &pt, NULL, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_encrypt_with_options(s, "alias/missing", MSG, MSG_LEN, NULL, NULL, dry, &ct2_early, EOUT));
    CHECK(ct2_early == NULL);
    CHECK_OK(keystead_call_options_set_dry_run(dry, false, ERR));
    keystead_bytes *key_arn = NULL;
    CHECK_OK(keystead_store_decrypt_with_options(s, keystead_bytes_data(ct), keystead_bytes_len(ct), NULL, NULL, NULL,
                                                 dry, &pt, &key_arn, ERR));
    CHECK(keystead_bytes_len(pt) == MSG_LEN && memcmp(keystead_bytes_data(pt), MSG, MSG_LEN) == 0);
    CHECK(strstr(bytes_str(key_arn), bytes_str(key)) != NULL);
    keystead_bytes_free(key_arn);
    keystead_bytes_free(pt);
    pt = NULL;

    /* Disabled key: a dry run reports DisabledException. */
    CHECK_OK(keystead_call_options_set_dry_run(dry, true, ERR));
    CHECK_OK(keystead_store_disable_key(s, bytes_str(key), ERR));
    keystead_bytes *ct2 = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_DISABLED, "DisabledException",
               keystead_store_encrypt_with_options(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, dry, &ct2, EOUT));
    CHECK_OK(keystead_store_enable_key(s, bytes_str(key), ERR));

    /* Grant tokens are checked for form: an empty one is a ValidationException from the setter
     * (AWS: 1 to 8192 characters), one CreateGrant did not make an InvalidGrantTokenException,
     * more than 10 a ValidationException. */
    keystead_call_options *tokens = NULL;
    CHECK_OK(keystead_call_options_new(&tokens, ERR));
    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException", keystead_call_options_add_grant_token(tokens, "", EOUT));
    CHECK_OK(keystead_call_options_add_grant_token(tokens, "not-a-token", ERR));
    CHECK_KIND(KEYSTEAD_RESULT_INVALID_GRANT_TOKEN, "InvalidGrantTokenException",
               keystead_store_encrypt_with_options(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, tokens, &ct2, EOUT));
    keystead_call_options_free(tokens);
    CHECK_OK(keystead_call_options_new(&tokens, ERR));
    for (int i = 0; i < 11; i++) CHECK_OK(keystead_call_options_add_grant_token(tokens, "token", ERR));
    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_encrypt_with_options(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, tokens, &ct2, EOUT));
    CHECK(ct2 == NULL);
    keystead_call_options_free(tokens);

    keystead_call_options_free(dry);
    keystead_bytes_free(ct);
    keystead_bytes_free(key);
    keystead_store_free(outsider);
    keystead_store_free(s);
}

static void test_explain(void) {
    keystead_store *s = open_memory();
    keystead_store *admin = narrow(s, ADMIN);
    keystead_store *checkout = narrow(s, CHECKOUT);
    keystead_bytes *key = policy_key(admin), *json = NULL;
    keystead_context *orders = context1("purpose", "orders");

    CHECK_OK(keystead_store_explain(checkout, bytes_str(key), "kms:Encrypt", orders, NULL, NULL, 0, &json, ERR));
    CHECK(bytes_eq_str(json, "{\"Allowed\":true,\"Decision\":\"Allow\",\"GrantIds\":[],"
                             "\"PolicyStatements\":[\"CheckoutUse\"]}"));
    keystead_bytes_free(json);
    CHECK_OK(keystead_store_explain(checkout, bytes_str(key), "kms:Encrypt", NULL, NULL, NULL, 0, &json, ERR));
    CHECK(strstr(bytes_str(json), "\"Decision\":\"ImplicitDeny\"") != NULL);
    CHECK(strstr(bytes_str(json), "\"Allowed\":false") != NULL);
    keystead_bytes_free(json);

    /* Extra condition keys: an explicit deny on a source IP. */
    const char *deny_policy =
        "{\"Version\": \"2012-10-17\", \"Statement\": ["
        "{\"Sid\": \"All\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" ADMIN "\"}, \"Action\": \"kms:*\", "
        "\"Resource\": \"*\"},"
        "{\"Sid\": \"NoOutside\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Decrypt\", "
        "\"Resource\": \"*\", \"Condition\": {\"NotIpAddress\": {\"aws:SourceIp\": \"10.0.0.0/8\"}}}]}";
    CHECK_OK(keystead_store_put_key_policy(admin, bytes_str(key), deny_policy, NULL, false, ERR));
    const char *keys[] = {"aws:SourceIp"};
    const char *outside[] = {"203.0.113.9"};
    const char *inside[] = {"10.1.2.3"};
    CHECK_OK(keystead_store_explain(admin, bytes_str(key), "kms:Decrypt", NULL, keys, outside, 1, &json, ERR));
    CHECK(bytes_eq_str(json, "{\"Allowed\":false,\"Decision\":\"ExplicitDeny\",\"GrantIds\":[],"
                             "\"PolicyStatements\":[\"NoOutside\"]}"));
    keystead_bytes_free(json);
    CHECK_OK(keystead_store_explain(admin, bytes_str(key), "kms:Decrypt", NULL, keys, inside, 1, &json, ERR));
    CHECK(strstr(bytes_str(json), "\"Decision\":\"Allow\"") != NULL);
    keystead_bytes_free(json);

    /* A grant shows up by id. */
    keystead_create_grant_request *greq = NULL;
    keystead_bytes *grant_id = NULL;
    CHECK_OK(keystead_create_grant_request_new(bytes_str(key), CHECKOUT, &greq, ERR));
    CHECK_OK(keystead_create_grant_request_add_operation(greq, "DescribeKey", ERR));
    CHECK_OK(keystead_store_create_grant(admin, greq, NULL, &grant_id, NULL, ERR));
    keystead_create_grant_request_free(greq);
    CHECK_OK(keystead_store_explain(checkout, bytes_str(key), "kms:DescribeKey", NULL, NULL, NULL, 0, &json, ERR));
    CHECK(strstr(bytes_str(json), "\"Allowed\":true") != NULL);
    CHECK(strstr(bytes_str(json), bytes_str(grant_id)) != NULL);
    keystead_bytes_free(json);
    json = NULL;

    CHECK_KIND(KEYSTEAD_RESULT_VALIDATION, "ValidationException",
               keystead_store_explain(checkout, bytes_str(key), "s3:GetObject", NULL, NULL, NULL, 0, &json, EOUT));
    CHECK_KIND(KEYSTEAD_RESULT_NOT_FOUND, "NotFoundException",
               keystead_store_explain(checkout, "00000000-0000-0000-0000-000000000000", "kms:Encrypt", NULL, NULL, NULL,
                                      0, &json, EOUT));
    CHECK(json == NULL);

    keystead_bytes_free(grant_id);
    keystead_context_free(orders);
    keystead_bytes_free(key);
    keystead_store_free(checkout);
    keystead_store_free(admin);
    keystead_store_free(s);
}

/* True when some series object of the metrics JSON (`{"count":...}`, keys sorted) contains
 * every one of the `n` fragments. */
static int has_series(const char *json, const char *const *fragments, size_t n) {
    for (const char *p = strstr(json, "{\"count\":"); p != NULL; p = strstr(p + 1, "{\"count\":")) {
        const char *end = strchr(p, '}');
        if (end == NULL) return 0;
        size_t len = (size_t)(end - p), hits = 0;
        for (size_t i = 0; i < n; i++) {
            const char *f = strstr(p, fragments[i]);
            if (f != NULL && (size_t)(f - p) < len) hits++;
        }
        if (hits == n) return 1;
    }
    return 0;
}

static void test_metrics_count_calls(void) {
    keystead_store *s = open_memory();
    keystead_store *outsider = narrow(s, OUTSIDER);
    keystead_bytes *key = NULL, *ct = NULL, *json = NULL, *text = NULL;
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(keystead_store_encrypt(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
        keystead_bytes_free(ct);
        ct = NULL;
    }
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(outsider, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, EOUT));
    /* Narrowed handles share the counters. */
    CHECK_OK(keystead_store_metrics_json(outsider, &json, ERR));
    const char *j = bytes_str(json);
    CHECK(strstr(j, "\"series\":[") != NULL && strstr(j, "\"last_usage\":[") != NULL);
    char want[256], key_field[128];
    snprintf(key_field, sizeof key_field, "\"key_id\":\"%s\"", bytes_str(key));
    const char *ok3[] = {"{\"count\":3,", key_field, "\"operation\":\"Encrypt\"", "\"outcome\":\"ok\"", "\"error_code\":\"\""};
    CHECK(has_series(j, ok3, 5));
    const char *denied1[] = {"{\"count\":1,", key_field, "\"operation\":\"Encrypt\"", "\"outcome\":\"denied\"",
                             "\"error_code\":\"AccessDeniedException\""};
    CHECK(has_series(j, denied1, 5));
    const char *wrong[] = {"{\"count\":4,", key_field, "\"operation\":\"Encrypt\"", "\"outcome\":\"ok\""};
    CHECK(!has_series(j, wrong, 4)); /* the helper can fail */
    CHECK(strstr(j, "\"last_usage\":[{") != NULL && strstr(j, "\"operation\":\"Encrypt\",\"timestamp_ms\"") != NULL);
    if (harness_current_failed) fprintf(stderr, "  metrics JSON: %s\n", j);
    keystead_bytes_free(json);

    CHECK_OK(keystead_store_metrics_prometheus(s, &text, ERR));
    const char *t = bytes_str(text);
    CHECK(strstr(t, "# TYPE ") != NULL);
    snprintf(want, sizeof want,
             "keystead_request_duration_seconds_count{operation=\"Encrypt\",key_id=\"%s\",outcome=\"ok\",error_code=\"\"} 3\n",
             bytes_str(key));
    CHECK(strstr(t, want) != NULL);
    snprintf(want, sizeof want,
             "{operation=\"Encrypt\",key_id=\"%s\",outcome=\"denied\",error_code=\"AccessDeniedException\"} 1\n",
             bytes_str(key));
    CHECK(strstr(t, want) != NULL);
    CHECK(strlen(t) == keystead_bytes_len(text));
    if (harness_current_failed) fprintf(stderr, "  prometheus text: %s\n", t);
    keystead_bytes_free(text);
    keystead_bytes_free(key);
    keystead_store_free(outsider);
    keystead_store_free(s);
}

/* Concatenates every *.jsonl file of `dir` (the audit segments) into one malloc'd string. */
static char *read_segments(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) return NULL;
    size_t cap = 1, len = 0;
    char *all = calloc(1, 1);
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        size_t n = strlen(entry->d_name);
        if (n < 6 || strcmp(entry->d_name + n - 6, ".jsonl") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL) continue;
        char buf[4096];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
            if (len + got + 1 > cap) {
                cap = (len + got + 1) * 2;
                all = realloc(all, cap);
            }
            memcpy(all + len, buf, got);
            len += got;
            all[len] = 0;
        }
        fclose(f);
    }
    closedir(d);
    return all;
}

static void remove_tree(const char *path) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    CHECK(system(cmd) == 0);
}

static void test_audit_events_for_a_store_opened_from_a_folder(void) {
    char dir[] = "/tmp/keystead-c-audit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char store_dir[512], audit_dir[600];
    snprintf(store_dir, sizeof store_dir, "%s/store", dir);
    snprintf(audit_dir, sizeof audit_dir, "%s/audit", store_dir);

    /* Default options: audited. */
    keystead_store *s = NULL;
    CHECK_OK(keystead_store_open(store_dir, NULL, &s, ERR));
    keystead_store *outsider = narrow(s, OUTSIDER);
    keystead_store *keyed = NULL;
    CHECK_OK(keystead_store_as_principal_with_access_key(s, ADMIN, "AKIAKEYSTEADTEST0001", &keyed, ERR));
    keystead_bytes *key = NULL, *ct = NULL;
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));
    CHECK_OK(keystead_store_encrypt(keyed, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);
    ct = NULL;
    CHECK_KIND(KEYSTEAD_RESULT_ACCESS_DENIED, "AccessDeniedException",
               keystead_store_encrypt(outsider, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, EOUT));
    keystead_store_free(keyed);
    keystead_store_free(outsider);
    keystead_store_free(s);

    char *log = read_segments(audit_dir);
    CHECK(log != NULL);
    if (log != NULL) {
        CHECK(strstr(log, "\"eventName\":\"CreateKey\"") != NULL);
        CHECK(occurrences(log, "\"eventName\":\"Encrypt\"") == 2);
        CHECK(strstr(log, "\"errorCode\":\"AccessDeniedException\"") != NULL);
        CHECK(strstr(log, OUTSIDER) != NULL);
        CHECK(strstr(log, "AKIAKEYSTEADTEST0001") != NULL);
        CHECK(strstr(log, bytes_str(key)) != NULL);
        CHECK(strstr(log, (const char *)MSG) == NULL); /* never the plaintext */
    }
    size_t before = log ? strlen(log) : 0;
    free(log);

    /* Audit off: the same store, more calls, nothing more in the log. */
    keystead_options *opts = NULL;
    CHECK_OK(keystead_options_new(&opts, ERR));
    CHECK_OK(keystead_options_set_audit(opts, false, ERR));
    CHECK_OK(keystead_store_open(store_dir, opts, &s, ERR));
    CHECK_OK(keystead_store_encrypt(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);
    ct = NULL;
    keystead_store_free(s);
    log = read_segments(audit_dir);
    CHECK(log != NULL && strlen(log) == before);
    free(log);

    /* Audit on again explicitly: one more Encrypt event. */
    CHECK_OK(keystead_options_set_audit(opts, true, ERR));
    CHECK_OK(keystead_store_open(store_dir, opts, &s, ERR));
    CHECK_OK(keystead_store_encrypt(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(ct);
    keystead_store_free(s);
    log = read_segments(audit_dir);
    CHECK(log != NULL && occurrences(log, "\"eventName\":\"Encrypt\"") == 3);
    free(log);

    keystead_options_free(opts);
    keystead_bytes_free(key);
    remove_tree(dir);
}

int main(void) {
    RUN(test_narrowing_to_a_principal);
    RUN(test_access_denied_for_another_account);
    RUN(test_policy_restricts_a_role_by_encryption_context);
    RUN(test_lockout_check_and_malformed_policies);
    RUN(test_grants_create_use_list_retire_revoke);
    RUN(test_dry_run_and_grant_tokens);
    RUN(test_explain);
    RUN(test_metrics_count_calls);
    RUN(test_audit_events_for_a_store_opened_from_a_folder);
    return SUMMARY("test_access");
}
