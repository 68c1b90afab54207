"""Cross-binding matrix, Python side: python py_tool.py STORE seal|seal-stream KEY IN OUT |
python py_tool.py STORE open|open-stream IN OUT (context {"matrix": "cross-binding"})."""

import shutil
import sys

import keystead
from keystead.stream import EnvelopeReader, EnvelopeWriter

CONTEXT = {"matrix": "cross-binding"}


def main() -> None:
    store = keystead.Keystead(sys.argv[1])
    mode = sys.argv[2]
    if mode == "seal":
        key, src, dst = sys.argv[3:6]
        with open(src, "rb") as f, open(dst, "wb") as out:
            out.write(keystead.envelope_seal(store, key, f.read(), encryption_context=CONTEXT, segment_size=65536))
    elif mode == "seal-stream":
        key, src, dst = sys.argv[3:6]
        with open(src, "rb") as f, open(dst, "wb") as out:
            with EnvelopeWriter(out, store, key, encryption_context=CONTEXT, segment_size=65536) as writer:
                shutil.copyfileobj(f, writer, 10000)
    elif mode == "open":
        src, dst = sys.argv[3:5]
        with open(src, "rb") as f, open(dst, "wb") as out:
            out.write(keystead.envelope_open(store, f.read(), encryption_context=CONTEXT))
    elif mode == "open-stream":
        src, dst = sys.argv[3:5]
        with open(src, "rb") as f, open(dst, "wb") as out:
            shutil.copyfileobj(EnvelopeReader(f, store, encryption_context=CONTEXT, chunk_size=9999), out)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
