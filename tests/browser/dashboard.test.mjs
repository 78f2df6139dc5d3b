// The ops dashboard (/admin/) in a real browser: Debian's chromium driven by playwright-core
// (no browser download), against `payedge sim` + `payedge serve` started here on free
// loopback ports, at a desktop (1366×900) and a phone (390×844) viewport. Screenshots go to
// the artifacts folder (argv[3]).
//
//   node dashboard.test.mjs <path to payedge> <artifacts dir>
//
// Waits are for conditions in the page (a poll counter, a text), never for a fixed time.
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const [, , PAYEDGE, OUT = "browser-artifacts"] = process.argv;
if (!PAYEDGE) {
  console.error("usage: node dashboard.test.mjs <payedge binary> <artifacts dir>");
  process.exit(2);
}
const CHROMIUM = process.env.PAYEDGE_CHROMIUM || "/usr/bin/chromium";
const ADMIN_TOKEN = "browser-test-admin-token-0123456789";
const ENV = {
  ...process.env,
  TOSS_SECRET_KEY: "test_sk_browser_0000000000",
  SUPABASE_JWT_SECRET: "browser-test-jwt-secret-0123456789abcdef",
  WEBHOOK_SECRET: "browser-test-webhook-secret",
};
const POLL_MS = 1000;
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

mkdirSync(OUT, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), "payedge-browser-"));
const children = new Set();
let passed = 0, failed = 0;

// ---- the stack: seed, sim, serve ----
function payedge(args, env = ENV) {
  return execFileSync(PAYEDGE, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// Starts a server; resolves with {child, port} at its "listening on HOST:PORT" line.
function startServer(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(PAYEDGE, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    children.add(child);
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      err += chunk;
      const m = /listening on [^\s:]+:(\d+)/.exec(err);
      if (m && !child.port) {
        child.port = Number(m[1]);
        resolve({ child, port: child.port });
      }
    });
    child.on("exit", (code) => {
      children.delete(child);
      if (!child.port) reject(new Error(`payedge ${args[0]} exited ${code}: ${err}`));
    });
  });
}

function stopChild(child, signal = "SIGTERM") {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

const day = 24 * 3600 * 1000;
const iso = (ms) => new Date(ms).toISOString();
const now = Date.now();
writeFileSync(join(dir, "seed.json"), JSON.stringify({
  courses: [
    { id: "course-cpp", title: "C++", list_price: 99000, sale_price: 79000,
      sale_starts_at: iso(now - day), sale_ends_at: iso(now + 7 * day) },
    { id: "course-sql", title: "SQL", list_price: 49000 },
    { id: "course-ml", title: "ML", list_price: 129000 },
    { id: "course-old", title: "Old", list_price: 39000, active: false },
  ],
  coupons: [],
}));
writeFileSync(join(dir, "payedge.toml"),
  "[server]\nconfirm_rate_per_s = 0\nwebhook_rate_per_s = 0\n[toss]\ndeadline_ms = 1500\n");
const store = "sqlite://" + join(dir, "payedge.db");
payedge(["seed", join(dir, "seed.json"), "--store", store]);

const sim = await startServer(["sim", "--listen", "127.0.0.1:0"], ENV);
const tossUrl = `http://127.0.0.1:${sim.port}`;
function serveArgs(port) {
  return ["serve", "--config", join(dir, "payedge.toml"), "--listen", `127.0.0.1:${port}`,
          "--store", store, "--toss-url", tossUrl, "--log-file", join(dir, "payedge.log")];
}
const serveEnv = { ...ENV, PAYEDGE_ADMIN_TOKEN: ADMIN_TOKEN };
let serve = await startServer(serveArgs(0), serveEnv);
const base = `http://127.0.0.1:${serve.port}`;
// A second service without an admin token: the page must say the API is off.
const { PAYEDGE_ADMIN_TOKEN: _unused, ...noTokenEnv } = ENV;
const serveOff = await startServer(serveArgs(0), noTokenEnv);

// ---- some traffic: successes, an amount mismatch, Toss 5xx ----
const jwt = payedge(["token", "--user", "user-browser-1"]).trim();
let orderSeq = 0;
async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body),
                                 headers: { "Content-Type": "application/json", ...headers } });
  return { status: res.status, body: await res.json().catch(() => null) };
}
async function confirm(course, amount, user = "user-browser-1") {
  const orderId = `browser-order-${++orderSeq}`;
  const s = await post(`${tossUrl}/__sim/sessions`, { orderId, amount });
  const token = user === "user-browser-1" ? jwt : payedge(["token", "--user", user]).trim();
  const r = await post(`${base}/functions/v1/confirm-payment`,
                       { paymentKey: s.body.paymentKey, orderId, amount, courseId: course },
                       { Authorization: "Bearer " + token });
  r.paymentKey = s.body.paymentKey;
  return r;
}
assert.equal((await confirm("course-cpp", 79000)).status, 200);
const refunded = await confirm("course-sql", 49000);
assert.equal(refunded.status, 200);
// A refund at Toss, reported by a signed webhook: an audit row whose target is a paymentKey.
const basic = Buffer.from(ENV.TOSS_SECRET_KEY + ":").toString("base64");
assert.equal((await post(`${tossUrl}/v1/payments/${refunded.paymentKey}/cancel`,
                         { cancelReason: "browser test refund" },
                         { Authorization: "Basic " + basic })).status, 200);
