#!/usr/bin/env python3
"""Generates the cases of c_bad_input.c from include/keystead.h (issue 11).

    python3 tests/bad-input/gen_c_cases.py include/keystead.h OUT.inc

Every function the header declares becomes a row. For each parameter of a function returning
`keystead_result`, the parameter's type and name give a valid value and the bad values
(NULL for a required pointer, "" / 70,000 characters / non-UTF-8 for strings, (NULL, 5) / empty /
300,000 / garbage for byte buffers, UINT32_MAX for counts...). A parameter type without a rule
stops the generator, so a new function cannot go untested. Functions returning something other
than `keystead_result` (accessors, `*_free`, version) are rows with 0 cases.
"""

import re
import sys

STRING_VALID = {
    "alias_name": None,  # by function, below
    "target_key_id": "FX_SYM",
    "destination_key_id": "FX_SYM",
    "principal_arn": '"arn:aws:iam::111122223333:user/u"',
    "principal": '"arn:aws:iam::111122223333:user/u"',
    "grantee_principal": '"arn:aws:iam::111122223333:role/g"',
    "retiring_principal": '"arn:aws:iam::111122223333:role/g"',
    "policy": "POLICY",
    "action": '"kms:Encrypt"',
    "operation": '"Encrypt"',
    "key_spec": None,  # by function
    "key_usage": '"ENCRYPT_DECRYPT"',
    "origin": '"AWS_KMS"',
    "description": '"d"',
    "signing_algorithm": '"ECDSA_SHA_256"',
    "mac_algorithm": '"HMAC_SHA_256"',
    "key_agreement_algorithm": '"ECDH"',
    "key_pair_spec": '"ECC_NIST_P256"',
    "wrapping_algorithm": '"RSAES_OAEP_SHA_256"',
    "wrapping_key_spec": '"RSA_2048"',
    "key": '"k"',
    "value": '"v"',
    "region": '"us-east-1"',
    "account_id": '"111122223333"',
    "record_json": '"{\\"a\\":\\"b\\"}"',
    "access_key_id": "fx->access_key_id",
    "grant_token": None,
    "name": '"BAD_INPUT_NAME"',
    "text": "fx->secret_text",
}

BYTES_VALID = {
    "plaintext": ('(const uint8_t *)"data"', "4"),
    "ciphertext": ("fx->blob", "fx->blob_len"),
    "message": ('(const uint8_t *)"m"', "1"),
    "signature": ("fx->signature", "fx->signature_len"),
    "mac": ("fx->mac", "fx->mac_len"),
    "public_key": ("fx->public_key", "fx->public_key_len"),
    "import_token": ("JUNK", "64"),
    "encrypted_key_material": ("JUNK", "256"),
    "secret_access_key": ("JUNK", "40"),
    "passphrase": ('(const uint8_t *)"a passphrase"', "12"),
    "key": ("JUNK", "32"),
    "value": ('(const uint8_t *)"v"', "1"),
}

# Handles a call needs (non-NULL); the fixture makes a fresh one per case.
HANDLE_MAKERS = {
    "keystead_context": "fx_context(fx)",
    "keystead_tags": "fx_tags(fx)",
    "keystead_call_options": "fx_call_options(fx)",
    "keystead_create_key_request": "fx_create_key_request(fx)",
    "keystead_create_grant_request": "fx_create_grant_request(fx)",
    "keystead_options": "fx_options(fx)",
    "keystead_root_key": "fx_root_key(fx)",
    "keystead_envelope_writer": "fx_writer(fx)",
    "keystead_envelope_reader": "fx_reader(fx)",
    "keystead_audit_reader": "fx_audit_reader(fx)",
    "keystead_bytes": "fx_bytes(fx)",
    "keystead_store": "fx->store",
    "keystead_audit_report": "&fx->report",
}
# Optional const handles (NULL means "not given"), unless the function needs one.
REQUIRED_CONST = {
    ("keystead_store_create_key", "request"),
    ("keystead_store_create_grant", "request"),
    ("keystead_store_tag_resource", "tags"),
    ("keystead_create_key_request_set_tags", "tags"),
    ("keystead_options_set_root_key", "root_key"),
    ("keystead_store_rotate_root_key", "new_root_key"),
    ("keystead_bytes_copy", "bytes"),
    ("keystead_audit_reader_remaining", "reader"),
}
COUNT_VALID = {
    "number_of_bytes": "16",
    "limit": "0",
    "pending_window_in_days": "7",
    "rotation_period_in_days": "0",
    "code": "100",
}
BIG_COUNTS = {"number_of_bytes", "limit", "pending_window_in_days", "rotation_period_in_days"}


