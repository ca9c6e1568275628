#!/usr/bin/env python3
"""The studio in a real browser (DESIGN §11): headless Chromium, driven by selenium through Debian's
chromedriver. It starts `healthscore serve` on the bundled dataset (on a free port of 127.0.0.1), opens each
page and waits for its data, moves a weight on /tune with the keyboard and waits for the AUC to change and
a band move to appear, saves the tuned configuration (the file the browser downloads must be one that
`healthscore score --config` reads, with the moved weight), and fails on any console error. The binary is
first copied alone to an empty temporary directory and run from there, so the pages, script and style must
all come from inside it. A second server on a copy of the data whose account id and manager name are markup
checks, in the rendered DOM, that names from the data are text, never elements. With --screenshots DIR it
saves each page as PNG.

usage: studio_browser.py HEALTHSCORE_BINARY [--data DIR] [--screenshots DIR]
exit status 0 when every check passes; the server is stopped in every case.
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def alone(binary, folder):
    """The binary copied alone to an empty folder: nothing it could read beside it."""
    copy = os.path.join(folder, "healthscore")
    shutil.copy2(binary, copy)
    return copy


def start_server(binary, data, extra=(), env=None):
    p = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--quiet", *extra], stderr=subprocess.PIPE,
                         text=True, cwd=os.path.dirname(binary), env=env)
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


def browser(downloads):
    o = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000", "--disable-gpu"]:
        o.add_argument(a)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    o.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return d


MARKUP_ID = "A<script>window.__xss=1</script>"
MARKUP_AM = '<img src=x onerror="window.__xss=2">'


def markup_dataset(folder):
    """datasets/simulated with one account id and one manager's name made of markup (the CSV quotes them)."""
    src = os.path.join(ROOT, "datasets", "simulated")
    for f in ["timeline.csv", "outcomes.csv", "config.yaml", "accounts.csv"]:
        with open(os.path.join(src, f), encoding="utf-8") as fh:
            text = fh.read().replace("A000941", MARKUP_ID)
        if f == "accounts.csv":
            text = text.replace("am_07", '"' + MARKUP_AM.replace('"', '""') + '"')
        with open(os.path.join(folder, f), "w", encoding="utf-8") as fh:
            fh.write(text)
    return folder


def fetch_text(d, url):
    """The body of a GET from the page (with its cookie), as text."""
    return d.execute_async_script(
        "const done = arguments[arguments.length - 1]; fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(r => r.text()).then(done, e => done('ERROR ' + e))", url)


def portfolio_rows(d):
    return d.execute_script(
        "return [...document.querySelectorAll('table tbody tr')].map(tr => ({id: tr.dataset.account, "
        "churned: tr.classList.contains('churned'), risk: tr.children[1].textContent, tag: tr.querySelector('.tag.churned')?.textContent || ''}))")