await post(`${tossUrl}/__sim/webhooks`, { url: `${base}/functions/v1/toss-webhook`,
                                          paymentKey: refunded.paymentKey });
assert.equal((await confirm("course-ml", 1000, "user-browser-2")).status, 400);  // mismatch
await post(`${tossUrl}/__sim/faults`, { error_rate: 1, error_status: 500 });
assert.equal((await confirm("course-ml", 129000, "user-browser-3")).status, 502);
await post(`${tossUrl}/__sim/faults`, {});

// ---- the browser ----
// playwright-core starts chromium with a fresh temporary --user-data-dir of its own (it
// refuses one in `args`) and removes it on close.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split("\n").join("\n  ")}`);
  }
}

async function newPage(viewport, errors) {
  const context = await browser.newContext({ viewport, isMobile: viewport.width < 500,
                                             hasTouch: viewport.width < 500 });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { context, page };
}

const polls = (page) => page.evaluate(() => Number(document.body.dataset.polls || 0));
async function nextPoll(page) {
  const n = await polls(page);
  await page.waitForFunction((k) => Number(document.body.dataset.polls || 0) > k, n,
                             { timeout: 20000 });
}
async function signIn(page, url) {
  await page.goto(url);
  await page.waitForSelector("#login.open");
  assert.equal(await page.evaluate(() => document.activeElement.id), "token");
  await page.fill("#token", ADMIN_TOKEN);
  await page.press("#token", "Enter");
  await page.waitForFunction(() => Number(document.body.dataset.polls || 0) > 0,
                             null, { timeout: 20000 });
}
const noOverflow = (page) => page.evaluate(() => ({
  scroll: document.documentElement.scrollWidth, width: window.innerWidth,
}));

