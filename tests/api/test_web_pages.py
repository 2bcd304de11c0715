"""The portal pages in a real browser: Debian's Chromium, headless, driven by Selenium through
chromedriver. Each page renders from the public APIs with no console error; search finds a
Chinese substring; facets narrow; the dataset page shows the Taiwan identifier and resources;
the resource preview pages forward and back; the language switch changes the page's texts;
keyboard, labels, phone width; and axe-core's rules (WCAG A/AA, best practices) where `make test` installed it
(build/axe, never committed)."""
import os
import shutil
import tempfile

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import DEMO_CATALOG, ROOT, Server, new_database, run_import

PM25 = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
DATASET = "355000000i-000207"            # 全國細懸浮微粒手動監測資料 (the PM2.5 CSV has rows)
IDENT = "355000000I-000207"
RID = "355000000I-000207-001"
AXE = os.path.join(ROOT, "build", "axe", "node_modules", "axe-core", "axe.min.js")
PAGES = ["/", "/dataset", "/dataset?q=%E6%87%B8%E6%B5%AE", f"/dataset/{DATASET}",
         f"/dataset/{DATASET}/resource/{RID}", "/organization", "/organization/355000000i",
         "/group", "/group/e00", "/api-guide"]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", PM25, "--resource-id", RID, check=True)
    srv = Server(db)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(site):
    profile = tempfile.mkdtemp(prefix="opendata-chromium-")
    o = Options()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--lang=zh-TW", "--no-first-run",
              "--disable-background-networking", f"--user-data-dir={profile}"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=o, service=Service(shutil.which("chromedriver") or
                                                     "/usr/bin/chromedriver"))
    d.set_page_load_timeout(60)
    d.base = site.base
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(d, cond, timeout=30):
    return WebDriverWait(d, timeout, poll_frequency=0.05).until(lambda _: d.execute_script(cond))


def load(d, path, lang="zh_Hant_TW"):
    """Open a page (in a language, through the ?lang= the pages read first) and wait until it
    rendered; the browser log since the last call is returned (SEVERE entries: errors)."""
    d.get_log("browser")
    sep = "&" if "?" in path else "?"
    d.get(d.base + path + (f"{sep}lang={lang}" if lang else ""))
    wait(d, "return document.body.getAttribute('data-ready')")
    return d.get_log("browser")


def errors(log):
    return [e for e in log if e["level"] == "SEVERE"]


def texts(d, css):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, css)]


def result_count(d):
    return int("".join(c for c in d.find_element(By.ID, "h-results").text if c.isdigit()))


def follow(d, element):
    """Click a link to another page and wait for that page to render."""
    old = d.current_url
    element.click()
    wait(d, f"return location.href !== {old!r} && document.readyState === 'complete' && "
            "document.body.getAttribute('data-ready')")


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_without_console_errors(browser, path):
    log = load(browser, path)
    assert not errors(log), log
    h1 = browser.find_element(By.TAG_NAME, "h1").text
    assert h1 and h1 not in ("Not found", "找不到頁面", "錯誤", "Error")
    assert not browser.find_elements(By.CSS_SELECTOR, ".error")
    assert browser.execute_script("return document.documentElement.lang") == "zh-Hant-TW"


def test_unknown_dataset_says_not_found(browser):
    log = load(browser, "/dataset/no-such-dataset")
    assert browser.find_element(By.TAG_NAME, "h1").text == "找不到頁面"
    assert browser.find_element(By.CSS_SELECTOR, ".error[role=alert]")
    # the one failed request is the API's 404, nothing else
    assert all("package_show" in e["message"] for e in errors(log)), log


def test_search_finds_a_chinese_substring(browser):
    load(browser, "/")
    box = browser.find_element(By.ID, "q")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=q]").text == "搜尋資料集"
    box.send_keys("懸浮微粒")
    old = browser.current_url
    box.send_keys(Keys.ENTER)                          # the form submits by keyboard
    wait(browser, f"return location.href !== {old!r} && document.body.getAttribute('data-ready')")
    assert "/dataset?q=" in browser.current_url
    titles = texts(browser, "ul.datasets h3 a")
    assert "全國細懸浮微粒手動監測資料" in titles
    assert all("懸浮微粒" in t for t in titles) or 0 < len(titles) < 39
    assert result_count(browser) == len(titles)
    load(browser, "/dataset?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E5%AD%97%E4%B8%B2")  # 不存在的字串
    assert result_count(browser) == 0
    assert browser.find_element(By.CSS_SELECTOR, "main").text.count("找不到符合的資料集") == 1


