#!/usr/bin/env python3
"""S-1 lint: no `==` / `!=` on MACs, tags, hashes, digests, signatures or commitments in core/src.

Secret-dependent bytes are compared in constant time (`openssl::memcmp::eq`, or the crate's
`constant_time_eq` wrapper around it); `==` on slices stops at the first differing byte and
leaks, through timing, how much of a forged tag was right.

A line is flagged when an operand of `==` or `!=` names such a value: an identifier with a
word part `mac`, `hmac`, `tag`, `hash`, `digest`, `signature`, `sig` or `commitment`
(snake_case and camelCase parts), unless the operand is a length, size, count, kind, id,
spec, algorithm, enum path (`A::B`) or literal. Test code is skipped (`#[cfg(test)]` modules
at the end of a file, `*_tests.rs`). A flagged line that compares public values is allowed
with a trailing marker comment `// ct-ok: <why>`, or, in a file the hygiene owners do not
edit, by an entry `path<TAB>line text<TAB>why` in tests/hygiene/ct-allowlist.tsv.

Usage: ct_compare.py [repo root]. Exit 1 with the offending lines, 0 when clean.
"""

import pathlib
import re
import sys

SECRET_PARTS = {"mac", "hmac", "tag", "hash", "digest", "signature", "sig", "commitment"}
HARMLESS = re.compile(r"len|size|count|kind|_id\b|\bid\b|spec|algorithm|::|\btype\b|is_", re.IGNORECASE)
OPERATOR = re.compile(r"(?<![=!<>])(==|!=)(?!=)")


def parts(identifier: str):
    for snake in identifier.split("_"):
        for part in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", snake):
            yield part.lower()


def suspicious(operand: str) -> bool:
    operand = operand.strip()
    if not operand or HARMLESS.search(operand) or re.fullmatch(r"[\"'b0-9].*", operand):
        return False
    return any(p in SECRET_PARTS for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", operand) for p in parts(word))


def operand(text: str, backwards: bool) -> str:
    """The operand next to an operator: up to an unbalanced bracket or a separator at depth 0."""
    openers, closers = ("([", ")]") if not backwards else (")]", "([")
    depth = 0
    chars = reversed(text) if backwards else iter(text)
    taken = []
    for ch in chars:
        if ch in openers:
            depth += 1
        elif ch in closers:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and ch in ",;{}|&=<>":
            break
        taken.append(ch)
    word = "".join(reversed(taken)) if backwards else "".join(taken)
    # Leading keywords are not part of the operand.
    return re.sub(r"^\s*(if|return|let|while|match|assert\w*!|mut)\b", "", word.strip()).strip()


def flagged(line: str) -> bool:
    code = line.split("//", 1)[0]
    for match in OPERATOR.finditer(code):
        if suspicious(operand(code[: match.start()], True)) or suspicious(operand(code[match.end():], False)):
            return True
    return False


SELF_TEST = {
    "if tag == expected {": True,
    "    if mac.as_slice() != computed.as_slice() {": True,
    "assert!(signature == other);": True,
    "let ok = computed_hmac == given;": True,
    "return expected_digest == actual;": True,
    "if commitment != header.commitment {": True,
    "if tag.len() != GCM_TAG_LEN {": False,
    "key.key_usage == KeyUsage::GenerateVerifyMac": False,
    "if group.tag_size != 128 {": False,
    "if stage == 3 {": False,
    "if hash_len(x) == Some(32) {": False,
    "if tag == expected { // ct-ok: public test vector": True,
}


def self_test() -> int:
    wrong = [line for line, want in SELF_TEST.items() if flagged(line) != want]
    for line in wrong:
        print(f"self-test: {line!r} should {'' if SELF_TEST[line] else 'not '}be flagged")
    print(f"ct-compare self-test: {len(SELF_TEST) - len(wrong)} passed, {len(wrong)} failed")
    return 1 if wrong else 0


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    allow = set()
    allow_file = root / "tests/hygiene/ct-allowlist.tsv"
    if allow_file.exists():
        for entry in allow_file.read_text().splitlines():
            if entry.strip() and not entry.startswith("#"):
                path, text, _why = entry.split("\t", 2)
                allow.add((path, text.strip()))
    findings = []
    files = sorted((root / "core/src").rglob("*.rs"))
    for path in files:
        if path.name.endswith("_tests.rs"):
            continue
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.startswith("#[cfg(test)]") and "mod " in "".join(path.read_text().splitlines()[number:number + 2]):
                break
            if line.lstrip().startswith("//") or "ct-ok:" in line:
                continue
            if flagged(line) and (rel, line.strip()) not in allow:
                findings.append(f"{rel}:{number}: {line.strip()}")
    if findings:
        print("Comparisons of MACs/tags/hashes/signatures with == or != (use openssl::memcmp::eq,")
        print("or mark a comparison of public values with `// ct-ok: <why>`):")
        print("\n".join(findings))
        return 1
    print(f"ct-compare: {len(files)} files of core/src checked, 0 findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
