#!/usr/bin/env python3
"""The studio in a real browser (DESIGN §11): headless Chromium, driven by selenium through Debian's
chromedriver. It starts `healthscore serve` on the bundled dataset (on a free port of 127.0.0.1), opens each
page and waits for its data, moves a weight on /tune with the keyboard and waits for the AUC to change and
a band move to appear, and fails on any console error. With --screenshots DIR it saves each page as PNG.

usage: studio_browser.py HEALTHSCORE_BINARY [--data DIR] [--screenshots DIR]
exit status 0 when every check passes; the server is stopped in every case.
"""
import argparse, os, re, subprocess, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_server(binary, data):
    p = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--quiet"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            if p.poll() is not None:
                raise SystemExit(f"serve exited with {p.returncode}")
            continue
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m:
            return p, f"http://127.0.0.1:{m.group(1)}"
    p.kill()
    raise SystemExit("serve did not start")


def browser():
    o = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000", "--disable-gpu"]:
        o.add_argument(a)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--data", default=os.path.join(ROOT, "datasets", "simulated"))
    ap.add_argument("--screenshots")
    a = ap.parse_args()
    server, base = start_server(a.binary, a.data)
    failures = []
    d = None
    try:
        d = browser()
        wait = WebDriverWait(d, 60)

        def check_console(page):
            for entry in d.get_log("browser"):
                if entry["level"] in ("SEVERE", "ERROR"):
                    failures.append(f"{page}: console error: {entry['message']}")

        def shot(name):
            if a.screenshots:
                os.makedirs(a.screenshots, exist_ok=True)
                d.save_screenshot(os.path.join(a.screenshots, f"studio-{name}.png"))

        def visit(path, ready, name):
            d.get(base + path)
            try:
                wait.until(lambda drv: drv.execute_script(ready))
            except Exception:
                failures.append(f"{path}: the page did not show its data: {d.find_element(By.ID, 'main').text[:300]}")
            if d.find_elements(By.CSS_SELECTOR, ".error"):
                failures.append(f"{path}: shows an error: {d.find_element(By.CSS_SELECTOR, '.error').text}")
            shot(name)
            check_console(path)

        visit("/", "return document.querySelectorAll('table tbody tr').length >= 50 && document.querySelector('svg') !== null", "portfolio")
        # Sort by a column, filter by a band: the table follows.
        d.find_element(By.XPATH, "//th/button[starts-with(normalize-space(.), 'ARR')]").click()
        wait.until(lambda drv: drv.execute_script(
            "return [...document.querySelectorAll('th button')].some(b => b.textContent.startsWith('ARR') && b.textContent.includes('\u25b2'))"))
        first = d.find_element(By.CSS_SELECTOR, "table tbody tr td a").text
        visit("/accounts/" + first, "return document.querySelectorAll('svg rect').length > 20 && document.body.innerText.includes('Waterfall')", "account")
        visit("/managers", "return document.querySelectorAll('svg circle').length >= 3 && document.querySelectorAll('tbody tr').length >= 3", "managers")
        visit("/indicators", "return document.querySelectorAll('table.heat tbody tr').length >= 3", "indicators")
        visit("/survival", "return document.querySelectorAll('svg circle').length >= 3 && document.querySelectorAll('svg path').length >= 3", "survival")
        visit("/tune", "return document.getElementById('auc') !== null", "tune")
        auc = d.find_element(By.ID, "auc").text
        moves = d.find_element(By.ID, "moves").text
        d_auc = d.execute_script("return document.getElementById('auc').textContent")
        d_moves = d.execute_script("return document.getElementById('moves').firstChild.textContent")
        # Move the first weight with the keyboard (the sliders are keyboard-operable), a long way.
        slider = d.find_element(By.ID, "w-0")
        slider.click()
        for _ in range(40):
            slider.send_keys(Keys.ARROW_LEFT)
        try:
            wait.until(lambda drv: drv.execute_script("const e = document.getElementById('auc'); return e && e.textContent") != d_auc)
            wait.until(lambda drv: drv.execute_script("const e = document.getElementById('moves'); return e && e.firstChild.textContent") not in ("0", d_moves))
        except Exception:
            failures.append(f"/tune: after moving a weight the AUC stayed {auc} or no account changed band ({d.find_element(By.ID, 'moves').text})")
        if not d.find_elements(By.CSS_SELECTOR, "#movers tbody tr a"):
            failures.append("/tune: accounts change band but none is listed")
        shot("tune-moved")
        after = d.execute_script("return document.getElementById('moves').firstChild.textContent")
        moved_auc = d.execute_script("return document.getElementById('auc').textContent")
        # Give the first factor a scale (raw 0–50 maps to 0–100): the preview follows.
        for key, value in (("min", "0"), ("max", "50")):
            box = d.find_element(By.ID, f"scale-{key}-0")
            box.clear()
            box.send_keys(value, Keys.TAB)
        try:
            wait.until(lambda drv: drv.execute_script("const e = document.getElementById('auc'); return e && e.textContent") != moved_auc)
        except Exception:
            failures.append(f"/tune: after setting a scale the AUC stayed {moved_auc}")
        check_console("/tune")
        print(f"tune: AUC {auc.splitlines()[0]} -> {d.find_element(By.ID, 'auc').text.splitlines()[0]}, "
              f"accounts changing band {d_moves} -> {after}")
    finally:
        if d is not None:
            d.quit()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            failures.append("serve did not stop on SIGTERM")
    if server.returncode not in (0, -15):
        failures.append(f"serve exited with {server.returncode} on SIGTERM")
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print("browser test:", "ok" if not failures else f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