def test_facet_filters_narrow_and_widen(browser):
    load(browser, "/dataset")
    total = result_count(browser)
    org = browser.find_element(By.XPATH, "//section[@aria-labelledby='facet-organization']"
                                         "//a[starts-with(., '行政院環境保護署')]")
    follow(browser, org)
    assert "organization=355000000i" in browser.current_url
    by_org = result_count(browser)
    assert 0 < by_org < total
    assert all(o == "行政院環境保護署" for o in texts(browser, "ul.datasets .org"))
    tag = browser.find_element(By.XPATH, "//section[@aria-labelledby='facet-tags']"
                                         "//a[starts-with(., 'PM2.5')]")
    follow(browser, tag)
    assert result_count(browser) < by_org
    assert texts(browser, "ul.datasets h3 a") == ["全國細懸浮微粒手動監測資料"]
    fmt = browser.find_element(By.XPATH, "//section[@aria-labelledby='facet-res_format']//a[starts-with(., 'CSV')]")
    follow(browser, fmt)
    assert result_count(browser) == 1
    # the chosen filters are listed; removing one widens again
    chips = browser.find_elements(By.CSS_SELECTOR, "ul.chips.active a")
    assert len(chips) == 3
    follow(browser, chips[0])
    assert "organization=" not in browser.current_url
    assert result_count(browser) >= 1
    cat = browser.find_elements(By.XPATH, "//section[@aria-labelledby='facet-groups']//a")
    assert cat


def test_dataset_page_shows_identifier_resources_and_api_links(browser):
    load(browser, f"/dataset/{DATASET}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "全國細懸浮微粒手動監測資料"
    assert browser.find_element(By.ID, "tw-identifier").text == IDENT
    resources = browser.find_elements(By.CSS_SELECTOR, "#resources > li")
    assert len(resources) == 2
    first = resources[0].find_element(By.CSS_SELECTOR, "h3 a")
    assert first.get_attribute("href").endswith(f"/dataset/{DATASET}/resource/{RID}")
    dumps = [a.get_attribute("href") for a in resources[0].find_elements(By.CSS_SELECTOR, "a")]
    assert any(h.endswith(f"/datastore/dump/{RID}?format=csv") for h in dumps)
    # metadata labels in Chinese and English
    labels = texts(browser, "table.meta th")
    assert any("資料集識別碼" in l and "Identifier" in l for l in labels)
    assert any("授權方式" in l and "License" in l for l in labels)
    assert browser.find_element(By.CSS_SELECTOR, "table.meta caption").text
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "ul.apis a")]
    assert any(h.endswith(f"/api/v1/rest/dataset/{IDENT}") for h in links)
    for h in links:                                    # every API link answers
        assert requests.get(h, timeout=30).status_code == 200, h


def preview_first_id(d):
    return d.find_element(By.CSS_SELECTOR, "table.preview tbody tr th").text