def key_for(func):
    if "mac" in func:
        return "FX_HMAC"
    if re.search(r"_(sign|verify|get_public_key)", func) and "verify_mac" not in func:
        return "FX_SIGN"
    if "derive_shared_secret" in func:
        return "FX_AGREE"
    if "import" in func:
        return "FX_EXTERNAL"
    return "FX_SYM"


def names_in(text):
    return set(re.findall(r"`(\w+)`", text))


def nullable(doc, params):
    """The pointer parameters the function's documentation lets be NULL."""
    doc = " ".join(doc.replace("*", " ").split())
    pointers = {n for t, n in params if t.endswith("*")}
    allowed = set()
    m = re.search(r"no pointer may be NULL except ((?:`\w+`(?: \([^)]*\))?(?:, | and | or )?)+)", doc)
    if m:
        allowed |= names_in(m.group(1))
    else:
        required = set()
        for m in re.finditer(r"((?:`\w+`(?: \([^)]*\))?(?:, | and | or )?)+) must not be NULL", doc):
            required |= names_in(m.group(1))
        if required:
            allowed |= pointers - required
    for m in re.finditer(r"((?:`\w+`(?: \([^)]*\))?(?:, | and | or )?)+) (?:may|can) be NULL(?! only)", doc):
        allowed |= names_in(m.group(1))
    for m in re.finditer(r"([^.;]*?)\((?:each|both) NULL when not given\)|([^.;]*?)(?:Either|both) may be NULL", doc):
        allowed |= names_in(m.group(0))
    return allowed


def parse(header):
    raw = open(header, encoding="utf-8").read()
    docs = {}
    for m in re.finditer(r"/\*\*(.*?)\*/\s*(?:[a-z_][\w \*]*?)\b(keystead_\w+)\(", raw, flags=re.S):
        docs[m.group(2)] = m.group(1)
    text = re.sub(r"/\*.*?\*/", "", raw, flags=re.S)
    out = []
    for m in re.finditer(r"^([a-z_][\w \*]*?)\b(keystead_\w+)\(([^;]*?)\);", text, flags=re.M | re.S):
        ret, name, params = m.group(1).strip(), m.group(2), " ".join(m.group(3).split())
        ps = []
        if params != "void":
            for p in params.split(","):
                p = p.strip()
                pm = re.match(r"^(.*?)(\w+)$", p)
                ps.append((" ".join(pm.group(1).split()).replace(" *", "*").replace("* ", "*"), pm.group(2)))
        out.append((ret, name, ps, nullable(docs.get(name, ""), ps)))
    # "... NULL behaviour ... as there": a function documented by reference to another.
    by_name = {name: optional for _, name, _, optional in out}
    for _, name, _, optional in out:
        doc = docs.get(name, "")
        ref = re.search(r"`(keystead_\w+)`", doc)
        if ref and ("as there" in doc or re.search(r"As `keystead_\w+`", doc)) and ref.group(1) in by_name:
            optional |= by_name[ref.group(1)]
    return out


