// Vary (Region): paint what Midjourney should redraw. No build step, no dependencies.
"use strict";

const STRINGS = {
  en: {
    brush: "Brush", rect: "Rectangle", eraser: "Eraser", undo: "Undo", clear: "Clear",
    size: "Size", prompt: "What should be there", submit: "Vary (Region)",
    loading: "Loading the picture…", sending: "Sending…",
    sent: "Sent. The result arrives in the chat; you can close this page.",
    empty: "Paint over the part to redraw first.",
    unsigned: "Open this page from the button in Telegram.",
    expired: "This button has expired. Ask for a new upscale.",
    foreign: "This picture belongs to a chat you cannot act in.",
    bad_mask: "The mask could not be read. Clear it and try again.",
    bad_request: "Something went wrong. Try again.",
    offline: "No connection to the bot. Try again.",
  },
  zh: {
    brush: "画笔", rect: "矩形", eraser: "橡皮擦", undo: "撤销", clear: "清除",
    size: "大小", prompt: "这里应该是什么", submit: "局部重绘",
    loading: "正在加载图片…", sending: "正在发送…",
    sent: "已发送。结果会出现在聊天中，可以关闭此页面。",
    empty: "请先涂抹需要重绘的区域。",
    unsigned: "请从 Telegram 中的按钮打开此页面。",
    expired: "此按钮已失效，请重新放大图片。",
    foreign: "这张图片属于你无法操作的聊天。",
    bad_mask: "无法读取蒙版，请清除后重试。",
    bad_request: "出错了，请重试。",
    offline: "无法连接到机器人，请重试。",
  },
};

// What Telegram puts in the URL fragment; telegram-web-app.js reads the same when it loads.
const fragment = new URLSearchParams(location.hash.slice(1));
const webApp = window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData
  ? window.Telegram.WebApp : null;
const initData = webApp ? webApp.initData : (fragment.get("tgWebAppData") || "");
const token = new URLSearchParams(location.search).get("t") || "";

function userLanguage() {
  try {
    const user = JSON.parse(new URLSearchParams(initData).get("user") || "{}");
    return user.language_code || navigator.language || "en";
  } catch (_) { return "en"; }
}
let lang = userLanguage().toLowerCase().startsWith("zh") ? "zh" : "en";
const t = (key) => (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;

function applyTheme() {
  let theme = webApp ? webApp.themeParams : null;
  if (!theme) {
    try { theme = JSON.parse(fragment.get("tgWebAppThemeParams") || "{}"); } catch (_) { theme = {}; }
  }
  const root = document.documentElement.style;
  for (const [key, value] of Object.entries(theme || {})) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
      root.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
}

function label() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-s]")) node.textContent = t(node.dataset.s);
}

const $ = (id) => document.getElementById(id);
const picture = $("picture"), overlay = $("overlay"), stage = $("stage");
const status = (key, text) => { $("status").textContent = text || (key ? t(key) : ""); };

// The mask at the picture's own size: opaque white where painted, transparent elsewhere.
const mask = document.createElement("canvas");
const ops = [];  // every stroke and rectangle, replayed on undo
let image = null, tool = "brush", current = null, sending = false;

function api(path, options = {}) {
  const headers = Object.assign({ "X-Telegram-Init-Data": initData }, options.headers || {});
  return fetch(path, Object.assign({}, options, { headers, credentials: "omit" }));
}

async function failure(response) {
  try {
    const body = await response.json();
    return body.message || t(body.error || "bad_request");
  } catch (_) { return t("bad_request"); }
}

function fit() {
  if (!image) return;
  const box = stage.getBoundingClientRect();
  const scale = Math.min(box.width / image.width, box.height / image.height);
  const width = Math.max(1, Math.floor(image.width * scale));
  const height = Math.max(1, Math.floor(image.height * scale));
  for (const canvas of [picture, overlay]) {
    canvas.width = width; canvas.height = height;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
  }
  picture.getContext("2d").drawImage(image, 0, 0, width, height);
  render();
}

function drawOp(ctx, op) {
  ctx.globalCompositeOperation = op.erase ? "destination-out" : "source-over";
  ctx.fillStyle = ctx.strokeStyle = "#ffffff";
  if (op.rect) {
    const [a, b] = op.rect;
    ctx.fillRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y));
    return;
  }
  ctx.lineWidth = op.size; ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(op.points[0].x, op.points[0].y);
  for (const p of op.points) ctx.lineTo(p.x, p.y);
  if (op.points.length === 1) ctx.lineTo(op.points[0].x + 0.01, op.points[0].y);
  ctx.stroke();
}

