// Browser test of the in-browser verifier: Debian's chromium (headless),
// driven by playwright-core, against the page served by `hookwarden listen`
// on 127.0.0.1. Saves a screenshot of each result under artifacts/.
//
// Usage: node browser.mjs [path/to/hookwarden]   (default ../../target/debug/hookwarden)

import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { gzipSync } from "node:zlib";
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = new URL(".", import.meta.url).pathname;
const bin = process.argv[2] || `${here}../../target/debug/hookwarden`;
const artifacts = `${here}artifacts`;
mkdirSync(artifacts, { recursive: true });

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
}

// Start the receiver; its first line says where it listens.
const server = spawn(bin, ["listen", "--addr", "127.0.0.1:0", "--scheme", "mittr", "--secret", "unused-here"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const firstLine = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: server.stdout });
  lines.once("line", resolve);
  server.once("exit", (code) => reject(new Error(`hookwarden listen exited with ${code}`)));
});
const base = firstLine.match(/http:\/\/[^ ]+/)[0];
const pageUrl = `${base}/verify`;

const secret = "mittr-browser-secret";
const now = Math.floor(Date.now() / 1000);
const body = '{"eventType":"order.created","payload":{"orderId":"ord_17711","amount":74607}}';
const sign = (ts, bytes, key = secret) =>
  createHmac("sha256", key).update(`${ts}.`).update(bytes).digest("hex");
const headers = (ts, sig) => `X-Mittr-Signature: v1=${sig}\nX-Mittr-Timestamp: ${ts}`;
const hmac = (key, bytes) => createHmac("sha256", key).update(bytes).digest("hex");
const stripeSecret = "whsec_browser_stripe_secret";
const githubSecret = "It's a Secret to Everybody";
const stripePretty = JSON.stringify({ id: "evt_1", type: "invoice.paid", data: { amount: 4200 } }, null, 2);

