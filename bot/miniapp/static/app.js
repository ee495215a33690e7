// Vary (Region): paint what Midjourney should redraw. No build step, no dependencies.
"use strict";

const KEYS = ["brush", "rect", "eraser", "undo", "clear", "size", "prompt", "submit", "loading",
  "sending", "sent", "empty", "unsigned", "expired", "foreign", "bad_mask", "bad_request", "offline"];
// The bot's languages (bot/texts.py), each in the order of KEYS.
const TABLE = {
  en: ["Brush", "Rectangle", "Eraser", "Undo", "Clear", "Size", "What should be there",
    "Vary (Region)", "Loading the picture…", "Sending…",
    "Sent. The result arrives in the chat; you can close this page.",
    "Paint over the part to redraw first.", "Open this page from the button in Telegram.",
    "This button has expired. Ask for a new upscale.",
    "This picture belongs to a chat you cannot act in.",
    "The mask could not be read. Clear it and try again.", "Something went wrong. Try again.",
    "No connection to the bot. Try again."],
  zh_Hans: ["画笔", "矩形", "橡皮擦", "撤销", "清除", "大小", "这里应该是什么", "局部重绘",
    "正在加载图片…", "正在发送…", "已发送。结果会出现在聊天中，可以关闭此页面。",
    "请先涂抹需要重绘的区域。", "请从 Telegram 中的按钮打开此页面。", "此按钮已失效，请重新放大图片。",
    "这张图片属于你无法操作的聊天。", "无法读取蒙版，请清除后重试。", "出错了，请重试。",
    "无法连接到机器人，请重试。"],
  ru: ["Кисть", "Прямоугольник", "Ластик", "Отменить", "Очистить", "Размер",
    "Что должно быть здесь", "Перерисовать область", "Загружаю картинку…", "Отправляю…",
    "Отправлено. Результат придёт в чат, эту страницу можно закрыть.",
    "Сначала закрасьте часть, которую нужно перерисовать.",
    "Откройте эту страницу кнопкой в Telegram.",
    "Срок действия кнопки истёк. Сделайте апскейл заново.",
    "Эта картинка из чата, в котором вам нельзя действовать.",
    "Не удалось прочитать маску. Очистите её и попробуйте ещё раз.",
    "Что-то пошло не так. Попробуйте ещё раз.", "Нет связи с ботом. Попробуйте ещё раз."],
  es: ["Pincel", "Rectángulo", "Borrador", "Deshacer", "Borrar todo", "Tamaño",
    "Qué debería haber aquí", "Redibujar zona", "Cargando la imagen…", "Enviando…",
    "Enviado. El resultado llegará al chat; puedes cerrar esta página.",
    "Primero pinta la parte que quieres redibujar.",
    "Abre esta página desde el botón en Telegram.",
    "Este botón ha caducado. Vuelve a ampliar la imagen.",
    "Esta imagen pertenece a un chat en el que no puedes actuar.",
    "No se pudo leer la máscara. Bórrala e inténtalo de nuevo.",
    "Algo salió mal. Inténtalo de nuevo.", "Sin conexión con el bot. Inténtalo de nuevo."],
  pt_BR: ["Pincel", "Retângulo", "Borracha", "Desfazer", "Limpar", "Tamanho",
    "O que deve aparecer aqui", "Redesenhar área", "Carregando a imagem…", "Enviando…",
    "Enviado. O resultado chegará no chat; você pode fechar esta página.",
    "Primeiro pinte a parte que deve ser redesenhada.", "Abra esta página pelo botão no Telegram.",
    "Este botão expirou. Amplie a imagem de novo.",
    "Esta imagem é de um chat em que você não pode agir.",
    "Não foi possível ler a máscara. Limpe e tente de novo.", "Algo deu errado. Tente de novo.",
    "Sem conexão com o bot. Tente de novo."],
  fa: ["قلم‌مو", "مستطیل", "پاک‌کن", "واگرد", "پاک کردن همه", "اندازه", "اینجا چه باید باشد",
    "بازطراحی ناحیه", "در حال بارگیری تصویر…", "در حال ارسال…",
    "ارسال شد. نتیجه در گفتگو می‌آید؛ می‌توانید این صفحه را ببندید.",
    "اول روی بخشی که باید دوباره کشیده شود رنگ بزنید.",
    "این صفحه را از دکمهٔ آن در تلگرام باز کنید.",
    "این دکمه منقضی شده است. دوباره تصویر را بزرگ کنید.",
    "این تصویر متعلق به گفتگویی است که اجازهٔ کار در آن را ندارید.",
    "ماسک خوانده نشد. آن را پاک کنید و دوباره امتحان کنید.", "مشکلی پیش آمد. دوباره امتحان کنید.",
    "ارتباط با ربات برقرار نیست. دوباره امتحان کنید."],
  tr: ["Fırça", "Dikdörtgen", "Silgi", "Geri al", "Temizle", "Boyut", "Burada ne olmalı",
    "Bölgeyi yeniden çiz", "Resim yükleniyor…", "Gönderiliyor…",
    "Gönderildi. Sonuç sohbete gelecek; bu sayfayı kapatabilirsiniz.",
    "Önce yeniden çizilecek bölümü boyayın.", "Bu sayfayı Telegram'daki düğmeden açın.",
    "Bu düğmenin süresi doldu. Resmi yeniden büyütün.",
    "Bu resim, işlem yapamadığınız bir sohbete ait.", "Maske okunamadı. Temizleyip yeniden deneyin.",
    "Bir şeyler ters gitti. Yeniden deneyin.", "Botla bağlantı yok. Yeniden deneyin."],
  uk: ["Пензель", "Прямокутник", "Гумка", "Скасувати", "Очистити", "Розмір", "Що має бути тут",
    "Перемалювати область", "Завантажую зображення…", "Надсилаю…",
    "Надіслано. Результат прийде в чат, цю сторінку можна закрити.",
    "Спершу замалюйте частину, яку треба перемалювати.",
    "Відкрийте цю сторінку кнопкою в Telegram.",
    "Термін дії кнопки минув. Зробіть апскейл ще раз.",
    "Це зображення з чату, у якому вам не можна діяти.",
    "Не вдалося прочитати маску. Очистіть її та спробуйте ще раз.",
    "Щось пішло не так. Спробуйте ще раз.", "Немає зв'язку з ботом. Спробуйте ще раз."],
  id: ["Kuas", "Persegi", "Penghapus", "Urungkan", "Bersihkan", "Ukuran",
    "Apa yang seharusnya ada di sini", "Gambar ulang area", "Memuat gambar…", "Mengirim…",
    "Terkirim. Hasilnya akan muncul di chat; halaman ini boleh ditutup.",
    "Warnai dulu bagian yang ingin digambar ulang.", "Buka halaman ini dari tombolnya di Telegram.",
    "Tombol ini sudah kedaluwarsa. Perbesar gambarnya lagi.",
    "Gambar ini milik chat yang tidak bisa Anda gunakan.",
    "Masker tidak terbaca. Bersihkan lalu coba lagi.", "Terjadi kesalahan. Coba lagi.",
    "Tidak ada koneksi ke bot. Coba lagi."],
  ar: ["فرشاة", "مستطيل", "ممحاة", "تراجع", "مسح الكل", "الحجم", "ما الذي يجب أن يكون هنا",
    "إعادة رسم المنطقة", "جارٍ تحميل الصورة…", "جارٍ الإرسال…",
    "تم الإرسال. ستصل النتيجة إلى المحادثة؛ يمكنك إغلاق هذه الصفحة.",
    "لوّن أولاً الجزء الذي تريد إعادة رسمه.", "افتح هذه الصفحة من الزر في تيليجرام.",
    "انتهت صلاحية هذا الزر. كبّر الصورة مرة أخرى.", "هذه الصورة تخص محادثة لا يمكنك العمل فيها.",
    "تعذّرت قراءة القناع. امسحه وحاول مرة أخرى.", "حدث خطأ ما. حاول مرة أخرى.",
    "لا يوجد اتصال بالبوت. حاول مرة أخرى."],
};
const STRINGS = Object.fromEntries(Object.entries(TABLE).map(
  ([code, words]) => [code, Object.fromEntries(KEYS.map((key, i) => [key, words[i]]))]));