// Text contrast (WCAG 2): every visible element with its own text, against the first opaque
// background behind it; disabled controls are exempt.
const contrastFailures = (page) => page.evaluate(() => {
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = (e) => {
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] === 1)) return c;
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    if (e.closest("svg") || e.closest("[disabled]") || !e.offsetParent) continue;
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const fg = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
    const ratio = (Math.max(fg, b) + 0.05) / (Math.min(fg, b) + 0.05);
    if (ratio < 4.5) out.push(`${e.tagName}#${e.id}.${e.className} "${e.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return out;
});

for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
  const errors = [];
  const { context, page } = await newPage(viewport, errors);
  const url = `${base}/admin/?poll=${POLL_MS}`;

  await check(`${label}: sign in shows the state that matters now`, async () => {
    await signIn(page, url);
    assert.match(await page.textContent("#pay-state"), /ON/);
    assert.match(await page.textContent("#pay-meta"), /never changed/);
    assert.doesNotMatch(await page.evaluate(() => document.body.innerText), /1970/);
    // The confirm that met Toss 5xx left its attempt open (the reconciler settles it later).
    assert.match((await page.textContent("#open-attempts")).trim(), /^[0-9]+$/);
    assert.equal((await page.textContent("#pending-deposits")).trim(), "0");
    assert.match(await page.textContent("#courses-off"), /course-old/);
    assert.equal(await page.getAttribute("#status", "aria-live"), "polite");
  });

  await check(`${label}: no horizontal overflow`, async () => {
    const { scroll, width } = await noOverflow(page);
    assert.ok(scroll <= width, `scrollWidth ${scroll} > innerWidth ${width}`);
  });

  await check(`${label}: charts are inline SVG with data`, async () => {
    const charts = await page.$$eval("svg.chart", (s) => s.map((e) => ({
      id: e.id, paths: e.querySelectorAll("path.series").length,
      thresholds: e.querySelectorAll("line.threshold").length })));
    assert.equal(charts.length, 4);
    for (const c of charts) assert.ok(c.paths > 0, `${c.id} has no series`);
    assert.equal(charts.find((c) => c.id === "chart-p95").thresholds, 1);
    // The hour's last buckets hold this test's confirms.
    const rate = await page.$eval("#chart-toss path.series", (p) => p.getAttribute("d"));
    assert.ok(rate.length > 0);
  });

  await check(`${label}: times in KST without milliseconds, UTC on hover`, async () => {
    const t = await page.$$eval("time", (ts) => ts.map((e) => ({ text: e.textContent, title: e.title })));
    assert.ok(t.length > 0);
    for (const x of t) {
      assert.match(x.text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST$/);
      assert.match(x.title, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(UTC\)$/);
    }
  });

  await check(`${label}: every course button names its course; contrast >= 4.5`, async () => {
    const labels = await page.$$eval("#courses button", (bs) => bs.map((b) => [b.dataset.course, b.getAttribute("aria-label")]));
    assert.equal(labels.length, 4);
    for (const [id, l] of labels) assert.ok(l.includes(id), `${l} does not name ${id}`);
    assert.deepEqual(await contrastFailures(page), []);
  });

  await check(`${label}: focus survives polling`, async () => {
    await page.focus('#courses button[data-course="course-sql"]');
    await nextPoll(page);
    await nextPoll(page);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.course), "course-sql");
  });

  await check(`${label}: the change dialog is a modal; focus trapped, Escape closes, focus returns`, async () => {
    await page.click('#courses button[data-course="course-sql"]');
    await page.waitForSelector("#dialog.open");
    const d = await page.$eval("#dialog [role=dialog]", (e) => e.getAttribute("aria-modal"));
    assert.equal(d, "true");
    assert.match(await page.textContent("#dialog-effect"), /course-sql/);
    assert.match(await page.textContent("#dialog-effect"), /중단/);
    assert.equal(await page.getAttribute("#dialog-ok", "class"), "danger");
    assert.equal(await page.evaluate(() => document.activeElement.id), "reason");
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      assert.ok(await page.evaluate(() => document.getElementById("dialog").contains(document.activeElement)),
                "focus left the dialog");
    }
    await page.keyboard.press("Shift+Tab");
    assert.ok(await page.evaluate(() => document.getElementById("dialog").contains(document.activeElement)));
    assert.ok(await page.evaluate(() => document.getElementById("main").inert));
    await page.keyboard.press("Escape");
    await page.waitForSelector("#dialog.open", { state: "detached" }).catch(() => {});
    assert.equal(await page.evaluate(() => document.getElementById("dialog").classList.contains("open")), false);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.course), "course-sql");
    assert.equal(await page.evaluate(() => document.querySelectorAll(".overlay.open").length), 0);
  });

  if (label === "desktop") {
    await check(`${label}: switching a course off is audited and shown as by an operator`, async () => {
      await page.click('#courses button[data-course="course-ml"]');
      await page.waitForSelector("#dialog.open");
      await page.fill("#reason", "browser test: price bug");
      await page.fill("#actor", "oncall-kim");
      await page.click("#dialog-ok");
      await page.waitForFunction(() => /course-ml/.test(document.getElementById("courses-off").textContent));
      assert.match(await page.textContent("#courses-off"), /operator oncall-kim/);
      assert.match(await page.textContent("#status"), /saved/);
      await page.waitForFunction(() => /course\.deactivate/.test(document.getElementById("audit").textContent));
      // Turning it back on: a blue button, "goes back on sale".
      await page.click('#courses button[data-course="course-ml"]');
      await page.waitForSelector("#dialog.open");
      assert.equal(await page.getAttribute("#dialog-ok", "class"), "primary");
      assert.match(await page.textContent("#dialog-effect"), /back on sale/);
      assert.equal(await page.isHidden("#dialog-warn"), true);
      await page.keyboard.press("Escape");
    });

    await check(`${label}: the payments dialog says what will happen`, async () => {
      await page.click("#pay-toggle");
      await page.waitForSelector("#dialog.open");
      assert.match(await page.textContent("#dialog-effect"), /신규 결제가 중단됩니다/);
      assert.equal(await page.getAttribute("#dialog-ok", "class"), "danger");
      await page.keyboard.press("Escape");
      assert.equal(await page.evaluate(() => document.activeElement.id), "pay-toggle");
    });

    await check(`${label}: payment keys in the audit table are masked`, async () => {
      await page.waitForFunction(() => /payment\.cancel/.test(document.getElementById("audit").textContent));
      const text = await page.textContent("#audit");
      assert.ok(!text.includes(refunded.paymentKey), "the full paymentKey is shown");
      assert.ok(text.includes(refunded.paymentKey.slice(0, 4)), "the masked key is not shown");
    });
  }

  await page.screenshot({ path: join(OUT, `dashboard-${label}.png`), fullPage: true });

  await check(`${label}: no console errors`, async () => {
    assert.deepEqual(errors, []);
  });

  await check(`${label}: after sign-out no data stays readable`, async () => {
    await page.click("#logout");
    await page.waitForSelector("#login.open");
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, /course-cpp|course-sql|79,000|oncall-kim/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("payedge.adminToken")), null);
    await page.screenshot({ path: join(OUT, `dashboard-${label}-signed-out.png`) });
  });
  await context.close();
}

await check("admin API off: the page says so before asking for a token", async () => {
  const errors = [];
  const { context, page } = await newPage(DESKTOP, errors);
  await page.goto(`http://127.0.0.1:${serveOff.port}/admin/`);
  await page.waitForSelector("#off.open");
  assert.equal(await page.isVisible("#login"), false);
  assert.match(await page.textContent("#off"), /PAYEDGE_ADMIN_TOKEN/);
  await page.screenshot({ path: join(OUT, "dashboard-admin-off.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

await check("disconnected: greyed, controls disabled, reconnects by itself", async () => {
  const errors = [];
  const { context, page } = await newPage(PHONE, errors);
  await signIn(page, `${base}/admin/?poll=${POLL_MS}`);
  await stopChild(serve.child, "SIGKILL");
  await page.waitForSelector("body.offline", { timeout: 20000 });
  assert.match(await page.textContent("#conn"), /disconnected since \d\d:\d\d:\d\d KST/);
  assert.ok(await page.$$eval("[data-ctl]", (bs) => bs.length > 0 && bs.every((b) => b.disabled)));
  await page.screenshot({ path: join(OUT, "dashboard-phone-disconnected.png"), fullPage: true });
  serve = await startServer(serveArgs(new URL(base).port), serveEnv);
  await page.waitForSelector("body:not(.offline)", { timeout: 20000 });
  assert.ok(await page.$$eval("[data-ctl]", (bs) => bs.every((b) => !b.disabled)));
  assert.match(await page.textContent("#status"), /reconnected/);
  // The only errors allowed are the failed fetches while the server was gone.
  assert.deepEqual(errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to fetch/.test(e)), []);
  await context.close();
});

await browser.close();
for (const c of [...children]) await stopChild(c);
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
