"""Cross-binding matrix, Python side (context {"matrix": "cross-binding"}, 64 KiB segments):
  python py_tool.py STORE seal|seal-stream|fields-seal|secret-seal KEY IN OUT
  python py_tool.py STORE open|open-stream|fields-open|secret-open IN OUT
  python py_tool.py STORE batch JOBS STATUS
A batch runs each line of JOBS (a mode and its arguments, tab-separated) and writes one line
per job to STATUS: "ok", or the error's class name (one interpreter start for many jobs).
Fields: the record's "card" and "address" are encrypted. Secrets are for the variable DB_PASSWORD
and are opened through the start-up helper (keystead.secrets.decrypt_env)."""

import json
import shutil
import sys

import keystead
from keystead import fields, secrets
from keystead.stream import EnvelopeReader, EnvelopeWriter

CONTEXT = {"matrix": "cross-binding"}
FIELDS = ["card", "address"]
VARIABLE = "DB_PASSWORD"


def run(store: keystead.Keystead, mode: str, args: list[str]) -> None:
    if mode in ("seal", "seal-stream", "fields-seal", "secret-seal"):
        key, src, dst = args
    else:
        key = ""
        src, dst = args
    with open(src, "rb") as f, open(dst, "wb") as out:
        if mode == "seal":
            out.write(keystead.envelope_seal(store, key, f.read(), encryption_context=CONTEXT, segment_size=65536))
        elif mode == "seal-stream":
            with EnvelopeWriter(out, store, key, encryption_context=CONTEXT, segment_size=65536) as writer:
                shutil.copyfileobj(f, writer, 10000)
        elif mode == "open":
            out.write(keystead.envelope_open(store, f.read(), encryption_context=CONTEXT))
        elif mode == "open-stream":
            shutil.copyfileobj(EnvelopeReader(f, store, encryption_context=CONTEXT, chunk_size=9999), out)
        elif mode == "fields-seal":
            sealed = fields.encrypt_fields(store, key, json.load(f), FIELDS, encryption_context=CONTEXT)
            out.write(json.dumps(sealed).encode())
        elif mode == "fields-open":
            out.write(json.dumps(fields.decrypt_fields(store, json.load(f), encryption_context=CONTEXT)).encode())
        elif mode == "secret-seal":
            out.write(secrets.encrypt_secret(store, key, VARIABLE, f.read(), encryption_context=CONTEXT).encode())
        elif mode == "secret-open":
            env = {VARIABLE: f.read().decode(), "HOME": "/not-a-secret"}
            opened = secrets.decrypt_env(store, env, encryption_context=CONTEXT)
            if set(opened) != {VARIABLE} or env[VARIABLE] != opened[VARIABLE]:
                raise ValueError(f"decrypt_env returned {sorted(opened)}")
            out.write(opened[VARIABLE].encode())
        else:
            raise ValueError(f"unknown mode {mode}")


def main() -> None:
    store = keystead.Keystead(sys.argv[1])
    if sys.argv[2] != "batch":
        run(store, sys.argv[2], sys.argv[3:])
        return
    with open(sys.argv[3]) as jobs, open(sys.argv[4], "w") as status:
        for line in jobs:
            mode, *args = line.rstrip("\n").split("\t")
            try:
                run(store, mode, args)
                status.write("ok\n")
            except Exception as e:  # noqa: BLE001 - the matrix records every failure as a status
                status.write(f"{type(e).__name__}\n")


if __name__ == "__main__":
    main()