def plan(func, params, optional):
    """[(valid_exprs_per_param, cases)] where cases are (param, case, exprs) with exprs the full
    argument list for that case."""
    valid = []
    decls = {}
    bad = []  # (index or indexes, param, case, replacement exprs)
    i = 0
    while i < len(params):
        t, n = params[i]
        nxt = params[i + 1] if i + 1 < len(params) else None
        if n == "err_out":
            valid.append(["&err"])
        elif t == "const uint8_t*" and nxt and nxt[0] == "size_t" and nxt[1].endswith("_len"):
            ptr, ln = BYTES_VALID.get(n, ("JUNK", "8"))
            valid.append([ptr, ln])
            bad += [
                (len(valid) - 1, n, "wrong_type", ["NULL", "5"]),
                (len(valid) - 1, n, "empty", [ptr, "0"]),
                (len(valid) - 1, n, "oversize", ["BIG_BYTES", "BIG_BYTES_LEN"]),
                (len(valid) - 1, n, "malformed", ["GARBAGE", "sizeof GARBAGE"]),
            ]
            i += 2
            continue
        elif t == "const char*const*" and nxt and nxt[0] == "const char*const*":
            # Parallel arrays (condition keys and values) with one length.
            valid.append(["NULL", "NULL", "0"])
            bad += [
                (len(valid) - 1, n, "wrong_type", ["NULL", "NULL", "2"]),
                (len(valid) - 1, n, "malformed", ["BAD_UTF8_ARRAY", "BAD_UTF8_ARRAY", "1"]),
            ]
            i += 3
            continue
        elif t == "const char*const*" and nxt and nxt[0] == "size_t":
            valid.append(["FIELDS", "1"] if n == "fields" else ["NULL", "0"])
            bad += [
                (len(valid) - 1, n, "wrong_type", ["NULL", "2"]),
                (len(valid) - 1, n, "empty", ["EMPTY_ARRAY", "1"]),
                (len(valid) - 1, n, "malformed", ["BAD_UTF8_ARRAY", "1"]),
            ]
            i += 2
            continue
        elif t == "const char*":
            if n == "key_id":
                v = key_for(func)
            elif n == "alias_name":
                v = '"alias/bad-input"' if re.search(r"update_alias|delete_alias", func) else '"alias/new-one"'
            elif n == "key_spec":
                v = '"SYMMETRIC_DEFAULT"' if "create_key_request" in func else "NULL"
            elif n in ("dir", "path"):
                v = "fx->new_dir" if func != "keystead_audit_reader_open" and func != "keystead_audit_verify" else "fx->audit_dir"
            elif n == "grant_id":
                v = "fx->grant_id" if "revoke" in func else "NULL"
            elif n == "key" and "root_key" in func:
                v = "NULL"
            else:
                v = STRING_VALID.get(n) or "NULL"
            if func == "keystead_root_key_new_env" and n == "name":
                v = '"KEYSTEAD_BAD_INPUT_ROOT"'
            valid.append([v])
            cases = [("empty", '""'), ("oversize", "BIG_STR"), ("malformed", "BAD_UTF8")]
            if v != "NULL" and n not in optional:
                cases.insert(0, ("wrong_type", "NULL"))
            bad += [(len(valid) - 1, n, c, [e]) for c, e in cases]
        elif t.endswith("**"):
            decls[f"out{i}"] = t[:-1]
            valid.append([f"&out{i}"])
            if n not in optional:
                bad.append((len(valid) - 1, n, "wrong_type", ["NULL"]))
        elif t.startswith("const struct ") or t.startswith("struct "):
            base = t.replace("const ", "").replace("struct ", "").rstrip("*")
            if base not in HANDLE_MAKERS:
                raise SystemExit(f"{func}: no rule for parameter type {t} ({n})")
            required = not t.startswith("const ") or (func, n) in REQUIRED_CONST or base == "keystead_store"
            if base == "keystead_audit_report":
                required = True
            required = required and n not in optional
            valid.append([HANDLE_MAKERS[base] if required else "NULL"])
            if required:
                bad.append((len(valid) - 1, n, "wrong_type", ["NULL"]))
        elif t == "uint8_t*":
            valid.append(["obuf"])
            bad.append((len(valid) - 1, n, "wrong_type", ["NULL"]))
        elif t == "size_t*":
            valid.append(["&osize"])
            bad.append((len(valid) - 1, n, "wrong_type", ["NULL"]))
        elif t == "uint32_t":
            valid.append([COUNT_VALID.get(n, "0")])
            if n in BIG_COUNTS:
                bad.append((len(valid) - 1, n, "oversize", ["UINT32_MAX"]))
        elif t in ("size_t", "uint64_t", "int64_t"):
            valid.append(["64" if n in ("out_cap", "capacity") else "0"])
        elif t == "bool":
            valid.append(["false"])
        else:
            raise SystemExit(f"{func}: no rule for parameter type {t} ({n})")
        i += 1
    cases = []
    for idx, pname, case, repl in bad:
        args = [a for j, v in enumerate(valid) for a in (repl if j == idx else v)]
        cases.append((pname, case, args))
    return cases, decls


def main(header, out):
    functions = parse(header)
    lines = ["/* Generated by tests/bad-input/gen_c_cases.py from include/keystead.h: do not edit. */"]
    rows = []
    n = 0
    for ret, name, params, optional in functions:
        if ret != "keystead_result" or not params or params[-1][1] != "err_out":
            rows.append((name, []))
            continue
        cases, decls = plan(name, params, optional)
        ids = []
        for pname, case, args in cases:
            n += 1
            outs = sorted({a for a in args if a.startswith("&out")})
            decl = "".join(f"    {decls[o[1:]]} {o[1:]} = NULL;\n" for o in outs)
            lines.append(
                f"static keystead_result case_{n}(struct fx *fx) {{\n{decl}    struct keystead_error *err = NULL;\n"
                f"    keystead_result r = {name}({', '.join(args)});\n"
                f"    return check_error(fx, r, err);\n}}\n"
            )
            ids.append((pname, case, n))
        rows.append((name, ids))
    lines.append("static const struct bad_case CASES[] = {")
    for name, ids in rows:
        for pname, case, k in ids:
            lines.append(f'    {{"{name}", "{pname}", "{case}", case_{k}}},')
    lines.append("    {NULL, NULL, NULL, NULL}\n};")
    lines.append("static const char *const FUNCTIONS[] = {")
    lines += [f'    "{name}",' for name, _ in rows]
    lines.append("    NULL\n};")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"gen_c_cases: {len(rows)} functions, {n} cases")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