function replay() {
  const ctx = mask.getContext("2d");
  ctx.globalCompositeOperation = "source-over";
  ctx.clearRect(0, 0, mask.width, mask.height);
  for (const op of ops) drawOp(ctx, op);
  render();
}

function render() {
  const ctx = overlay.getContext("2d");
  ctx.globalCompositeOperation = "source-over";
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  ctx.drawImage(mask, 0, 0, overlay.width, overlay.height);
  if (current && current.rect) {
    const k = overlay.width / mask.width;
    ctx.save(); ctx.scale(k, k); drawOp(ctx, current); ctx.restore();
  }
  ctx.globalCompositeOperation = "source-in";
  ctx.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--accent") || "#3390ec";
  ctx.fillRect(0, 0, overlay.width, overlay.height);
}

function point(event) {
  const box = overlay.getBoundingClientRect();
  return {
    x: (event.clientX - box.left) * mask.width / box.width,
    y: (event.clientY - box.top) * mask.height / box.height,
  };
}

overlay.addEventListener("pointerdown", (event) => {
  if (!image) return;
  overlay.setPointerCapture(event.pointerId);
  const p = point(event);
  const scale = mask.width / overlay.getBoundingClientRect().width;
  current = tool === "rect" ? { rect: [p, p] }
    : { erase: tool === "eraser", size: Number($("size").value) * scale, points: [p] };
  if (!current.rect) drawOp(mask.getContext("2d"), current);
  render();
});
overlay.addEventListener("pointermove", (event) => {
  if (!current) return;
  const p = point(event);
  if (current.rect) { current.rect[1] = p; render(); return; }
  const ctx = mask.getContext("2d");
  const last = current.points[current.points.length - 1];
  current.points.push(p);
  drawOp(ctx, { erase: current.erase, size: current.size, points: [last, p] });
  render();
});
function finish() {
  if (!current) return;
  ops.push(current);
  current = null;
  replay();
}
overlay.addEventListener("pointerup", finish);
overlay.addEventListener("pointercancel", finish);

for (const name of ["brush", "rect", "eraser"]) {
  $(name).addEventListener("click", () => {
    tool = name;
    for (const other of ["brush", "rect", "eraser"]) {
      $(other).classList.toggle("active", other === name);
      $(other).setAttribute("aria-pressed", String(other === name));
    }
  });
}
$("undo").addEventListener("click", () => { ops.pop(); replay(); });
$("clear").addEventListener("click", () => { ops.length = 0; replay(); });

function maskPng() {
  const out = document.createElement("canvas");
  out.width = mask.width; out.height = mask.height;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#000000"; ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(mask, 0, 0);
  return out.toDataURL("image/png").split(",")[1];
}

function painted() {
  const data = mask.getContext("2d").getImageData(0, 0, mask.width, mask.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] >= 128) return true;
  return false;
}

async function submit() {
  if (sending || !image) return;
  if (!painted()) { status("empty"); return; }
  sending = true; $("submit").disabled = true; status("sending");
  if (webApp) webApp.MainButton.showProgress();
  try {
    const response = await api("api/submit", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ t: token, prompt: $("prompt").value, mask: maskPng() }),
    });
    if (!response.ok) { status(null, await failure(response)); return; }
    status("sent");
    document.body.dataset.sent = "1";
    if (webApp) webApp.close();
  } catch (_) {
    status("offline");
  } finally {
    sending = false; $("submit").disabled = false;
    if (webApp) webApp.MainButton.hideProgress();
  }
}

async function start() {
  applyTheme(); label();
  if (webApp) {
    webApp.ready(); webApp.expand();
    webApp.MainButton.setText(t("submit"));
    webApp.MainButton.onClick(submit);
    webApp.MainButton.show();
    $("submit").hidden = true;
  }
  $("submit").addEventListener("click", submit);
  if (!initData) { status("unsigned"); return; }
  status("loading");
  const query = token ? "?t=" + encodeURIComponent(token) : "";
  try {
    const info = await api("api/job" + query);
    if (!info.ok) { status(null, await failure(info)); return; }
    const job = await info.json();
    // The bot's catalogue names ("zh_Hans", "pt_BR"): this page has strings per language.
    const short = (job.language || "").split("_")[0];
    if (STRINGS[short]) { lang = short; label(); }
    $("prompt").value = job.prompt;
    const picture = await api("api/image" + query);
    if (!picture.ok) { status(null, await failure(picture)); return; }
    image = await createImageBitmap(await picture.blob());
    mask.width = job.width; mask.height = job.height;
    fit(); status();
    document.body.dataset.ready = "1";
  } catch (_) {
    status("offline");
  }
}

window.addEventListener("resize", fit);
if (webApp) webApp.onEvent("viewportChanged", fit);
start();