def test_resource_preview_pages_forward_and_back(browser):
    log = load(browser, f"/dataset/{DATASET}/resource/{RID}")
    assert not errors(log)
    caption = browser.find_element(By.CSS_SELECTOR, "table.preview caption").text
    assert "11571" in caption
    assert preview_first_id(browser) == "1"
    heads = texts(browser, "table.preview thead th")
    assert heads == ["#", "SiteName", "MonitorDate", "Concentration", "ItemUnit"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.preview tbody tr")) == 20
    prev = browser.find_element(By.ID, "preview-prev")
    assert not prev.is_enabled()
    browser.find_element(By.ID, "preview-next").click()
    wait(browser, "var c = document.querySelector('table.preview tbody th'); return c && c.textContent === '21'")
    assert "page=2" in browser.current_url
    browser.find_element(By.ID, "preview-next").send_keys(Keys.ENTER)      # by keyboard too
    wait(browser, "var c = document.querySelector('table.preview tbody th'); return c && c.textContent === '41'")
    browser.find_element(By.ID, "preview-prev").click()
    wait(browser, "var c = document.querySelector('table.preview tbody th'); return c && c.textContent === '21'")
    browser.find_element(By.ID, "preview-prev").click()
    wait(browser, "var c = document.querySelector('table.preview tbody th'); return c && c.textContent === '1'")
    assert not browser.find_element(By.ID, "preview-prev").is_enabled()
    # the page survives a reload (?page=N)
    load(browser, f"/dataset/{DATASET}/resource/{RID}?page=3")
    assert preview_first_id(browser) == "41"
    # the rows are the API's
    rec = requests.get(f"{browser.base}/api/3/action/datastore_search",
                       params={"resource_id": RID, "offset": 40, "limit": 1}, timeout=30).json()
    row = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "table.preview tbody tr:first-child td")]
    r0 = rec["result"]["records"][0]
    assert row == [str(r0[k]) for k in ["SiteName", "MonitorDate", "Concentration", "ItemUnit"]]
    links = {a.text: a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#h-dl ~ ul a")}
    assert links["CSV"].endswith(f"/datastore/dump/{RID}?format=csv")
    assert links["JSON"].endswith(f"/datastore/dump/{RID}?format=json")
    assert links["XML"].endswith(f"/datastore/dump/{RID}?format=xml")
    assert f"/api/v1/dump/datastore/{RID}" in browser.find_element(By.CSS_SELECTOR, "a.dump-tw").get_attribute("href")
    for href in links.values():
        r = requests.get(href, timeout=60)
        assert r.status_code == 200 and r.content, href


def test_resource_without_datastore_says_so(browser):
    log = load(browser, f"/dataset/{DATASET}/resource/{IDENT}-002")
    assert not errors(log)
    assert not browser.find_elements(By.CSS_SELECTOR, "table.preview")
    assert "沒有可預覽的資料" in browser.find_element(By.TAG_NAME, "main").text


def test_language_switch_changes_the_texts(browser):
    load(browser, f"/dataset/{DATASET}", lang=None)
    browser.execute_script("localStorage.removeItem('od-lang')")
    nav = lambda: texts(browser, "#site-nav a")
    want = {"zh_Hant_TW": ("資料集", "zh-Hant-TW", "資料與資源"),
            "en": ("Datasets", "en", "Data and resources"),
            "zh_Hans_CN": ("数据集", "zh-Hans-CN", "数据与资源")}
    for lang in ["en", "zh_Hans_CN", "zh_Hant_TW", "en"]:
        Select(browser.find_element(By.ID, "lang-select")).select_by_value(lang)
        wait(browser, f"return document.body.getAttribute('data-ready') === {lang!r}")
        word, html_lang, heading = want[lang]
        assert nav()[0] == word
        assert browser.execute_script("return document.documentElement.lang") == html_lang
        assert browser.find_element(By.ID, "h-res").text == heading
        assert browser.find_element(By.ID, "tw-identifier").text == IDENT
    # kept for the next page
    log = load(browser, "/dataset", lang=None)
    assert nav()[0] == "Datasets" and not errors(log)
    browser.execute_script("localStorage.removeItem('od-lang')")


def test_keyboard_skip_link_and_labels(browser):
    load(browser, "/dataset")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "skip"
    assert active.text == "跳到主要內容"
    active.send_keys(Keys.ENTER)
    wait(browser, "return document.activeElement && document.activeElement.id === 'main'")
    # every form control has a label, every table a caption and column headers
    unlabelled = browser.execute_script(
        "return Array.from(document.querySelectorAll('input, select, textarea'))"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length")
    assert unlabelled == 0
    for path in [f"/dataset/{DATASET}", f"/dataset/{DATASET}/resource/{RID}"]:
        load(browser, path)
        bad = browser.execute_script(
            "return Array.from(document.querySelectorAll('table'))"
            ".filter(t => !t.caption || !t.querySelector('th')).length")
        assert bad == 0
        assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1


@pytest.mark.parametrize("path", ["/", "/dataset", f"/dataset/{DATASET}",
                                  f"/dataset/{DATASET}/resource/{RID}", "/api-guide"])
def test_readable_on_a_phone(browser, path):
    browser.set_window_size(390, 844)
    try:
        load(browser, path)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
    finally:
        browser.set_window_size(1280, 900)


def test_api_guide_links_work(browser):
    load(browser, "/api-guide")
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "main ul.apis a")]
    assert any(h.endswith("/api/openapi.json") for h in hrefs)
    for family in ["/api/3/action/package_search", "/api/3/action/datastore_search",
                   "/datastore/dump/", "/api/v1/rest/dataset/", "/api/v1/dump/datastore/",
                   "/api/2/rest/dataset", "/v2/filter?q=", "/api/i18n/"]:
        assert any(family in h for h in hrefs), family
    for h in hrefs:
        r = requests.get(h, timeout=60)
        assert r.status_code == 200, (h, r.text[:200])


@pytest.mark.skipif(not os.path.exists(AXE), reason="axe-core not installed in build/axe (make test installs it)")
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violations_above_minor(browser, path):
    load(browser, path)
    with open(AXE, encoding="utf-8") as f:
        browser.execute_script(f.read())
    browser.set_script_timeout(60)
    found = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document)"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes[0].html])),"
        "      e => done([['axe failed', 'critical', 0, String(e)]]));")
    # WCAG A/AA and axe's best practices: anything above "minor" fails
    worse = [v for v in found if v[1] != "minor"]
    assert not worse, worse
