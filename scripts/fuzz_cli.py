#!/usr/bin/env python3
"""Mutation fuzz of the built CLI: random byte edits of the bundled timeline, config and outcomes,
then `validate` and `score`; any exit status other than 0/65/66, or 65 without a message, is a failure.
usage: python3 scripts/fuzz_cli.py SEED RUNS [--models]   (needs .build/debug/healthscore)"""
import random, subprocess, os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, ".build/debug/healthscore")
base_t = open(os.path.join(ROOT, "datasets/simulated/timeline.csv"), "rb").read()[:60000]
base_t = base_t[:base_t.rfind(b"\n")+1]
base_c = open(os.path.join(ROOT, "datasets/simulated/config.yaml"), "rb").read()
base_o = open(os.path.join(ROOT, "datasets/simulated/outcomes.csv"), "rb").read()[:30000]
base_a = open(os.path.join(ROOT, "datasets/simulated/accounts.csv"), "rb").read()
base_o = base_o[:base_o.rfind(b"\n")+1]
rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
MODELS = "--models" in sys.argv        # also run fit, indicators, backtest, compare, rank and survival
sys.argv = [a for a in sys.argv if a != "--models"]
junk = [b'"', b",", b"\n", b"\r", b"\xff", b"\xc3", b"nan", b"-", b"1e999", b"", b" ", b"2024-02-30", b"\x00", b"risk", b"high", b"{", b":", b"- ", b"  "]
def mutate(b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        i = rng.randrange(len(b)+1)
        if op < 0.4: b[i:i] = rng.choice(junk)
        elif op < 0.7 and len(b) > 1: del b[i:i+rng.randint(1, 20)]
        else:
            j = rng.randrange(len(b)+1); b[i:i] = b[j:j+rng.randint(1, 30)]
    return bytes(b)
os.makedirs("/tmp/fz", exist_ok=True)
bad = 0
codes = {}
for n in range(int(sys.argv[2]) if len(sys.argv) > 2 else 300):
    t, c, o = base_t, base_c, base_o
    which = rng.random()
    if which < 0.6: t = mutate(t)
    elif which < 0.85: c = mutate(c)
    else: o = mutate(o)
    open("/tmp/fz/timeline.csv", "wb").write(t); open("/tmp/fz/config.yaml", "wb").write(c); open("/tmp/fz/outcomes.csv", "wb").write(o)
    open("/tmp/fz/accounts.csv", "wb").write(base_a)
    cmds = [["validate", "--data", "/tmp/fz", "--format", "json"], ["score", "--data", "/tmp/fz", "--format", "csv"]]
    if MODELS:
        cmds += [["fit", "--data", "/tmp/fz", "--folds", "2", "--format", "json"], ["indicators", "--data", "/tmp/fz", "--horizons", "30,90", "--format", "csv"],
                 ["backtest", "--data", "/tmp/fz", "--step", "90", "--format", "csv"], ["compare", "--data", "/tmp/fz", "--format", "json"],
                 ["rank", "--data", "/tmp/fz", "--format", "csv"], ["survival", "--data", "/tmp/fz", "--format", "json"]]
    for cmd in cmds:
        r = subprocess.run([B] + cmd, capture_output=True)
        codes[r.returncode] = codes.get(r.returncode, 0) + 1
        if r.returncode not in (0, 65, 66) or b"Fatal error" in r.stderr:
            bad += 1
            open(f"/tmp/fz/crash{n}.timeline.csv", "wb").write(t); open(f"/tmp/fz/crash{n}.config.yaml", "wb").write(c)
            print("BAD", r.returncode, cmd[0], r.stderr[-300:])
        if r.returncode == 65 and cmd[0] == "score" and not r.stderr.strip():
            print("65 without message"); bad += 1
print("codes", codes, "bad", bad)