def check_portfolio(d, wait, base, binary, data, failures):
    """The live book by default, ordered by ARR at risk; the churned toggle; the export equals rank's CSV, for the
    whole book and for a manager's accounts opened from /managers."""
    rank = lambda *extra: subprocess.run([binary, "rank", "--data", data, "--format", "csv", "--quiet", *extra],
                                         capture_output=True, text=True, check=True).stdout
    rows = portfolio_rows(d)
    header = d.execute_script("return [...document.querySelectorAll('th button')].map(b => b.textContent)")
    if "ARR at risk \u25bc" not in header:
        failures.append(f"/: the default order is not ARR at risk, highest first: {header}")
    risks = [float(r["risk"].replace(",", "")) for r in rows if r["risk"] != "\u2013"]
    if any(r["churned"] for r in rows) or risks != sorted(risks, reverse=True) or len(risks) < 50:
        failures.append(f"/: not the active accounts by ARR at risk: {rows[:5]}")
    expected = rank().splitlines()
    if [r["id"] for r in rows] != [line.split(",")[1] for line in expected[1:len(rows) + 1]]:
        failures.append("/: the first page is not rank's order")
    href = d.find_element(By.ID, "export").get_attribute("href")
    exported = fetch_text(d, href)
    if exported != rank():
        failures.append(f"/: the export ({href}) is not rank's CSV: {exported[:200]}")
    # The churned accounts too, marked with their churn date (sorted by account they are on the first page).
    d.find_element(By.ID, "show-churned").click()
    try:
        wait.until(lambda drv: "churned ones included" in drv.find_element(By.CSS_SELECTOR, ".pager span").text)
        d.find_element(By.CSS_SELECTOR, "th button[data-sort='account_id']").click()
        wait.until(lambda drv: any(r["churned"] for r in portfolio_rows(drv)))
        marked = [r for r in portfolio_rows(d) if r["churned"]]
        if not all(re.fullmatch(r"churned \d{4}-\d{2}-\d{2}", r["tag"]) for r in marked):
            failures.append(f"/: churned accounts without their churn date: {marked[:3]}")
        with_churned = fetch_text(d, d.find_element(By.ID, "export").get_attribute("href")).splitlines()
        if len(with_churned) <= len(expected) or [l.split(",")[1] for l in with_churned[1:]] != sorted(l.split(",")[1] for l in with_churned[1:]):
            failures.append(f"/: the export with churned accounts, by account, is not the list shown ({len(with_churned)} lines)")
    except Exception as e:
        failures.append(f"/: the churned toggle does not show the churned accounts: {e}")
    # A manager's accounts from /managers: the portfolio filtered, its export rank --am.
    d.get(base + "/managers")
    wait.until(lambda drv: drv.find_elements(By.CSS_SELECTOR, "tbody tr td a"))
    link = d.find_element(By.CSS_SELECTOR, "tbody tr td a")
    am = link.text
    link.click()
    try:
        wait.until(lambda drv: drv.find_elements(By.CSS_SELECTOR, "table[aria-label=Accounts] tbody tr"))
        if d.find_element(By.ID, "am").get_attribute("value") != am:
            failures.append(f"/managers: opening {am} does not set the portfolio's AM filter")
        if fetch_text(d, d.find_element(By.ID, "export").get_attribute("href")) != rank("--am", am):
            failures.append(f"/?am={am}: the export is not rank --am {am}")
    except Exception as e:
        failures.append(f"/managers: a group does not open its accounts: {e}")
    print(f"portfolio: {len(expected) - 1} active accounts by ARR at risk, export = rank's CSV, {am}'s = rank --am")


def check_escaping(d, wait, base, failures):
    """Names from the data end up as text nodes: the account page's heading and the portfolio's manager cells
    show the markup literally, and no element of it (no img, no second script) exists in the DOM."""
    from urllib.parse import quote
    checks = [
        ("/accounts/" + quote(MARKUP_ID, safe=""),
         "return document.querySelector('h1') && document.querySelector('h1').textContent.includes(arguments[0])", MARKUP_ID),
        ("/?am=" + quote(MARKUP_AM, safe=""),
         "return [...document.querySelectorAll('tbody td')].some(td => td.textContent === arguments[0])", MARKUP_AM),
    ]
    for path, shown, text in checks:
        d.get(base + path)
        try:
            wait.until(lambda drv: drv.execute_script(shown, text))
        except Exception:
            failures.append(f"escaping {path}: the name is not shown as text: {d.find_element(By.ID, 'main').text[:300]}")
        injected = d.execute_script("return {img: document.querySelectorAll('img').length, scripts: document.scripts.length, "
                                    "xss: window.__xss === undefined ? null : window.__xss}")
        if injected != {"img": 0, "scripts": 1, "xss": None}:
            failures.append(f"escaping {path}: markup from the data became elements: {injected}")


