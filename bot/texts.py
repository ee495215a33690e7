"""Everything the bot says, in English and Simplified Chinese.

`text(lang, key, **values)` picks the user's language (Telegram's language_code) and falls back
to English, so a missing translation shows English rather than an error.
"""

from __future__ import annotations

from typing import Final

_EN: Final[dict[str, str]] = {
    "start": (
        "👋 Hi! I bring Midjourney to Telegram.\n\n"
        "Send /imagine followed by what you want to see, for example:\n"
        "/imagine a red fox in the snow --ar 3:2\n\n"
        "I'll show the progress and send back a grid of four pictures with buttons to "
        "upscale (U1–U4), make variations (V1–V4) or try again (🔄). /help tells more."
    ),
    "help": (
        "🎨 <b>How to use me</b>\n"
        "/imagine &lt;prompt&gt; — draw a 2×2 grid. Midjourney parameters such as "
        "--ar 16:9, --v 8.1 --hd, --stylize 250 or --no text go at the end. "
        "Models: {versions} (the first is Midjourney's default).\n"
        "In groups write /imagine@{bot} &lt;prompt&gt;.\n\n"
        "Send a photo with the caption /imagine &lt;prompt&gt; to use it as an image prompt; "
        "/describe on a photo suggests prompts; /blend on 2–5 photos (an album) mixes them; "
        "/shorten &lt;prompt&gt; trims a long prompt.\n\n"
        "Under a grid: U1–U4 upscale one picture, V1–V4 vary it, 🔄 draws the grid again. "
        "Under an upscale: vary, zoom out, pan and upscale further.\n\n"
        "/settings — default version, aspect ratio, stylize, speed for this chat\n"
        "/quota — what is left today\n\n"
        "Each picture job counts against a daily quota ({user_quota} per person{chat_quota})."
    ),
    "help_chat_quota": ", {chat_quota} per group",
    "usage_imagine": "Tell me what to draw, e.g. /imagine a red fox in the snow --ar 3:2",
    "prompt_too_long": "That prompt is {length} characters long; please keep it under {limit}.",
    "status_sending": "⏳ Sending to Midjourney…",
    "status_queued": "⏳ Queued — number {position} in line.",
    "status_waiting": "⏳ Midjourney accepted the job and will start soon…",
    "status_progress": "🎨 Drawing… {percent}%\n{bar}",
    "caption": "{prompt}",
    "caption_action": "{label} · {prompt}",
    "caption_downscaled": "\n(The picture was too large for Telegram; tap 📎 for the original.)",
    "button_original": "📎 Original",
    "busy": "😮‍💨 Midjourney is busy: {limit} jobs are already waiting. Please try again soon.",
    "quota_chat": "This group has used its {limit} pictures for today. The quota resets at "
    "midnight ({zone}); /quota tells when.",
    "quota_user": "You have used your {limit} pictures for today. The quota resets at "
    "midnight ({zone}); /quota tells when.",
    "button_unknown": "This button has expired.",
    "button_used": "Already done: that picture was upscaled above.",
    "button_foreign": "This button belongs to another chat.",
    "button_working": "On it…",
    "original_gone": "Sorry, the original file is no longer available.",
    "not_supported": "I can't use that. Send /imagine followed by a text prompt.",
    "internal_error": "😵 Something went wrong on my side. Please try again.",
    "failed": "❌ Midjourney could not finish this job: {reason}\nYour quota was not charged.",
    "fail_timeout": "it got no answer from Midjourney in time",
    "fail_discord_rejected": "Discord refused the request ({detail})",
    "fail_lost": "it was lost while the bot restarted",
    "fail_refused": "Midjourney did not accept the request",
    "fail_inpaint_refused": "Midjourney's editor did not take the painted area ({detail})",
    "paused": "⏸ Midjourney needs the bot's admin to look at the account. New pictures are on "
    "hold until then; please try again later.",
    "status_paused": "⏸ On hold: Midjourney needs the bot's admin to look at the account. "
    "Your job will start once that is done.",
    "status_resumed": "⏳ Back in the queue…",
    "admin_paused": "⚠️ Midjourney stopped accepting jobs from the account {account}:\n{reason}\n\n"
    "Fix it in Discord, then send /resume here.",
    "resumed": "▶️ Resumed: queued jobs go to Midjourney again.",
    "not_paused": "Nothing is paused.",
    "admins_only": "Only the bot's admins can do that.",
    "fail_internal": "an internal error",
    "fail_banned_prompt": "Midjourney's moderator flagged the prompt as against its community "
    "standards",
    "fail_invalid_parameter": "a parameter is invalid ({detail})",
    "fail_invalid_link": "Midjourney could not load an image link",
    "fail_output_filtered": "the result was blocked by Midjourney's output filters",
    "fail_queue_full": "Midjourney's own queue is full",
    "fail_credits_exhausted": "the Midjourney account is out of fast hours",
    "fail_subscription": "the Midjourney subscription is not active",
    "fail_blocked": "the Midjourney account is blocked",
    "fail_pending_moderation": "the Midjourney account has a moderation message to acknowledge",
    "fail_action_needed": "Midjourney needs the account owner to take an action",
    "fail_verify_human": "Midjourney asks the account owner to verify they are human",
    "fail_duplicate_images": "the images are duplicates",
    "fail_job_failed": "Midjourney could not complete the job",
    "fail_stopped": "Midjourney stopped the job",
    "fail_unknown": "{detail}",
    "picture_too_big": "That picture is over Telegram's 20 MB download limit; please send a "
    "smaller one.",
    "too_many_pictures": "Please use at most {limit} pictures.",
    "usage_image_prompt": "Add what to draw after /imagine, or send 2–5 pictures together.",
    "describe_one": "/describe works on one picture at a time.",
    "blend_count": "/blend needs 2 to 5 pictures, sent together as an album.",
    "blend_dims": "/blend takes only a shape: --ar 2:3, --ar 1:1 or --ar 3:2.",
    "usage_describe": "Send a picture with the caption /describe, or reply /describe to a "
    "picture.",
    "usage_blend": "Send 2–5 pictures as an album with the caption /blend (optionally "
    "--ar 2:3, 1:1 or 3:2).",
    "picture_hint": "To use this picture, send it with a caption: /imagine <prompt> to draw "
    "from it, or /describe to get prompts for it.",
    "upload_failed": "❌ I could not pass your picture on to Midjourney. Please try again; "
    "your quota was not charged.",
    "described": "🔎 Midjourney reads your picture as:\n\n{prompts}\n\nTap a number to draw it.",
    "not_an_image": "I can only use pictures (JPEG, PNG or WebP).",
    "ask_zoom": "🔎 Custom Zoom: reply with a zoom factor from 1 to 2, optionally followed by a "
    "new prompt, e.g. 1.5 a wider view of the bay",
    "zoom_invalid": "Please reply with a number from 1 to 2 first, e.g. 1.5 or 1.8 a wider view.",
    # -- issue 9: /shorten, prompt checks, /settings, operators' account commands --
    "usage_shorten": "Send /shorten followed by a long prompt: Midjourney suggests shorter "
    "versions, and you tap one to draw it.",
    "shortened": "✂️ Midjourney's shorter versions of your prompt:\n\n{prompts}\n\n"
    "Tap a number to draw it.",
    "prompt_blocked": "🚫 Not sent — blocked term: {term}\nMidjourney suspends accounts for "
    "prompts like this, so every prompt is checked first. Please rephrase it.",
    "prompt_params": "⚠️ Not sent to Midjourney — please fix the parameters:\n{problems}",
    "param_bad_weight": "“{value}”: a weight after :: must be a number, e.g. ::2",
    "param_missing_value": "--{name} needs a value",
    "param_unexpected_value": "--{name} takes no value (found “{value}”)",
    "param_bad_value": "--{name} {value}: {reason}",
    "reason_whole_number": "must be a whole number",
    "reason_number": "must be a number",
    "reason_version": "must be a version number, e.g. 8.1",
    "reason_one_word": "must be one word",
    "reason_ratio": "must be W:H with whole numbers above 0, e.g. 16:9",
    "reason_end": "must be one image link or loop",
    "reason_sref": "must be image links, style codes or random",
    "reason_links": "must be image links",
    "reason_codes": "must be profile or moodboard codes",
    "reason_one_link": "must be one image link",
    "settings_menu": "⚙️ Settings for this chat\nThey are added to every /imagine prompt that "
    "does not set them itself.\n\nNow: {current}\n\nRows: version · HD/SD or draft where the "
    "version has them · aspect ratio · stylize · speed · raw style. Tap a ✓ choice again to "
    "clear it.",
    "settings_group_note": "\nOnly the group's admins can change them.",
    "settings_none": "Midjourney's own defaults",
    "settings_fast": "⚡ fast",
    "settings_relax": "🐢 relax",
    "settings_turbo": "🚀 turbo",
    "settings_raw_on": "raw style on",
    "settings_raw_off": "raw style off",
    "settings_reset": "♻️ Reset",
    "settings_saved": "Saved.",
    "settings_admins_only": "Only this group's admins can change its settings.",
    "settings_unknown": "That choice no longer exists; send /settings again.",
    "operators_only": "Sorry, only the bot's operators can do that.",
    "info_title": "ℹ️ The Midjourney account",
    "info_plan": "Plan",
    "info_mode": "Mode",
    "info_visibility": "Visibility",
    "info_fast_left": "Fast time left",
    "info_lifetime": "Lifetime usage",
    "info_relaxed": "Relaxed usage",
    "info_queued_fast": "Queued jobs (fast)",
    "info_queued_relax": "Queued jobs (relax)",
    "info_running": "Running jobs",
    "mode_now_fast": "⚡ The Midjourney account now runs in fast mode.",
    "mode_now_relax": "🐢 The Midjourney account now runs in relax mode.",
    "midjourney_says": "✅ Midjourney: {reply}",
    # -- issue 17: video --
    "usage_video": "🎞 Send a photo with the caption /video followed by how it should move, "
    "or reply /video <prompt> to a photo. Options: --motion low|high, --loop, --bs 1|2|4. "
    "An album of two photos: the second one is the last frame.",
    "video_pictures": "A video starts from one photo; a second one (an album of two) becomes "
    "its last frame. Please send one or two.",
    "video_turbo": "⚠️ Not sent — Midjourney says: Turbo mode isn't supported for video jobs. "
    "Please remove --turbo.",
    "video_too_large": "The video is too large for Telegram (over 50 MB).\n{prompt}",
    "ask_motion": "🎞 Remix is on: reply with the motion prompt for this video. The job's "
    "prompt was:\n{prompt}",
    "motion_expired": "That question has expired; tap the button again.",
}

