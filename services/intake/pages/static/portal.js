// The citizen portal's shared words (report and tracking pages), zh first with English.
"use strict";
Hotline.messages({
  zh: {
    "report.heading": "我要反映问题", "report.lead": "无需注册。提交后会收到工单号和查询链接。",
    "report.type": "诉求类型", "report.category": "问题分类",
    "report.category.placeholder": "例如：噪音、路灯、zyrm", "report.category.hint": "输入关键词或拼音首字母，如：噪音、zyrm",
    "report.category.unsure": "不确定分类，交由工作人员判断", "report.place": "问题地点（社区）",
    "report.place.placeholder": "例如：永安里、朝阳 建外", "report.locate": "使用我的位置",
    "report.locate.near": "您的位置靠近{name}，请在下方选择所在社区。",
    "report.locate.none": "无法根据位置确定区域，请输入社区名称或描述地点。",
    "report.locate.denied": "未获得位置权限，请输入社区名称或描述地点。",
    "report.address": "详细地址或位置描述", "report.address.placeholder": "例如：XX路XX号门口",
    "report.description": "问题描述", "report.description.placeholder": "请描述发生了什么、持续多久",
    "report.photos": "照片（选填，最多3张）", "report.photos.hint": "照片中的位置等信息会被去除。",
    "report.phone": "手机号码", "report.send_code": "获取验证码", "report.resend": "{s}秒后重发",
    "report.code": "短信验证码", "report.verify": "验证", "report.verified": "✓ 号码已验证",
    "report.hide": "不向承办部门提供我的号码", "report.submit": "提交", "report.sending": "正在提交…",
    "report.need_verify": "请先验证手机号码", "report.need_description": "请描述问题",
    "report.done": "已受理", "report.number": "工单号",
    "report.review": "工作人员会先确认分类和地点，再交办。", "report.track": "查看办理进度",
    "report.sms": "我们也已把查询链接发送到您的手机。", "report.change": "更改",
    "track.lookup": "查询办理进度", "track.number": "工单号", "track.send_code": "发送验证码",
    "track.number.hint": "验证码会发送到该工单登记的手机号码。", "track.open": "查询",
    "track.number_hidden": "号码", "track.number_hidden.yes": "未提供给承办部门",
    "track.heading": "办理进度", "track.category": "反映事项", "track.place": "地点", "track.status": "状态",
    "track.invalid": "链接无效或已失效", "track.texts.on": "办理进展会短信通知您。",
    "track.texts.off": "您已退订办理进展短信。", "track.texts.stop": "退订短信", "track.texts.start": "恢复短信通知",
    "entry.accepted": "已受理", "entry.answered": "已直接答复", "entry.dispatched": "已交办：{department}",
    "entry.contacted": "承办单位已与您联系", "entry.resolved": "已办结：{department}",
    "entry.rated": "您的评价：{text}", "entry.reopened": "已要求重新办理", "entry.closed": "已办结归档",
  },
  en: {
    "report.heading": "Report a problem", "report.lead": "No account needed. You get a case number and a tracking link.",
    "report.type": "Kind of request", "report.category": "What is it about",
    "report.category.placeholder": "e.g. noise, street light, zyrm", "report.category.hint": "Type a word or pinyin initials, e.g. 噪音 or zyrm",
    "report.category.unsure": "Not sure: let the hotline decide", "report.place": "Where (community)",
    "report.place.placeholder": "e.g. 永安里, 朝阳 建外", "report.locate": "Use my location",
    "report.locate.near": "You seem to be near {name}; pick your community below.",
    "report.locate.none": "Your position matches no known area; type the community or describe the place.",
    "report.locate.denied": "No location permission; type the community or describe the place.",
    "report.address": "Address or description of the place", "report.address.placeholder": "e.g. gate of No. 5, XX Road",
    "report.description": "What happened", "report.description.placeholder": "What is happening, since when",
    "report.photos": "Photos (optional, up to 3)", "report.photos.hint": "Location data in photos is removed.",
    "report.phone": "Mobile number", "report.send_code": "Send code", "report.resend": "Resend in {s}s",
    "report.code": "Code from the text", "report.verify": "Verify", "report.verified": "✓ Number verified",
    "report.hide": "Do not give my number to the department", "report.submit": "Send", "report.sending": "Sending…",
    "report.need_verify": "Verify your number first", "report.need_description": "Describe the problem",
    "report.done": "Received", "report.number": "Case number",
    "report.review": "The hotline checks the matter and place before passing it on.", "report.track": "Follow my case",
    "report.sms": "The tracking link was also texted to you.", "report.change": "Change",
    "track.lookup": "Follow a case", "track.number": "Case number", "track.send_code": "Send code",
    "track.number.hint": "The code goes to the mobile number on the case.", "track.open": "Open",
    "track.number_hidden": "Number", "track.number_hidden.yes": "Not given to the department",
    "track.heading": "Progress", "track.category": "Matter", "track.place": "Place", "track.status": "Status",
    "track.invalid": "This link is not valid (any more)", "track.texts.on": "You get a text at each step.",
    "track.texts.off": "You asked for no more texts.", "track.texts.stop": "Stop texts", "track.texts.start": "Send texts again",
    "entry.accepted": "Received", "entry.answered": "Answered by the hotline", "entry.dispatched": "Passed to {department}",
    "entry.contacted": "The department contacted you", "entry.resolved": "Resolved by {department}",
    "entry.rated": "Your rating: {text}", "entry.reopened": "To be handled again", "entry.closed": "Closed",
  },
});

const Portal = (() => {
  const $ = (id) => document.getElementById(id);
  const langButton = $("lang-switch");
  langButton.addEventListener("click", () => Hotline.setLang(Hotline.lang() === "zh" ? "en" : "zh"));

  // The field a problem names, for showErrors: a body field's last part ("phone").
  function simplify(problem) {
    const errors = (problem.errors || []).map((e) => ({ ...e, field: String(e.field).split(".").pop() }));
    return { ...problem, errors, message: problem.message };
  }

  function clearErrors(form) {
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  function debounce(fn, ms = 200) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  return { $, simplify, clearErrors, debounce };
})();
