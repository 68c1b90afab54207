/* Keystead C ABI: reading and verifying the audit log (keystead_audit_verify,
 * keystead_store_audit_verify, keystead_audit_reader_*), including a log with one byte edited. */
#define _DEFAULT_SOURCE /* mkdtemp, opendir */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define OUTSIDER "arn:aws:iam::444455556666:role/intruder"

static const uint8_t MSG[] = "payroll 2026-11";
#define MSG_LEN (sizeof MSG - 1)

static size_t occurrences(const char *haystack, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle)) n++;
    return n;
}

static void remove_tree(const char *path) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    CHECK(system(cmd) == 0);
}

/* Every event a reader hands out, concatenated with '\n'; *count receives how many. */
static char *drain(keystead_audit_reader *r, size_t *count) {
    size_t cap = 1, len = 0;
    char *all = calloc(1, 1);
    *count = 0;
    for (;;) {
        keystead_bytes *event = (keystead_bytes *)1;
        CHECK_OK(keystead_audit_reader_next(r, &event, ERR));
        if (event == NULL || event == (keystead_bytes *)1) break;
        size_t n = keystead_bytes_len(event);
        CHECK(n > 2 && bytes_str(event)[0] == '{' && bytes_str(event)[n - 1] == '}' && strchr(bytes_str(event), '\n') == NULL);
        if (len + n + 2 > cap) {
            cap = (len + n + 2) * 2;
            all = realloc(all, cap);
        }
        memcpy(all + len, bytes_str(event), n);
        len += n;
        all[len++] = '\n';
        all[len] = 0;
        keystead_bytes_free(event);
        (*count)++;
    }
    return all;
}