const cases = [
  { name: "valid", secret, headers: headers(now - 10, sign(now - 10, body)), body, expect: { ok: true } },
  {
    name: "tampered-body",
    secret,
    headers: headers(now - 10, sign(now - 10, body)),
    body: body + "\n",
    expect: { error: "signature_mismatch", cause: "trailing_newline" },
  },
  {
    name: "tampered-content",
    secret,
    headers: headers(now - 10, sign(now - 10, body)),
    body: body.replace("74607", "1"),
    expect: { error: "signature_mismatch", cause: "different_secret" },
  },
  {
    name: "stale-timestamp",
    secret,
    headers: headers(now - 3600, sign(now - 3600, body)),
    body,
    expect: { error: "timestamp_too_old", cause: "clock_skew" },
  },
  {
    name: "secret-trailing-newline",
    secret: secret + "\n",
    headers: headers(now - 10, sign(now - 10, body)),
    body,
    expect: { error: "signature_mismatch", cause: "secret_whitespace" },
  },
  // Stripe: `t=` inside Stripe-Signature, the whole whsec_ secret as the key.
  {
    name: "stripe-valid",
    scheme: "stripe",
    secret: stripeSecret,
    headers: `Stripe-Signature: t=${now - 10},v1=${sign(now - 10, stripePretty, stripeSecret)}`,
    body: stripePretty,
    expect: { ok: true },
  },
  {
    name: "stripe-reserialized",
    scheme: "stripe",
    secret: stripeSecret,
    headers: `Stripe-Signature: t=${now - 10},v1=${sign(now - 10, stripePretty, stripeSecret)}`,
    body: JSON.stringify(JSON.parse(stripePretty)),
    expect: { error: "signature_mismatch", cause: "body_reserialized" },
  },
  // GitHub: the body alone, no timestamp (the clock fields are disabled).
  {
    name: "github-valid",
    scheme: "github",
    secret: githubSecret,
    headers: `X-Hub-Signature-256: sha256=${hmac(githubSecret, body)}\nX-GitHub-Event: push`,
    body,
    expect: { ok: true },
  },
  {
    name: "github-gzip-file",
    scheme: "github",
    secret: githubSecret,
    headers: `X-Hub-Signature-256: sha256=${hmac(githubSecret, body)}\nContent-Encoding: gzip`,
    file: gzipSync(Buffer.from(body)),
    expect: { error: "signature_mismatch", cause: "body_compressed" },
  },
  {
    name: "github-delivery-on-the-mittr-page",
    scheme: "mittr",
    secret: githubSecret,
    headers: `X-Hub-Signature-256: sha256=${hmac(githubSecret, body)}\nX-GitHub-Event: push`,
    body,
    expect: { error: "missing_header", cause: "wrong_scheme" },
  },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let passed = 0;
try {
  const context = await browser.newContext({ viewport: { width: 900, height: 1200 } });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(pageUrl);

  // Accessible: every field has a label.
  const unlabelled = await page.$$eval("input, textarea, select", (els) =>
    els.filter((e) => !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.id || e.name));
  if (unlabelled.length) fail(`fields without a label: ${unlabelled}`);

  // Every preset is offered.
  const offered = await page.$$eval("#scheme option", (os) => os.map((o) => o.value));
  // The presets the CLI knows (`Scheme::PRESETS`, from its usage error), in order.
  const usage = spawnSync(bin, ["verify", "--scheme", "no-such-provider", "--secret", "s"], { encoding: "utf8" });
  const listed = /\[possible values: ([^\]]+)\]/.exec(usage.stderr);
  if (!listed) fail(`no list of presets in: ${usage.stderr}`);
  const presets = listed ? listed[1].split(", ") : [];
  if (presets.length < 40) fail(`only ${presets.length} presets listed by the CLI`);
  if (JSON.stringify(offered) !== JSON.stringify(presets)) fail(`providers offered: ${offered}`);

  for (const c of cases) {
    await page.selectOption("#scheme", c.scheme || "mittr");
    await page.fill("#secret", c.secret);
    await page.fill("#secret2", "");
    await page.fill("#headers", c.headers);
    await page.fill("#body", c.body || "");
    await page.setInputFiles("#bodyfile", c.file ? [{ name: "body.gz", mimeType: "application/gzip", buffer: c.file }] : []);
    if (await page.isEnabled("#now")) await page.fill("#now", String(now));
    else if (!["github", "shopify"].includes(c.scheme)) fail(`${c.name}: the clock fields are disabled`);
    // Keyboard: focus the button and press Enter.
    await page.focus("#verify");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#result:not([hidden])");
    await page.waitForFunction(
      (expected) => {
        const r = document.getElementById("result");
        return expected.ok ? r.className === "ok" : r.dataset.error === expected.error;
      },
      c.expect,
      { timeout: 5000 },
    ).catch(() => {});
    const got = await page.$eval("#result", (r) => ({
      ok: r.className === "ok",
      error: r.dataset.error,
      cause: r.dataset.cause,
      verdict: document.getElementById("verdict").textContent,
      text: r.textContent,
    }));
    await page.screenshot({ path: `${artifacts}/${c.name}.png`, fullPage: true });
    const ok = c.expect.ok
      ? got.ok && got.verdict.startsWith("Verified")
      : got.error === c.expect.error && got.cause === c.expect.cause;
    if (!ok) fail(`${c.name}: expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(got)}`);
    else passed += 1;
    if (got.text.includes(c.secret.trim())) fail(`${c.name}: the page shows the secret`);
    if (!c.expect.ok && !got.text.includes("Checked")) fail(`${c.name}: the page does not say what it checked`);
    console.log(`${ok ? "ok  " : "FAIL"} ${c.name}: ${got.verdict}${got.cause ? ` (${got.cause})` : ""}`);
  }

  // Narrow screen: still readable.
  await page.setViewportSize({ width: 380, height: 1400 });
  await page.screenshot({ path: `${artifacts}/narrow.png`, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  if (overflow) fail("the page overflows horizontally on a narrow screen");

  // No request left for anywhere but the page's own origin.
  const foreign = requests.filter((u) => !u.startsWith(base));
  if (foreign.length) fail(`requests left the page's origin: ${foreign}`);
  const posts = requests.filter((u) => !/\/verify(\/app\.js|\/hookwarden_web\.wasm)?$/.test(u));
  if (posts.length) fail(`unexpected requests: ${posts}`);
} finally {
  await browser.close();
  server.kill();
}
const failed = cases.length - passed;
console.log(`${passed} passed, ${failed} failed`);
if (failed) process.exitCode = 1;