def check_saved(d, wait, binary, data, downloads, failures):
    """Save YAML downloads the tuned configuration; `healthscore score --config` reads it, with the first
    factor's weight as the slider shows it."""
    weight = float(d.execute_script("return document.getElementById('w-0').value"))
    d.find_element(By.XPATH, "//button[normalize-space(.)='Save YAML']").click()
    path = os.path.join(downloads, "config.yaml")
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(path):
        time.sleep(0.2)
    if not os.path.exists(path):
        failures.append(f"/tune: Save YAML downloaded nothing ({os.listdir(downloads)})")
        return
    r = subprocess.run([binary, "score", "--data", data, "--config", path, "--format", "json", "--quiet"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"/tune: the saved configuration is refused by score: {r.stderr}")
        return
    with open(path, encoding="utf-8") as fh:
        first = next((line for line in fh if line.strip().startswith("- {name:")), "")
    m = re.search(r"weight: ([0-9.eE+-]+)", first)
    if not m or abs(float(m.group(1)) - weight) > 1e-9:
        failures.append(f"/tune: the saved first weight is {m and m.group(1)}, the slider shows {weight}")


def check_versions(d, wait, binary, data, work, failures):
    """The tuner's "Save as version" writes a version into the --configs folder of a server with a token; `config
    list` shows it, the history card lists it, and an account's chart marks where it took effect (DESIGN §15)."""
    folder = os.path.join(work, "configs")
    token = "browser-token-" + str(os.getpid())
    env = dict(os.environ, HEALTHSCORE_TOKEN=token)
    server, base = start_server(binary, data, ["--configs", folder], env)
    try:
        d.get(base + "/tune?token=" + token)
        wait.until(lambda d: d.execute_script("return document.getElementById('save-version') !== null"))
        for element, value in [("version-id", "browser-v1"), ("version-author", "browser"), ("version-note", "saved in the test")]:
            d.find_element(By.ID, element).send_keys(value)
        d.execute_script("const i = document.getElementById('version-date'); i.value = '2024-01-01';")
        d.find_element(By.ID, "save-version").click()
        try:
            WebDriverWait(d, 120).until(lambda d: "saved version" in d.find_element(By.ID, "status").text
                                        or "error" in d.find_element(By.ID, "status").text.lower())
        except Exception:
            pass
        status = d.find_element(By.ID, "status").text
        if "saved version browser-v1" not in status:
            failures.append(f"/tune: Save as version did not save: {status!r}")
            return
        r = subprocess.run([binary, "config", "list", "--configs", folder, "--format", "csv"], capture_output=True,
                           text=True)
        if "browser-v1,2024-01-01,browser,saved in the test" not in r.stdout:
            failures.append(f"/tune: config list does not show the saved version: {r.stdout} {r.stderr}")
        try:
            WebDriverWait(d, 20).until(lambda d: "browser-v1" in d.find_element(By.ID, "versions").text)
        except Exception:
            failures.append(f"/tune: the history card does not list the version: {d.find_element(By.ID, 'versions').text!r}")
        d.get(base + "/accounts/A000941")
        WebDriverWait(d, 60).until(lambda d: d.execute_script("return document.querySelector('svg rect') !== null"))
        WebDriverWait(d, 20).until(lambda d: d.execute_script("return document.querySelectorAll('.version-marker').length") == 1)
        d.get(base + "/")
        WebDriverWait(d, 60).until(lambda d: "browser-v1" in d.find_element(By.ID, "config-version").text)
        print(f"versions: saved browser-v1 from the tuner; listed by config list; marked on the account's chart")
    except Exception as e:
        failures.append(f"versions: {type(e).__name__}: {e}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    written = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    if written != ["2024-01-01-browser-v1.yaml"]:
        failures.append(f"versions: the configs folder holds {written}")


def check_suggest(d, wait, base, failures):
    """Suggest loads the score-form weights and risk penalties (DESIGN §13) with their bootstrap intervals: the
    weight of every factor and the penalty of every fitted level equal the API's, and the intervals are shown."""
    status_text = "return document.getElementById('suggested').textContent"
    button = d.find_element(By.ID, "suggest")
    d.execute_script("arguments[0].scrollIntoView()", button)
    button.click()
    try:
        # The fit with its 50 bootstrap resamples takes tens of seconds in a debug build.
        WebDriverWait(d, 300).until(lambda drv: "risk penalties" in drv.execute_script(status_text))
    except Exception:
        failures.append(f"/tune: Suggest did not finish: {d.execute_script(status_text)!r}")
        return
    import json, urllib.request
    fit = json.load(urllib.request.urlopen(base + "/api/v1/fit", timeout=120))
    status = d.execute_script(status_text)
    if "95% bootstrap intervals" not in status:
        failures.append(f"/tune: Suggest shows no intervals: {status}")
    for p in fit["suggested_penalties"]:
        if not p["fitted"]:
            continue
        shown = float(d.find_element(By.ID, "risk-" + p["level"]).get_attribute("value"))
        if abs(shown - round(p["suggested"] * 100) / 100) > 1e-9:
            failures.append(f"/tune: Suggest shows risk {p['level']} {shown}, the fit says {p['suggested']}")
    for i, w in enumerate(fit["suggested_weights"]):
        slider = d.find_elements(By.ID, f"w-{i}")
        if slider and abs(float(slider[0].get_attribute("value")) - round(w["suggested"] * 100) / 100) > 0.5:
            failures.append(f"/tune: Suggest shows weight {i} {slider[0].get_attribute('value')}, the fit says {w['suggested']}")
    print(f"suggest: {status[:160]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--data", default=os.path.join(ROOT, "datasets", "simulated"))
    ap.add_argument("--screenshots")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="hs-browser-")
    os.makedirs(os.path.join(work, "bin"))
    os.makedirs(os.path.join(work, "downloads"))
    os.makedirs(os.path.join(work, "markup"))
    binary = alone(os.path.abspath(a.binary), os.path.join(work, "bin"))
    server, base = start_server(binary, os.path.abspath(a.data))
    marked = None
    failures = []
    d = None
    try:
        d = browser(os.path.join(work, "downloads"))
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
        check_portfolio(d, wait, base, binary, a.data, failures)
        check_console("/ (portfolio)")
        first = d.find_element(By.CSS_SELECTOR, "table tbody tr td a").text
        visit("/accounts/" + first, "return document.querySelectorAll('svg rect').length > 20 && document.body.innerText.includes('Waterfall')", "account")
        visit("/managers", "return document.querySelectorAll('svg circle').length >= 3 && document.querySelectorAll('tbody tr').length >= 3", "managers")
        visit("/indicators", "return document.querySelectorAll('table.heat tbody tr').length >= 3", "indicators")
        visit("/survival", "return document.querySelectorAll('svg circle').length >= 3 && document.querySelectorAll('svg path').length >= 3", "survival")
        # The landmark evaluation (DESIGN §14): the Brier curves and the AUC by time, and the table's rows.
        try:
            wait.until(lambda drv: drv.execute_script("return document.querySelectorAll('#landmark table tbody tr').length === 4 && document.querySelectorAll('#landmark svg path').length === 4"))
        except Exception:
            failures.append(f"/survival: the landmark evaluation is not shown: {d.find_element(By.ID, 'landmark').text[:300]}")
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
        check_saved(d, wait, binary, a.data, os.path.join(work, "downloads"), failures)
        check_console("/tune (save)")
        check_suggest(d, wait, base, failures)
        check_console("/tune (suggest)")
        check_versions(d, wait, binary, os.path.abspath(a.data), work, failures)
        marked, marked_base = start_server(binary, markup_dataset(os.path.join(work, "markup")))
        check_escaping(d, wait, marked_base, failures)
    finally:
        if d is not None:
            d.quit()
        if marked is not None:
            marked.terminate()
            marked.wait(timeout=20)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            failures.append("serve did not stop on SIGTERM")
    if server.returncode not in (0, -15):
        failures.append(f"serve exited with {server.returncode} on SIGTERM")
    shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print("browser test:", "ok" if not failures else f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
