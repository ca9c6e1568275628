#!/usr/bin/env bash
# Renders the report in a real browser (headless Chromium, Debian package) and fails on a blank or broken page.
#   bash scripts/check_report.sh [OUT_DIR]      (default demo-out/report; installs chromium when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo-out/report}
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
[ -x .build/release/healthscore ] || swift build -c release
.build/release/healthscore report --data datasets/simulated --output "$OUT"
PAGE="file://$(realpath "$OUT")/report.html"
chromium --headless --no-sandbox --disable-gpu --dump-dom "$PAGE" 2>/dev/null > "$OUT/dom.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,2400 --screenshot="$OUT/report.png" "$PAGE" >/dev/null 2>&1
svgs=$(grep -o "<svg" "$OUT/dom.html" | wc -l || true)
size=$(stat -c %s "$OUT/report.png")
python3 - "$OUT/report.png" <<'PY'
# A blank page compresses to a few kilobytes; count distinct colours of a PNG row sample to be sure.
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h, bpp = 8, b"", 0, 0, 4
while pos < len(data):
    n = struct.unpack(">I", data[pos:pos+4])[0]; t = data[pos+4:pos+8]; body = data[pos+8:pos+8+n]
    if t == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10]); bpp = {2: 3, 6: 4}[ctype]
    if t == b"IDAT": idat += body
    pos += 12 + n
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); colours = set()
for y in range(h):
    f = raw[y*(stride+1)]; line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
    for i in range(stride):
        a = line[i-bpp] if i >= bpp else 0; b = prev[i]; c = prev[i-bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
    prev = line
    if y % 16 == 0: colours.update(bytes(line[i:i+3]) for i in range(0, stride, bpp * 4))
print(f"check_report: {w}x{h} screenshot, {len(colours)} distinct colours sampled")
assert len(colours) > 20, "the page looks blank"
PY
[ "$svgs" -ge 5 ] || { echo "check_report: only $svgs charts rendered"; exit 1; }
echo "check_report: $svgs charts rendered, screenshot $OUT/report.png ($size bytes)"