const RTL = new Set(["fa", "ar"]);

// "zh-hans", "pt-br", "zh" or "zh_Hans" -> a table's code (as bot/texts.py maps them).
function languageCode(code) {
  if (!code) return "en";
  if (STRINGS[code]) return code;
  const prefix = code.replace("_", "-").split("-")[0].toLowerCase();
  return Object.keys(STRINGS).find((known) => known.toLowerCase().split("_")[0] === prefix) || "en";
}

// What Telegram puts in the URL fragment; telegram-web-app.js reads the same when it loads.
const fragment = new URLSearchParams(location.hash.slice(1));
const webApp = window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData
  ? window.Telegram.WebApp : null;
const initData = webApp ? webApp.initData : (fragment.get("tgWebAppData") || "");
const token = new URLSearchParams(location.search).get("t") || "";

// Telegram's language for the user, from the signed init data; else the bot's word for it.
function userLanguage() {
  try {
    return JSON.parse(new URLSearchParams(initData).get("user") || "{}").language_code || "";
  } catch (_) { return ""; }
}
let lang = languageCode(userLanguage() || navigator.language);
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
  document.documentElement.lang = lang.replace("_", "-");
  document.documentElement.dir = RTL.has(lang) ? "rtl" : "ltr";
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
    if (!userLanguage() && job.language) { lang = languageCode(job.language); label(); }
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
