// The in-browser verifier: encodes the form into one frame, hands it to the
// WebAssembly module (hookwarden's own diagnosis), shows the answer. No
// network request is made besides loading this page and the module.
"use strict";

const wasmUrl = new URL("verify/hookwarden_web.wasm", document.baseURI);
let module = null;

async function load() {
  const bytes = await (await fetch(wasmUrl)).arrayBuffer();
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return instance.exports;
}

function frame(fields) {
  const total = fields.reduce((n, f) => n + 4 + f.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of fields) {
    view.setUint32(at, f.length, true);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

function run(exports, bytes) {
  const ptr = exports.input_buffer(bytes.length);
  new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
  exports.run();
  const out = new Uint8Array(exports.memory.buffer, exports.output_ptr(), exports.output_len());
  return JSON.parse(new TextDecoder().decode(out));
}

function show(answer) {
  const panel = document.getElementById("result");
  const verdict = document.getElementById("verdict");
  const details = document.getElementById("details");
  details.replaceChildren();
  const add = (term, value) => {
    if (value === null || value === undefined || value === "") return;
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    details.append(dt, dd);
  };
  panel.hidden = false;
  if (answer.input_error) {
    panel.className = "bad";
    verdict.textContent = "Cannot check this input";
    add("Problem", answer.input_error);
  } else if (answer.ok) {
    panel.className = "ok";
    verdict.textContent = "Verified: the signature matches";
    add("Scheme", answer.scheme);
    add("Matching secret", `#${answer.secret_index + 1} (fingerprint ${answer.secret_fingerprint})`);
    add("Timestamp", answer.timestamp);
    add("Event header (unsigned)", answer.unsigned_event_type);
    add("Body", `${answer.body_len} bytes`);
  } else {
    panel.className = "bad";
    verdict.textContent = "Not verified";
    add("Error", `${answer.error} (HTTP ${answer.status})`);
    add("Message", answer.message);
    add("Likely cause", answer.likely_cause);
    if (answer.likely_cause) {
      const byTimestamp = ["clock_skew", "timestamp_in_milliseconds"].includes(answer.likely_cause);
      add("How it was found", answer.confirmed
        ? (byTimestamp ? "confirmed by the timestamp" : "confirmed: undoing it makes the signature match")
        : answer.likely_cause === "different_secret"
          ? "none of the usual mistakes explains it"
          : "from the request's evidence");
    }
    add("Fix", answer.hint);
    add("Checked", (answer.tried || []).join(", "));
    add("Body", `${answer.body_len} bytes`);
  }
  panel.dataset.error = answer.error || "";
  panel.dataset.cause = answer.likely_cause || "";
  panel.focus();
}

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const enc = new TextEncoder();
  const value = (id) => document.getElementById(id).value;
  const file = document.getElementById("bodyfile").files[0];
  const body = file ? new Uint8Array(await file.arrayBuffer()) : enc.encode(value("body"));
  const now = value("now").trim() || String(Math.floor(Date.now() / 1000));
  const fields = [
    enc.encode(value("scheme")),
    enc.encode(value("headers")),
    body,
    enc.encode(now),
    enc.encode(value("tolerance").trim()),
    enc.encode(value("secret")),
    enc.encode(value("secret2")),
  ];
  try {
    module = module || (await load());
    show(run(module, frame(fields)));
  } catch (e) {
    show({ input_error: `the verifier could not run: ${e}` });
  }
});

// The chosen provider's headers as a placeholder; no clock fields for
// providers whose deliveries carry no timestamp (GitHub, Shopify).
function providerChanged() {
  const option = document.getElementById("scheme").selectedOptions[0];
  document.getElementById("headers").placeholder = option.dataset.headers.replace(/&#10;/g, "\n");
  const timeless = option.hasAttribute("data-no-timestamp");
  for (const id of ["now", "tolerance"]) document.getElementById(id).disabled = timeless;
  document.getElementById("now-note").textContent = timeless
    ? "(this provider sends no timestamp)"
    : "(unix seconds; empty: now)";
}
document.getElementById("scheme").addEventListener("change", providerChanged);
providerChanged();

document.getElementById("result").tabIndex = -1;
