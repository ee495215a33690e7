"""What the group-chat features say (quota, admins, access), in English and Simplified Chinese.

Kept apart from bot/texts.py so both can change at once; `EN` and `ZH` merge into its tables,
and `text` here has the same contract (falls back to English) until they do.
"""

from __future__ import annotations

from typing import Final

EN: Final[dict[str, str]] = {
    "quota_group": (
        "🎟 Left today in this group: {chat_left} of {chat_limit}.\n"
        "Left today for you: {user_left} of {user_limit}.\n"
        "{reset}"
    ),
    "quota_private": "🎟 Left today: {user_left} of {user_limit} pictures.\n{reset}",
    "quota_reset": "The quota resets at {time} UTC (in {hours} h {minutes} min).",
    "admin_only": "Sorry, only the group's admins can do that.",
    "operator_only": "Sorry, only the bot's operators can do that.",
    "groups_only": "That command works in groups only.",
    "reply_to_member": "Reply to a message of the member with this command.",
    "not_a_member": "That message is not from a member I can set this for.",
    "setquota_usage": (
        "Usage:\n"
        "/setquota <n> — the group's daily pool (now {chat_limit})\n"
        "/setquota default — back to the default of {chat_default}\n"
        "/setquota user <n> — reply to a member to set their daily cap "
        "(default {user_default})\n"
        "/setquota user default — reply to a member to remove their cap"
    ),
    "setquota_chat": "✅ This group can now make {limit} pictures a day.",
    "setquota_chat_default": "✅ This group is back to the default of {limit} pictures a day.",
    "setquota_user": "✅ {name} can now make {limit} pictures a day in this group.",
    "setquota_user_default": "✅ {name} is back to the default of {limit} pictures a day.",
    "ban_done": "🚫 {name} can no longer use the bot in this group.",
    "ban_admin": "Admins can't be banned.",
    "unban_done": "✅ {name} can use the bot in this group again.",
    "banned": "Sorry, an admin of this group has turned the bot off for you.",
    "chat_not_allowed": (
        "Sorry, this bot is not available in this chat. Its operators can enable it with /allow."
    ),
    "chat_not_allowed_alert": "Sorry, this bot is not available in this chat.",
    "allow_usage": "Usage: /allow or /deny, optionally followed by a chat id.",
    "allow_done": "✅ Chat {chat_id} may use the bot.",
    "deny_done": "🚫 Chat {chat_id} may no longer use the bot.",
    "stats_queue": "📊 Midjourney: {running} running, {waiting} waiting.",
    "stats_account": "• {account}: {running}/{concurrency} running, {state}",
    "stats_healthy": "healthy",
    "stats_paused": "⏸ {reason}",
    "stats_chat": (
        "{chat}: today {today} ({today_failed} failed) · total {total} ({failed} failed)"
    ),
    "stats_none": "No jobs yet.",
    "quota_video": "🎞 A video costs {cost} pictures.",
}


ZH: Final[dict[str, str]] = {
    "quota_group": (
        "🎟 本群今天剩余：{chat_left} / {chat_limit}。\n"
        "你今天剩余：{user_left} / {user_limit}。\n"
        "{reset}"
    ),
    "quota_private": "🎟 今天剩余：{user_left} / {user_limit} 张。\n{reset}",
    "quota_reset": "配额将在 UTC {time} 重置（还有 {hours} 小时 {minutes} 分钟）。",
    "admin_only": "抱歉，只有群管理员可以这样做。",
    "operator_only": "抱歉，只有机器人运营者可以这样做。",
    "groups_only": "此命令只能在群组中使用。",
    "reply_to_member": "请回复该成员的消息来使用此命令。",
    "not_a_member": "无法为这条消息的发送者进行此设置。",
    "setquota_usage": (
        "用法：\n"
        "/setquota <n> — 本群每日总配额（当前 {chat_limit}）\n"
        "/setquota default — 恢复默认值 {chat_default}\n"
        "/setquota user <n> — 回复某成员的消息，设置其每日上限（默认 {user_default}）\n"
        "/setquota user default — 回复某成员的消息，取消其单独上限"
    ),
    "setquota_chat": "✅ 本群现在每天可以生成 {limit} 张图片。",
    "setquota_chat_default": "✅ 本群已恢复默认值：每天 {limit} 张图片。",
    "setquota_user": "✅ {name} 现在在本群每天可以生成 {limit} 张图片。",
    "setquota_user_default": "✅ {name} 已恢复默认值：每天 {limit} 张图片。",
    "ban_done": "🚫 {name} 已不能在本群使用机器人。",
    "ban_admin": "不能封禁管理员。",
    "unban_done": "✅ {name} 可以再次在本群使用机器人。",
    "banned": "抱歉，本群管理员已为你关闭了机器人。",
    "chat_not_allowed": "抱歉，此聊天无法使用本机器人。机器人运营者可以用 /allow 开启。",
    "chat_not_allowed_alert": "抱歉，此聊天无法使用本机器人。",
    "allow_usage": "用法：/allow 或 /deny，后面可以加聊天 ID。",
    "allow_done": "✅ 聊天 {chat_id} 可以使用机器人了。",
    "deny_done": "🚫 聊天 {chat_id} 已不能使用机器人。",
    "stats_queue": "📊 Midjourney：{running} 个进行中，{waiting} 个等待中。",
    "stats_account": "• {account}：{running}/{concurrency} 进行中，{state}",
    "stats_healthy": "正常",
    "stats_paused": "⏸ {reason}",
    "stats_chat": "{chat}：今天 {today}（失败 {today_failed}）· 总计 {total}（失败 {failed}）",
    "stats_none": "还没有任务。",
    "quota_video": "🎞 一个视频消耗 {cost} 张图片的配额。",
}

_TABLES: Final = {"en": EN, "zh": ZH}


def text(lang: str, key: str, **values: object) -> str:
    template = _TABLES.get(lang, EN).get(key) or EN[key]
    return template.format(**values) if values else template
