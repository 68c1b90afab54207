"""Encrypt of 1 KiB through the typed API with the audit log off, batched and per-record; cost of metrics()."""
import tempfile, time, statistics, keystead
def bench(store, n=2000):
    key = store.create_key().key_id
    rounds=[]
    for _ in range(5):
        t=time.perf_counter()
        for _ in range(n):
            store.encrypt(key, b"x"*1024)
        rounds.append((time.perf_counter()-t)/n*1e6)
    return min(rounds), statistics.median(rounds)
with tempfile.TemporaryDirectory() as d:
    for name, kw in [("audit off", dict(audit=False)), ("audit batched (default)", dict(audit=True)), ("audit per_record", dict(audit=keystead.AuditOptions(durability="per_record")))]:
        s = keystead.Keystead(f"{d}/{name.split()[1]}", **kw)
        b, m = bench(s)
        print(f"{name}: best {b:.1f} us, median {m:.1f} us per Encrypt of 1 KiB")
    s = keystead.Keystead(f"{d}/m", audit=False)
    k = s.create_key().key_id
    for _ in range(1000): s.encrypt(k, b"x")
    t=time.perf_counter()
    for _ in range(200): s.metrics()
    print(f"metrics() with 1 key: {(time.perf_counter()-t)/200*1e6:.1f} us")
    t=time.perf_counter()
    for _ in range(200): s.metrics_prometheus()
    print(f"metrics_prometheus() with 1 key: {(time.perf_counter()-t)/200*1e6:.1f} us")