/* A store in `dir`/store with a few audited calls (one denied); returns the open store. */
static keystead_store *audited_store(const char *store_dir) {
    keystead_store *s = NULL, *outsider = NULL;
    keystead_bytes *key = NULL, *ct = NULL;
    CHECK_OK(keystead_store_open(store_dir, NULL, &s, ERR));
    CHECK_OK(keystead_store_as_principal(s, OUTSIDER, &outsider, ERR));
    CHECK_OK(keystead_store_create_key(s, NULL, &key, NULL, ERR));
    for (int i = 0; i < 2; i++) {
        CHECK_OK(keystead_store_encrypt(s, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
        keystead_bytes_free(ct);
        ct = NULL;
    }
    CHECK_RC(KEYSTEAD_RESULT_ACCESS_DENIED, keystead_store_encrypt(outsider, bytes_str(key), MSG, MSG_LEN, NULL, NULL, &ct, ERR));
    keystead_bytes_free(key);
    keystead_store_free(outsider);
    return s;
}

static void test_verify_and_read_an_open_store(void) {
    char dir[] = "/tmp/keystead-c-audit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char store_dir[512];
    snprintf(store_dir, sizeof store_dir, "%s/store", dir);
    keystead_store *s = audited_store(store_dir);

    keystead_audit_report report = {0, 0, 0, 0};
    CHECK_OK(keystead_store_audit_verify(s, &report, ERR));
    CHECK(report.segments == 1);
    CHECK(report.events >= 4); /* CreateKey, 2 Encrypt, the denied Encrypt (and the calls of open) */
    CHECK(report.records == report.segments + report.events + report.checkpoints); /* headers, events, checkpoints */

    keystead_audit_reader *r = NULL;
    CHECK_OK(keystead_store_audit_reader(s, NULL, 0, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == report.events);
    size_t n = 0;
    char *all = drain(r, &n);
    CHECK(n == report.events);
    CHECK(keystead_audit_reader_remaining(r) == 0);
    CHECK(occurrences(all, "\"eventName\":\"Encrypt\"") == 3);
    CHECK(occurrences(all, "\"errorCode\":\"AccessDeniedException\"") == 1);
    CHECK(strstr(all, OUTSIDER) != NULL);
    CHECK(strstr(all, "\"eventName\":\"CreateKey\"") < strstr(all, "\"eventName\":\"Encrypt\"")); /* oldest first */
    CHECK(strstr(all, (const char *)MSG) == NULL); /* never the plaintext */
    free(all);
    /* The end is sticky. */
    keystead_bytes *event = (keystead_bytes *)1;
    CHECK_OK(keystead_audit_reader_next(r, &event, ERR));
    CHECK(event == NULL);
    keystead_audit_reader_free(r);

    /* limit: the oldest N; since: only events at or after it. */
    CHECK_OK(keystead_store_audit_reader(s, NULL, 2, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == 2);
    keystead_audit_reader_free(r);
    CHECK_OK(keystead_store_audit_reader(s, "2000-01-01T00:00:00Z", 0, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == report.events);
    keystead_audit_reader_free(r);
    CHECK_OK(keystead_store_audit_reader(s, "2999-01-01T00:00:00Z", 0, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == 0);
    keystead_audit_reader_free(r);
    r = (keystead_audit_reader *)1;
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_audit_reader(s, "yesterday", 0, &r, ERR));
    CHECK(r == NULL);

    keystead_store_free(s);
    remove_tree(dir);
}

static void test_verify_and_read_a_folder(void) {
    char dir[] = "/tmp/keystead-c-audit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char store_dir[512], audit_dir[600];
    snprintf(store_dir, sizeof store_dir, "%s/store", dir);
    snprintf(audit_dir, sizeof audit_dir, "%s/audit", store_dir);
    keystead_store *s = audited_store(store_dir);
    /* Freed: its writer seals the segment (possibly a moment later; a live tail verifies too). */
    keystead_store_free(s);

    /* By store folder or by audit folder, with the key the store recorded. */
    keystead_audit_report by_store = {0, 0, 0, 0}, by_audit = {0, 0, 0, 0};
    CHECK_OK(keystead_audit_verify(store_dir, NULL, &by_store, ERR));
    CHECK_OK(keystead_audit_verify(audit_dir, NULL, &by_audit, ERR));
    CHECK(by_store.segments == 1 && by_store.events >= 4);
    /* Every record is a segment header, an event or a checkpoint. */
    CHECK(by_store.records == by_store.segments + by_store.events + by_store.checkpoints);
    if (harness_current_failed)
        fprintf(stderr, "  report: %llu segments, %llu records, %llu events, %llu checkpoints\n",
                (unsigned long long)by_store.segments, (unsigned long long)by_store.records,
                (unsigned long long)by_store.events, (unsigned long long)by_store.checkpoints);
    CHECK(memcmp(&by_store, &by_audit, sizeof by_store) == 0);

    keystead_audit_reader *r = NULL;
    CHECK_OK(keystead_audit_reader_open(store_dir, NULL, 0, &r, ERR));
    size_t n = 0;
    char *all = drain(r, &n);
    CHECK(n == by_store.events);
    CHECK(occurrences(all, "\"eventName\":\"Encrypt\"") == 3);
    free(all);
    keystead_audit_reader_free(r);

    /* A trusted key given as text must be the store's: another key is a failed verification,
     * text that is no key a ValidationException. */
    keystead_audit_report report = {7, 7, 7, 7};
    keystead_error *err = NULL;
    CHECK(keystead_audit_verify(store_dir, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &report, &err) ==
          KEYSTEAD_RESULT_AUDIT_LOG_INVALID);
    CHECK(strcmp(keystead_error_name(err), "AuditLogInvalid") == 0);
    CHECK(report.segments == 7 && report.events == 7); /* not written on failure */
    keystead_error_free(err);
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_audit_verify(store_dir, "not a key", &report, ERR));

    /* No log there at all. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nothing", dir);
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_audit_verify(missing, NULL, &report, ERR));
    remove_tree(dir);
}

/* Finds `needle` in the segment files of `audit_dir` and flips the byte at `offset` within the
 * match; returns 1 when it edited a file. */
static int edit_one_byte(const char *audit_dir, const char *needle, size_t offset) {
    DIR *d = opendir(audit_dir);
    if (d == NULL) return 0;
    int edited = 0;
    struct dirent *entry;
    while (!edited && (entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len < 6 || strcmp(entry->d_name + len - 6, ".jsonl") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", audit_dir, entry->d_name);
        FILE *f = fopen(path, "r+b");
        if (f == NULL) continue;
        static char text[1 << 20];
        size_t got = fread(text, 1, sizeof text - 1, f);
        text[got] = 0;
        char *at = strstr(text, needle);
        if (at != NULL) {
            long pos = (long)(at - text) + (long)offset;
            fseek(f, pos, SEEK_SET);
            fputc(text[pos] == 'x' ? 'y' : 'x', f);
            edited = 1;
        }
        fclose(f);
    }
    closedir(d);
    return edited;
}

static void test_an_edited_byte_fails_verification(void) {
    char dir[] = "/tmp/keystead-c-audit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char store_dir[512], audit_dir[600];
    snprintf(store_dir, sizeof store_dir, "%s/store", dir);
    snprintf(audit_dir, sizeof audit_dir, "%s/audit", store_dir);
    keystead_store_free(audited_store(store_dir));
    keystead_audit_report report = {0, 0, 0, 0};
    CHECK_OK(keystead_audit_verify(store_dir, NULL, &report, ERR));

    /* "AccessDeniedException" -> "AccessDenxedException": one byte of the denied call's record. */
    CHECK(edit_one_byte(audit_dir, "\"errorCode\":\"AccessDeniedException\"", 22));
    keystead_audit_report after = {9, 9, 9, 9};
    keystead_error *err = NULL;
    CHECK(keystead_audit_verify(store_dir, NULL, &after, &err) == KEYSTEAD_RESULT_AUDIT_LOG_INVALID);
    CHECK(keystead_error_code(err) == KEYSTEAD_RESULT_AUDIT_LOG_INVALID);
    CHECK(strcmp(keystead_error_name(err), "AuditLogInvalid") == 0);
    CHECK(strcmp(keystead_result_name(KEYSTEAD_RESULT_AUDIT_LOG_INVALID), "AuditLogInvalid") == 0);
    CHECK(!keystead_result_is_retryable(KEYSTEAD_RESULT_AUDIT_LOG_INVALID));
    /* The message names the first bad record: its kind, the segment file and line, its seq. */
    const char *m = keystead_error_message(err);
    CHECK(strstr(m, "Edited") != NULL);
    CHECK(strstr(m, ".jsonl:") != NULL);
    CHECK(strstr(m, "(seq ") != NULL);
    if (harness_current_failed) fprintf(stderr, "  message: %s\n", m);
    keystead_error_free(err);
    CHECK(after.events == 9); /* not written on failure */

    /* Reading still works (it does not verify), and shows the edit. */
    keystead_audit_reader *r = NULL;
    CHECK_OK(keystead_audit_reader_open(audit_dir, NULL, 0, &r, ERR));
    size_t n = 0;
    char *all = drain(r, &n);
    CHECK(strstr(all, "AccessDenxedException") != NULL);
    free(all);
    keystead_audit_reader_free(r);

    /* Opening the store again does not launder the log: still invalid. */
    keystead_store *s = NULL;
    CHECK_OK(keystead_store_open(store_dir, NULL, &s, ERR));
    CHECK_RC(KEYSTEAD_RESULT_AUDIT_LOG_INVALID, keystead_store_audit_verify(s, &after, ERR));
    keystead_store_free(s);
    remove_tree(dir);
}

static void test_stores_without_a_log(void) {
    keystead_store *s = NULL;
    CHECK_OK(keystead_store_open_in_memory(NULL, &s, ERR));
    keystead_audit_report report = {0, 0, 0, 0};
    keystead_audit_reader *r = (keystead_audit_reader *)1;
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_audit_verify(s, &report, ERR));
    CHECK_RC(KEYSTEAD_RESULT_VALIDATION, keystead_store_audit_reader(s, NULL, 0, &r, ERR));
    CHECK(r == NULL);
    keystead_store_free(s);
    /* NULL: the accessor gives 0, free is a no-op. */
    CHECK(keystead_audit_reader_remaining(NULL) == 0);
    keystead_audit_reader_free(NULL);
}

/* The reader streams: a log of many events over two segments (two handles writing at once, their
 * events merged by time) comes out whole, oldest first, with `remaining` counting down one per
 * event; a limit stops it early; a segment that disappears after the reader was made is a typed
 * INTERNAL error that ends the stream. */
#define MANY_CALLS 1500
static void test_a_long_log_streams_in_order(void) {
    char dir[] = "/tmp/keystead-c-audit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char store_dir[512], audit_dir[600];
    snprintf(store_dir, sizeof store_dir, "%s/store", dir);
    snprintf(audit_dir, sizeof audit_dir, "%s/audit", store_dir);
    /* Two handles writing at once, each to its own segment, their calls interleaved. */
    keystead_store *a = NULL, *b = NULL;
    CHECK_OK(keystead_store_open(store_dir, NULL, &a, ERR));
    CHECK_OK(keystead_store_open(store_dir, NULL, &b, ERR));
    for (int i = 0; i < MANY_CALLS; i++) {
        keystead_bytes *random = NULL;
        CHECK_OK(keystead_store_generate_random(i % 2 ? a : b, 16, &random, ERR));
        keystead_bytes_free(random);
    }
    keystead_store_free(a);
    keystead_store_free(b);
    keystead_audit_report report = {0, 0, 0, 0};
    CHECK_OK(keystead_audit_verify(store_dir, NULL, &report, ERR));
    CHECK(report.segments == 2);
    CHECK(report.events >= MANY_CALLS);
    if (harness_current_failed)
        fprintf(stderr, "  report: %llu segments, %llu events\n", (unsigned long long)report.segments,
                (unsigned long long)report.events);

    keystead_audit_reader *r = NULL;
    CHECK_OK(keystead_audit_reader_open(store_dir, NULL, 0, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == report.events);
    size_t seen = 0, generate_random = 0, out_of_order = 0, wrong_remaining = 0;
    char last_time[64] = "";
    for (;;) {
        keystead_bytes *event = NULL;
        CHECK_OK(keystead_audit_reader_next(r, &event, ERR));
        if (event == NULL) break;
        seen++;
        if (keystead_audit_reader_remaining(r) != report.events - seen) wrong_remaining++;
        if (strstr(bytes_str(event), "\"eventName\":\"GenerateRandom\"") != NULL) generate_random++;
        const char *t = strstr(bytes_str(event), "\"eventTime\":\"");
        CHECK(t != NULL);
        if (t != NULL) {
            t += strlen("\"eventTime\":\"");
            size_t n = strcspn(t, "\"");
            char now[64];
            snprintf(now, sizeof now, "%.*s", (int)(n < 63 ? n : 63), t);
            if (strcmp(now, last_time) < 0) out_of_order++;
            memcpy(last_time, now, sizeof now);
        }
        keystead_bytes_free(event);
    }
    CHECK(seen == report.events);
    CHECK(generate_random == MANY_CALLS);
    CHECK(out_of_order == 0);
    CHECK(wrong_remaining == 0);
    CHECK(keystead_audit_reader_remaining(r) == 0);
    keystead_audit_reader_free(r);

    /* limit: exactly the oldest N, then the end. */
    CHECK_OK(keystead_audit_reader_open(audit_dir, NULL, 1000, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == 1000);
    size_t limited = 0;
    free(drain(r, &limited));
    CHECK(limited == 1000);
    CHECK(keystead_audit_reader_remaining(r) == 0);
    keystead_audit_reader_free(r);

    /* The segments go away after the count: the next event is an INTERNAL error, which ends the
     * stream (the reader opens segment files only when it reaches them). */
    CHECK_OK(keystead_audit_reader_open(store_dir, NULL, 0, &r, ERR));
    CHECK(keystead_audit_reader_remaining(r) == report.events);
    remove_tree(audit_dir);
    keystead_bytes *event = (keystead_bytes *)1;
    keystead_error *err = NULL;
    CHECK(keystead_audit_reader_next(r, &event, &err) == KEYSTEAD_RESULT_INTERNAL);
    CHECK(event == NULL);
    CHECK(err != NULL && keystead_error_code(err) == KEYSTEAD_RESULT_INTERNAL);
    keystead_error_free(err);
    CHECK(keystead_audit_reader_remaining(r) == 0);
    CHECK_OK(keystead_audit_reader_next(r, &event, ERR));
    CHECK(event == NULL);
    keystead_audit_reader_free(r);
    remove_tree(dir);
}

int main(void) {
    RUN(test_verify_and_read_an_open_store);
    RUN(test_verify_and_read_a_folder);
    RUN(test_an_edited_byte_fails_verification);
    RUN(test_stores_without_a_log);
    RUN(test_a_long_log_streams_in_order);
    return SUMMARY("test_audit");
}
