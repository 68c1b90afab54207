"""Runs the workloads of `make bench` and writes bench/RESULTS.md (called by bench/run.sh,
which builds and installs everything first).

Every measuring program prints per-case medians of alternating rounds (see bench/benches/peers.rs,
python/bench/peers_python.py, node/bench/peers.mjs); the C-vs-Rust loop alternates whole
processes here. Ratios are ratios of medians measured in the same run. Goals come from issue 10;
for each missed goal a `perf record` profile of the Keystead side is taken and its top symbols
are put under the goals table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Result = Dict[str, Any]


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: List[Result] = []
        self.commands: Dict[str, str] = {}  # workload -> command that measured it
        self.notes: List[str] = []
        self.unavailable: Dict[str, str] = {}
        self.versions: Dict[str, str] = {}
        self.step_seconds: Dict[str, float] = {}
        self.goals: List[Dict[str, Any]] = []
        self.profiles: Dict[str, str] = {}
        self.skip = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
        if os.environ.get("BENCH_NOTE"):
            self.notes.append(os.environ["BENCH_NOTE"])
        # BENCH_ONLY=step,...: re-run only these steps and merge them into the previous run's
        # results (target/bench-logs/results.json); the rest of RESULTS.md keeps its figures.
        self.only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
        self.previous_profiles: Dict[str, Any] = {}
        self.first_run: Dict[str, Any] = {}
        saved = os.path.join(args.logs, "results.json")
        if self.only and os.path.exists(saved):
            old = json.load(open(saved))
            self.results = [r for r in old["results"] if r.get("step") not in self.only]
            self.commands = old["commands"]
            self.notes = [n for n in old["notes"] if not any(f"`{step}`" in n for step in self.only)]
            # The step names in backquotes, so that the next re-run of the same steps drops this note.
            self.notes.append(f"Steps {', '.join(f'`{step}`' for step in sorted(self.only))} were re-run at "
                              f"{time.strftime('%H:%M UTC', time.gmtime())} and merged into the results of the run before (BENCH_ONLY).")
            self.unavailable = old["unavailable"]
            self.versions = old["versions"]
            # A re-run step's time replaces the old one's (sh() adds to what is there).
            self.step_seconds = {k: v for k, v in old["step_seconds"].items() if k not in self.only}
            self.previous_profiles = old.get("profiles", {})
            self.first_run = old.get("run", {})

    # ------------------------------------------------------------------ running

    def sh(self, name: str, argv: List[str], env: Optional[Dict[str, str]] = None, timeout: int = 900) -> str:
        """Runs one measuring program, keeps its stderr in the log folder, returns stdout."""
        started = time.time()
        print(f"-- {name}: {shlex.join(argv)}", flush=True)
        full_env = dict(os.environ, **(env or {}))
        proc = subprocess.run(argv, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout)
        with open(os.path.join(self.args.logs, f"{name}.log"), "w") as log:
            log.write(proc.stderr)
            log.write(proc.stdout)
        self.step_seconds[name] = self.step_seconds.get(name, 0.0) + time.time() - started
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
            raise RuntimeError(f"{name} failed ({proc.returncode}): {tail}")
        return proc.stdout

    def command(self, argv: List[str], env: Optional[Dict[str, str]] = None) -> str:
        rel = [os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT) else a for a in argv]
        prefix = " ".join(f"{k}={v}" for k, v in (env or {}).items())
        return (prefix + " " if prefix else "") + shlex.join(rel)

    def step(self, name: str, fn: Any) -> None:
        if self.only and name not in self.only:
            return
        if name in self.skip:
            self.notes.append(f"Step `{name}` was skipped (BENCH_SKIP).")
            return
        before = len(self.results)
        try:
            fn()
            for r in self.results[before:]:
                r["step"] = name
        except Exception as exc:  # noqa: BLE001 - a failed step is reported in RESULTS.md
            self.notes.append(f"Step `{name}` failed: {exc}")
            print(f"!! {name}: {exc}", file=sys.stderr)

    def rust_core(self) -> None:
        argv = [self.args.peers_bin, "core"]
        out = self.sh("rust-core", argv)
        self.versions["OpenSSL in keystead-core (vendored)"] = json.loads(
            self.sh("rust-versions", [self.args.peers_bin, "versions"])
        )["openssl"]
        self.collect_rust(out, self.command(argv))

    def rust_stores(self) -> None:
        # The cached stores are rebuilt when the store's schema version changes (an older schema
        # is migrated when the fresh copy is opened; a newer one would not open).
        source = open(os.path.join(ROOT, "core/src/store/sqlite.rs")).read()
        version = re.search(r"const SCHEMA_VERSION: i64 = (\d+);", source)
        tag = f"schema-{version.group(1) if version else 'unknown'}"
        argv = [self.args.peers_bin, "stores", self.args.cache, tag]
        out = self.sh("rust-stores", argv)
        for line in out.splitlines():
            if line.startswith("SKIPPED "):
                skipped = json.loads(line[8:])
                self.notes.append(f"`rust-stores`: the store with {skipped['store_keys']:,} keys was not measured: "
                                  f"{skipped['reason']}.")
            elif line.startswith("BUILT "):
                print(f"   {line}", flush=True)
        for keys in (10, 1000, 10000, 99000, 100000):
            built = os.path.join(self.args.cache, f"store-{keys}", "built.json")
            if not os.path.exists(built):
                continue
            b = json.load(open(built))
            windows = b.get("create_key_us_by_keys") or []
            trend = ""
            if keys == 100000 and len(windows) >= 2:
                width = windows[1][0] - windows[0][0]
                trend = (f"; mean CreateKey time over each tenth of the keys, as the store grew: "
                         + ", ".join(f"{end - width + 1:,}–{end:,}: {us:,.0f} µs" for end, us in windows))
            self.notes.append(
                f"`rust-stores`: the cached store with {keys:,} keys ({b.get('tag', 'older format')}) was built once in "
                f"{b['build_seconds']:.1f} s (one CreateKey per key through the public API, in a folder on tmpfs, audit "
                f"off, then copied to target/bench-cache; each run opens fresh copies){trend}."
            )
        self.collect_rust(out, self.command(argv))

    def collect_rust(self, out: str, command: str) -> None:
        for line in out.splitlines():
            if line.startswith("RESULT "):
                r = json.loads(line[7:])
                r["workload"] = "Rust: " + r["workload"]
                self.results.append(r)
                self.commands[r["workload"]] = command

    def c_vs_rust(self) -> None:
        calls = "20000"
        c_argv = [self.args.c_loop, calls]
        r_argv = [self.args.peers_bin, "encrypt-loop", calls]
        samples: Dict[str, List[float]] = {"C keystead_store_encrypt": [], "Rust Keystead::encrypt": []}
        for _ in range(int(os.environ.get("BENCH_ROUNDS", "7"))):
            for name, argv in [("C keystead_store_encrypt", c_argv), ("Rust Keystead::encrypt", r_argv)]:
                out = self.sh("c-vs-rust", argv)
                samples[name].append(float(out.split()[0]))
        workload = "C: Encrypt 1 KiB, C ABI loop vs the Rust call"
        for name, values in samples.items():
            self.results.append(
                {"workload": workload, "case": name, "bytes": 0, "samples_ns": values, "median_ns": statistics.median(values)}
            )
        self.commands[workload] = f"alternately: {self.command(c_argv)} ; {self.command(r_argv)}"

    def python(self, bench: str) -> None:
        py = os.path.join(self.args.venv, "bin", "python")
        argv = [py, "python/bench/peers_python.py", bench]
        out = self.sh(f"python-{bench}", argv)
        data = json.loads(out.strip().splitlines()[-1])
        self.versions.update({f"Python: {k}": v for k, v in data["versions"].items()})
        self.unavailable.update(data["unavailable"])
        pip_errors = os.path.join(self.args.venv, "pip-errors.txt")
        if os.path.exists(pip_errors):
            for line in open(pip_errors).read().splitlines():
                if line.strip():
                    self.unavailable[line.split(":", 1)[0]] = "pip install failed: " + line.split(":", 1)[1].strip()
        for r in data["results"]:
            self.results.append(r)
            self.commands[r["workload"]] = self.command(argv)

    def node(self) -> None:
        argv = ["node", "node/bench/peers.mjs", self.args.node_addon]
        out = self.sh("node", argv)
        data = json.loads(out.strip().splitlines()[-1])
        self.versions.update({f"Node: {k}": v for k, v in data["versions"].items() if k != "node"})
        for r in data["results"]:
            self.results.append(r)
            self.commands[r["workload"]] = self.command(argv)

    def server(self) -> None:
        argv = ["bash", "bench/server/run.sh", "16", "5"]
        workload = "Server: SigV4 Encrypt requests/s (16 connections, 5 s), keystead serve vs moto_server"
        for attempt in range(2):
            # bench/run.sh built keystead and kms-load with everything else (one cargo invocation,
            # one keystead-core); building them again here with a different package set would
            # unify features differently and recompile the core and OpenSSL.
            out = self.sh("server", argv, env={"BENCH_PREBUILT": "1"}, timeout=600)
            for line in out.splitlines():
                for label in ("keystead", "moto"):
                    if line.startswith("{") and f'"label":"{label}"' in line.replace(" ", ""):
                        r = json.loads(line)
                        self.results.append(
                            {
                                "workload": workload,
                                "case": f"{label} run {attempt + 1}",
                                "bytes": 0,
                                "samples_ns": [1e9 / r["requests_per_second"]],
                                "median_ns": 1e9 / r["requests_per_second"],
                                "rps": r["requests_per_second"],
                                "p50_ms": r.get("p50_ms"),
                                "p99_ms": r.get("p99_ms"),
                                "errors": r.get("errors"),
                            }
                        )
        self.commands[workload] = "twice: " + self.command(argv)

    # ------------------------------------------------------------------ goals

    def find(self, workload: str, case_prefix: str) -> Optional[Result]:
        for r in self.results:
            if r["workload"] == workload and r["case"].startswith(case_prefix):
                return r
        return None

    def goal(self, name: str, workload: str, keystead: str, peer: str, target: float, profile: Optional[List[str]] = None,
             peer_workload: Optional[str] = None) -> None:
        """Ratio = peer time / Keystead time (above 1: Keystead is faster), or throughput ratio
        when `peer_workload` differs (same thing per op)."""
        k = self.find(workload, keystead)
        p = self.find(peer_workload or workload, peer)
        if k is None or p is None:
            self.goals.append({"goal": name, "workload": workload, "keystead": keystead, "peer": peer, "target": target,
                               "ratio": None, "met": None, "missing": "keystead" if k is None else "peer"})
            return
        ratio = p["median_ns"] / k["median_ns"] * (k["bytes"] / p["bytes"] if k["bytes"] and p["bytes"] else 1)
        met = ratio >= target
        self.goals.append({"goal": name, "workload": workload, "keystead": k["case"], "peer": p["case"], "target": target,
                           "ratio": ratio, "met": met, "profile": None if met else profile})

    def evaluate_goals(self) -> None:
        py = os.path.join(self.args.venv, "bin", "python")
        prof_py_encrypt = [py, "bench/profile/py_encrypt.py"]
        for direction in ("encrypt", "decrypt"):
            w = f"Python 1 KiB record {direction}"
            for k in ("keystead Encrypt, in-memory store", "keystead envelope_seal, in-memory store", "keystead Encrypt, folder store"):
                self.goal("Python 1 KiB ≥2× hand-written cryptography", w, k, "hand-written cryptography envelope", 2.0, prof_py_encrypt)
                self.goal("Python 1 KiB ≥300× ESDK default", w, k, "ESDK mpl RawAESKeyring, default", 300.0, prof_py_encrypt)
                self.goal("Python 1 KiB ≥1.5× tink", w, k, "tink KmsEnvelopeAead", 1.5, prof_py_encrypt)
        node_prof = ["node", "bench/profile/node_encrypt.cjs", self.args.node_addon]
        for direction in ("encrypt", "decrypt"):
            w = f"Node 1 KiB record {direction}"
            # The in-memory rows, as for Python: the call's own cost (the folder-store rows,
            # with SQLite and the audit log, stand beside them in the workload's table).
            for k in ("keystead encryptSync, in-memory store", "keystead decryptSync, in-memory store",
                      "keystead encrypt (async, 64 in flight), in-memory store",
                      "keystead decrypt (async, 64 in flight), in-memory store",
                      "keystead sealEnvelopeSync, in-memory store", "keystead openEnvelopeSync, in-memory store"):
                if self.find(w, k):
                    self.goal("Node ≥3× hand-written node:crypto", w, k, "node:crypto hand-written envelope", 3.0, node_prof)
        for size in ("1 MiB", "64 MiB"):
            w = f"Rust: envelope {size}"
            prof = [self.args.peers_bin, "profile-seal", size]
            self.goal(f"{size} seal ≥90% of OpenSSL AES-256-GCM, one core", w, "keystead seal, 1 thread", "openssl AES-256-GCM encrypt, 1 thread(s), preallocated", 0.9, prof)
            self.goal(f"{size} open ≥90% of OpenSSL AES-256-GCM, one core", w, "keystead open, 1 thread", "openssl AES-256-GCM decrypt, 1 thread", 0.9, prof)
            self.goal(f"{size} seal on two threads ≥1.7× OpenSSL on one core", w, "keystead seal, 2 thread", "openssl AES-256-GCM encrypt, 1 thread(s), preallocated", 1.7, prof)
            self.goal(f"{size} open on two threads ≥1.7× OpenSSL on one core", w, "keystead open, 2 thread", "openssl AES-256-GCM decrypt, 1 thread", 1.7, prof)
        for label in ("ECDSA P-256", "Ed25519"):
            w = f"Python {label} sign"
            self.goal(f"Python {label} sign ≥0.9× cryptography", w, "keystead sign", "cryptography sign", 0.9,
                      [py, "bench/profile/py_sign.py", label])
        server = "Server: SigV4 Encrypt requests/s (16 connections, 5 s), keystead serve vs moto_server"
        for attempt in (1, 2):
            self.goal("Server ≥10× moto", server, f"keystead run {attempt}", f"moto run {attempt}", 10.0)

    def profile_missed(self) -> None:
        """One perf profile per distinct command of a missed goal (about 5 s each)."""
        if "profile" in self.skip or (self.only and "profile" not in self.only):
            for g in self.goals:
                kept = self.previous_profiles.get(self.profile_key(g.get("profile")))
                if g.get("profile") and kept:
                    g["profile_text"], g["profile_command"] = kept
            return
        done: Dict[str, str] = {}
        for g in self.goals:
            argv = g.get("profile")
            if not argv:
                continue
            key = self.profile_key(argv)
            if key not in done:
                done[key] = self.perf(argv)
            g["profile_text"] = done[key]
            g["profile_command"] = self.command(argv)
            self.previous_profiles[key] = [g["profile_text"], g["profile_command"]]

    def profile_key(self, argv: Optional[List[str]]) -> str:
        """What identifies a profile across runs: its command, without the peers binary's build
        hash, which changes with every rebuild."""
        return json.dumps([("<peers>" if a == self.args.peers_bin else a) for a in argv or []])

    def perf(self, argv: List[str]) -> str:
        data = os.path.join(self.args.logs, "perf.data")
        started = time.time()
        try:
            rec = subprocess.run(["perf", "record", "-F", "499", "-g", "-o", data, "--", *argv], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
            if rec.returncode != 0:
                return f"perf record failed ({rec.returncode}): " + " / ".join(rec.stderr.strip().splitlines()[-3:])
            # Two views: the share of each library (Keystead's own code vs the interpreter, libc,
            # OpenSSL, the kernel), then the hottest symbols. The wheel and the addon are built
            # unstripped by run.sh, so Keystead's entries are function names, not addresses.
            views = []
            for sort, limit, count in (("dso", "1", 8), ("dso,symbol", "1", 16)):
                rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                                      "--percent-limit", limit, "-g", "none"], cwd=ROOT, capture_output=True, text=True,
                                     timeout=120)
                # perf pads every row to the longest symbol; the padding and the call-graph
                # placeholders ("-  -") carry nothing.
                lines = [re.sub(r"(\s+-)+\s*$", "", l).rstrip() for l in rep.stdout.splitlines()
                         if l.strip() and not l.startswith("#")]
                views.append(f"by {sort}:\n" + "\n".join(lines[:count]))
            return "\n\n".join(views)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"perf unavailable: {exc}"
        finally:
            self.step_seconds["profiles"] = self.step_seconds.get("profiles", 0.0) + time.time() - started


# ---------------------------------------------------------------------- report


def fmt_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:,.1f} µs"
    return f"{ns:,.0f} ns"


def fmt_rate(r: Result) -> str:
    if r.get("rps") is not None:
        return f"{r['rps']:,.0f} req/s"
    if r.get("bytes"):
        return f"{r['bytes'] / r['median_ns'] * 1e9 / 1e6:,.0f} MB/s"
    return f"{1e9 / r['median_ns']:,.0f} ops/s"


def spread(r: Result) -> str:
    s = r["samples_ns"]
    if len(s) < 2:
        return "1 run"
    return f"{(max(s) - min(s)) / r['median_ns'] * 100:.0f}%"


def machine() -> List[Tuple[str, str]]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    flags = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = " ".join(x for x in ["aes", "vaes", "pclmulqdq", "vpclmulqdq", "avx2", "avx512f", "sha_ni"] if x in have)
                break
    mem = open("/proc/meminfo").readline().split()[1]

    def out(*argv: str) -> str:
        try:
            return subprocess.run(list(argv), capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unavailable"

    return [
        ("CPU", f"{model}, {os.cpu_count()} logical cores ({flags})"),
        ("Memory", f"{int(mem) / 1024 / 1024:.0f} GiB"),
        ("OS", f"{platform.platform()}"),
        ("System OpenSSL", out("openssl", "version")),
        ("rustc", out("rustc", "--version")),
        ("System Python", out(sys.executable, "--version")),
        ("Node", out("node", "--version")),
        ("commit", out("git", "-C", ROOT, "describe", "--always", "--dirty")),
    ]


def write(run: Run, path: str) -> None:
    args = run.args
    load_end = " ".join(open("/proc/loadavg").read().split()[:3])
    total = time.time() - float(args.started)
    load_start = args.load_start
    if run.first_run:
        # A BENCH_ONLY re-run: the machine lines and the duration are the full run's.
        total, load_start, load_end = run.first_run["total"], run.first_run["load_start"], run.first_run["load_end"]
    run.first_run = {"total": total, "load_start": load_start, "load_end": load_end}
    lines: List[str] = []
    add = lines.append
    add("# Keystead next to its peers (`make bench`)")
    add("")
    add(f"Generated by `make bench` (bench/run.sh, bench/report.py) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"whole run {total / 60:.1f} min. Regenerate with `make bench`; read bench/README.md first.")
    add("")
    add("How to read it: every workload ran its cases in alternating rounds (each case about "
        f"{os.environ.get('BENCH_TARGET_MS', '200')} ms per round, {os.environ.get('BENCH_ROUNDS', '7')} rounds; 5 for the Python 64 MiB "
        "objects), so load from the other sessions on this shared machine hits Keystead and its peers alike. "
        "Figures are medians of the rounds; **ratios are ratios of medians from the same run and are the numbers "
        "that count**; absolute times depend on the load (below). \"spread\" is (max − min) / median of the rounds. "
        "A ratio above 1 means Keystead is faster.")
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    for k, v in machine():
        add(f"| {k} | {v} |")
    add(f"| Load average (1, 5, 15 min) at start | {load_start} |")
    add(f"| Load average at end | {load_end} |")
    for k, v in sorted(run.versions.items()):
        add(f"| {k} | {v} |")
    add("")
    add("Time per step: " + ", ".join(f"{k} {v:.0f} s" for k, v in run.step_seconds.items()) + ".")
    add("")

    add("## Goals (issue 10)")
    add("")
    add("| goal | workload | Keystead | peer | ratio | goal | met? |")
    add("|---|---|---|---|---:|---:|---|")
    for g in run.goals:
        ratio = "–" if g["ratio"] is None else f"{g['ratio']:.2f}×"
        met = "not measured" if g["met"] is None else ("**met**" if g["met"] else "**not met**")
        if g["met"] is None:
            met += f" ({g['missing']} side missing)"
        add(f"| {g['goal']} | {g['workload']} | {g['keystead']} | {g['peer']} | {ratio} | ≥{g['target']}× | {met} |")
    add("")
    profiled = {}
    for g in run.goals:
        if g.get("profile_text") and g["profile_command"] not in profiled:
            profiled[g["profile_command"]] = (g["profile_text"], [x["goal"] for x in run.goals if x.get("profile_command") == g["profile_command"] and not x["met"]])
    if profiled:
        add("### Profiles of the missed goals (Keystead side)")
        add("")
        add("`perf record -F 499 -g` of the command, then `perf report --no-children` (self time) by library "
            "(`--sort dso`) and by symbol (`--sort dso,symbol`), entries ≥1%. The Python wheel and the Node addon "
            "are unstripped builds (bench/run.sh), so Keystead's own functions show by name. See the notes in "
            "bench/README.md for what they show.")
        add("")
        for command, (text, goals) in profiled.items():
            add(f"For: {'; '.join(sorted(set(goals)))}. Command: `{command[:300]}`")
            add("")
            add("```")
            add(text)
            add("```")
            add("")

    if run.unavailable:
        add("## Peers that could not be measured here")
        add("")
        for name, why in run.unavailable.items():
            add(f"- {name}: {why}")
        add("")
    if run.notes:
        add("## Notes from this run")
        add("")
        for n in run.notes:
            add(f"- {n}")
        add("")

    add("## Workloads")
    add("")
    seen: List[str] = []
    for r in run.results:
        if r["workload"] not in seen:
            seen.append(r["workload"])
    for workload in seen:
        rows = [r for r in run.results if r["workload"] == workload]
        base = next((r for r in rows if r["case"].lower().startswith(("keystead", "c keystead", "rust"))), rows[0])
        add(f"### {workload}")
        add("")
        add(f"Command: `{run.commands.get(workload, '?')}`")
        add("")
        if rows[0].get("cpu_wall") is not None:
            add(f"Process CPU time / wall time during the rounds: {rows[0]['cpu_wall']:.2f} (below 1: the process waited for a core).")
            add("")
        has_overhead = any(r.get("overhead_bytes") is not None for r in rows)
        add(f"| case | median per op | rate | spread | ratio to \"{base['case']}\" (peer time / its time) |"
            + (" ciphertext overhead |" if has_overhead else ""))
        add("|---|---:|---:|---:|---:|" + ("---:|" if has_overhead else ""))
        for r in rows:
            ratio = r["median_ns"] / base["median_ns"]
            extra = ""
            if r.get("p50_ms") is not None:
                extra = f" (p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, errors {r['errors']})"
            over = f" {r['overhead_bytes']} B |" if has_overhead and r.get("overhead_bytes") is not None else (" |" if has_overhead else "")
            add(f"| {r['case']}{extra} | {fmt_time(r['median_ns'])} | {fmt_rate(r)} | {spread(r)} | {ratio:.2f} |{over}")
        add("")
    with open(path, "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ["peers-bin", "c-loop", "venv", "node-addon", "cache", "logs", "load-start", "started", "out"]:
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    run = Run(args)
    run.step("rust-core", run.rust_core)
    run.step("c-vs-rust", run.c_vs_rust)
    run.step("python-record", lambda: run.python("record"))
    run.step("python-large", lambda: run.python("large"))
    run.step("python-sign", lambda: run.python("sign"))
    run.step("node", run.node)
    run.step("server", run.server)
    run.step("rust-stores", run.rust_stores)
    run.evaluate_goals()
    run.profile_missed()
    write(run, os.path.join(ROOT, args.out))
    with open(os.path.join(args.logs, "results.json"), "w") as f:
        json.dump({"results": run.results, "commands": run.commands, "notes": run.notes, "unavailable": run.unavailable,
                   "versions": run.versions, "step_seconds": run.step_seconds, "profiles": run.previous_profiles,
                   "run": run.first_run}, f)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