_ZH: Final[dict[str, str]] = {
    "start": (
        "👋 你好！我把 Midjourney 带到了 Telegram。\n\n"
        "发送 /imagine 加上你想看到的画面，例如：\n"
        "/imagine 雪地里的一只红狐狸 --ar 3:2\n\n"
        "我会显示进度，并发回一张四宫格图片，附带按钮：放大（U1–U4）、变体（V1–V4）或重画（🔄）。"
        "更多说明请看 /help。"
    ),
    "help": (
        "🎨 <b>使用方法</b>\n"
        "/imagine &lt;提示词&gt; — 生成 2×2 四宫格。Midjourney 参数（如 --ar 16:9、--v 8.1 --hd、"
        "--stylize 250、--no text）写在最后。"
        "可选模型：{versions}（第一个是 Midjourney 的默认模型）。\n"
        "在群组中请写 /imagine@{bot} &lt;提示词&gt;。\n\n"
        "发送图片并以 /imagine &lt;提示词&gt; 作为说明，可把图片用作图像提示；"
        "对图片使用 /describe 可得到提示词建议；对 2–5 张图片（相册）使用 /blend 可混合它们；"
        "/shorten &lt;提示词&gt; 可精简过长的提示词。\n\n"
        "四宫格下方：U1–U4 放大单张，V1–V4 生成变体，🔄 重新生成。"
        "放大图下方：变化、缩小、平移和进一步放大。\n\n"
        "/settings — 设置本聊天的默认版本、宽高比、风格化和速度\n"
        "/quota — 查看今日剩余配额\n\n"
        "每个任务计入每日配额（每人 {user_quota} 次{chat_quota}）。"
    ),
    "help_chat_quota": "，每个群组 {chat_quota} 次",
    "usage_imagine": "请告诉我要画什么，例如：/imagine 雪地里的一只红狐狸 --ar 3:2",
    "prompt_too_long": "提示词长度为 {length} 个字符，请控制在 {limit} 以内。",
    "status_sending": "⏳ 正在发送给 Midjourney…",
    "status_queued": "⏳ 排队中——第 {position} 位。",
    "status_waiting": "⏳ Midjourney 已接受任务，即将开始…",
    "status_progress": "🎨 绘制中… {percent}%\n{bar}",
    "caption": "{prompt}",
    "caption_action": "{label} · {prompt}",
    "caption_downscaled": "\n（图片超出 Telegram 限制，已缩小；点 📎 获取原图。）",
    "button_original": "📎 原图",
    "busy": "😮‍💨 Midjourney 正忙：已有 {limit} 个任务在等待，请稍后再试。",
    "quota_chat": "本群今天的 {limit} 张配额已用完，配额在 {zone} 零点重置；/quota 可查看时间。",
    "quota_user": "你今天的 {limit} 张配额已用完，配额在 {zone} 零点重置；/quota 可查看时间。",
    "button_unknown": "此按钮已失效。",
    "button_used": "已经完成：这张图片已在上方放大。",
    "button_foreign": "此按钮属于另一个聊天。",
    "button_working": "处理中…",
    "original_gone": "抱歉，原图已不可用。",
    "not_supported": "无法处理此内容。请发送 /imagine 加上文字提示词。",
    "internal_error": "😵 我这边出了点问题，请重试。",
    "failed": "❌ Midjourney 未能完成此任务：{reason}\n本次未扣除配额。",
    "fail_timeout": "Midjourney 长时间没有响应",
    "fail_discord_rejected": "Discord 拒绝了请求（{detail}）",
    "fail_lost": "机器人重启时任务丢失",
    "fail_refused": "Midjourney 没有接受该请求",
    "fail_inpaint_refused": "Midjourney 的编辑器没有接受涂抹的区域（{detail}）",
    "paused": "⏸ Midjourney 账号需要管理员处理。在此之前新的任务暂停，请稍后再试。",
    "status_paused": "⏸ 已暂停：Midjourney 账号需要管理员处理，处理完成后任务会自动开始。",
    "status_resumed": "⏳ 已重新排队…",
    "admin_paused": "⚠️ Midjourney 已停止接受账号 {account} 的任务：\n{reason}\n\n"
    "请在 Discord 中处理，然后在这里发送 /resume。",
    "resumed": "▶️ 已恢复：排队的任务会重新发送给 Midjourney。",
    "not_paused": "当前没有暂停。",
    "admins_only": "只有机器人管理员可以这样做。",
    "fail_internal": "内部错误",
    "fail_banned_prompt": "Midjourney 审核认为提示词违反社区规范",
    "fail_invalid_parameter": "参数无效（{detail}）",
    "fail_invalid_link": "Midjourney 无法加载图片链接",
    "fail_output_filtered": "结果被 Midjourney 的输出过滤器拦截",
    "fail_queue_full": "Midjourney 自身的队列已满",
    "fail_credits_exhausted": "Midjourney 账号的快速时长已用完",
    "fail_subscription": "Midjourney 订阅未激活",
    "fail_blocked": "Midjourney 账号已被封禁",
    "fail_pending_moderation": "Midjourney 账号有待确认的审核消息",
    "fail_action_needed": "Midjourney 需要账号所有者进行操作",
    "fail_verify_human": "Midjourney 要求账号所有者进行人机验证",
    "fail_duplicate_images": "图片重复",
    "fail_job_failed": "Midjourney 无法完成任务",
    "fail_stopped": "Midjourney 停止了任务",
    "fail_unknown": "{detail}",
    "picture_too_big": "图片超过了 Telegram 的 20 MB 下载限制，请发送较小的图片。",
    "too_many_pictures": "最多使用 {limit} 张图片。",
    "usage_image_prompt": "请在 /imagine 后写上要画的内容，或一次发送 2–5 张图片。",
    "describe_one": "/describe 每次只能处理一张图片。",
    "blend_count": "/blend 需要 2 到 5 张图片，请以相册形式一起发送。",
    "blend_dims": "/blend 只接受形状参数：--ar 2:3、--ar 1:1 或 --ar 3:2。",
    "usage_describe": "发送图片并附上说明 /describe，或回复图片 /describe。",
    "usage_blend": "以相册形式发送 2–5 张图片，并附上说明 /blend（可加 --ar 2:3、1:1 或 3:2）。",
    "picture_hint": "要使用这张图片，请附上说明发送：/imagine <提示词> 以它为参考作画，"
    "或 /describe 获取提示词。",
    "upload_failed": "❌ 无法把图片转交给 Midjourney，请重试；本次未扣除配额。",
    "described": "🔎 Midjourney 对图片的解读：\n\n{prompts}\n\n点击数字即可生成。",
    "not_an_image": "我只能处理图片（JPEG、PNG 或 WebP）。",
    "ask_zoom": "🔎 自定义缩放：请回复 1 到 2 之间的缩放倍数，后面可以加上新的提示词，"
    "例如 1.5 更广阔的海湾",
    "zoom_invalid": "请先回复 1 到 2 之间的数字，例如 1.5 或 1.8 更广阔的视野。",
    # -- issue 9: /shorten, prompt checks, /settings, operators' account commands --
    "usage_shorten": "发送 /shorten 加上一段较长的提示词：Midjourney 会给出更短的版本，"
    "点一下即可生成。",
    "shortened": "✂️ Midjourney 建议的精简提示词：\n\n{prompts}\n\n点击数字即可生成。",
    "prompt_blocked": "🚫 未发送——包含屏蔽词：{term}\nMidjourney 会因这类提示词封禁账号，"
    "所以每条提示词都会先经过检查。请换一种说法。",
    "prompt_params": "⚠️ 未发送给 Midjourney——请修正以下参数：\n{problems}",
    "param_bad_weight": "“{value}”：:: 后面的权重必须是数字，例如 ::2",
    "param_missing_value": "--{name} 需要一个值",
    "param_unexpected_value": "--{name} 不接受值（发现“{value}”）",
    "param_bad_value": "--{name} {value}：{reason}",
    "reason_whole_number": "必须是整数",
    "reason_number": "必须是数字",
    "reason_version": "必须是版本号，例如 8.1",
    "reason_one_word": "必须是一个单词",
    "reason_ratio": "必须是 宽:高 的形式，且都是大于 0 的整数，例如 16:9",
    "reason_end": "必须是一个图片链接或 loop",
    "reason_sref": "必须是图片链接、风格代码或 random",
    "reason_links": "必须是图片链接",
    "reason_codes": "必须是个性化或情绪板代码",
    "reason_one_link": "必须是一个图片链接",
    "settings_menu": "⚙️ 本聊天的设置\n未自行设置这些参数的 /imagine 提示词都会自动加上它们。"
    "\n\n当前：{current}\n\n各行依次为：版本 · HD/SD 或 draft（该版本支持时）· 宽高比 · "
    "风格化 · 速度 · raw 风格。"
    "再次点击带 ✓ 的选项即可取消。",
    "settings_group_note": "\n只有群管理员可以修改。",
    "settings_none": "Midjourney 默认设置",
    "settings_fast": "⚡ 快速",
    "settings_relax": "🐢 放松",
    "settings_turbo": "🚀 极速",
    "settings_raw_on": "raw 风格 开",
    "settings_raw_off": "raw 风格 关",
    "settings_reset": "♻️ 重置",
    "settings_saved": "已保存。",
    "settings_admins_only": "只有本群管理员可以修改设置。",
    "settings_unknown": "该选项已失效，请重新发送 /settings。",
    "operators_only": "抱歉，只有机器人的管理者可以执行此操作。",
    "info_title": "ℹ️ Midjourney 账号",
    "info_plan": "订阅",
    "info_mode": "模式",
    "info_visibility": "可见性",
    "info_fast_left": "剩余快速时长",
    "info_lifetime": "累计用量",
    "info_relaxed": "放松模式用量",
    "info_queued_fast": "排队任务（快速）",
    "info_queued_relax": "排队任务（放松）",
    "info_running": "运行中的任务",
    "mode_now_fast": "⚡ Midjourney 账号已切换到快速模式。",
    "mode_now_relax": "🐢 Midjourney 账号已切换到放松模式。",
    "midjourney_says": "✅ Midjourney：{reply}",
    "usage_video": "🎞 发送一张照片，并附上说明 /video 加上画面应如何运动；或者回复一张照片 "
    "/video <提示词>。选项：--motion low|high、--loop、--bs 1|2|4。发送两张照片的相册时，"
    "第二张是最后一帧。",
    "video_pictures": "视频从一张照片开始；第二张照片（两张的相册）作为最后一帧。"
    "请发送一张或两张。",
    "video_turbo": "⚠️ 未发送 — Midjourney 表示：Turbo mode isn't supported for video jobs。"
    "请去掉 --turbo。",
    "video_too_large": "视频太大，无法通过 Telegram 发送（超过 50 MB）。\n{prompt}",
    "ask_motion": "🎞 Remix 已开启：请回复这个视频的运动提示词。原任务的提示词是：\n{prompt}",
    "motion_expired": "这个问题已过期，请重新点击按钮。",
}

_TABLES: Final = {"en": _EN, "zh": _ZH}
LANGUAGES: Final = tuple(_TABLES)


def language_of(code: str | None) -> str:
    """Map Telegram's IETF language_code (e.g. "zh-hans") to one we speak."""
    if code and code.lower().startswith("zh"):
        return "zh"
    return "en"


def text(lang: str, key: str, **values: object) -> str:
    template = _TABLES.get(lang, _EN).get(key) or _EN[key]
    return template.format(**values) if values else template


def failure_reason(lang: str, reason: str, detail: str) -> str:
    key = f"fail_{reason}"
    if key not in _EN:
        key = "fail_unknown"
    return text(lang, key, detail=detail or reason)


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "▰" * filled + "▱" * (width - filled)
