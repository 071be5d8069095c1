//! The words of the pages, in Chinese and English. Templates ask for a key
//! (`chrome.t.t("login.title")`); a test checks that every key a template or page uses is
//! here, so a missing translation fails the build's tests rather than a customer's page.

use domain::Role;

use domain::Lang;

/// Translations for one page's language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    /// The text of `key`; the key itself when it is missing (the test prevents that).
    pub fn t(&self, key: &str) -> &'static str {
        if key == "form.password_rule" {
            return match self.lang {
                Lang::Zh => domain::password::RULE_ZH,
                Lang::En => domain::password::RULE_EN,
            };
        }
        match MESSAGES.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => {
                tracing::warn!(key, "missing translation");
                "?"
            }
        }
    }

    pub fn role(&self, role: Role) -> &'static str {
        match self.lang {
            Lang::Zh => role.name_zh(),
            Lang::En => match role {
                Role::Reviewer => "Reviewer",
                Role::Finance => "Finance",
                Role::Producer => "Producer",
                Role::Shipper => "Shipper",
                Role::Counter => "Counter clerk",
                Role::Admin => "Administrator",
            },
        }
    }
}

/// (key, 中文, English).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.skip", "跳到正文", "Skip to content"),
    ("nav.account", "账户", "Account"),
    ("nav.main", "栏目", "Sections"),
    ("nav.other_language", "English", "中文"),
    ("nav.me", "个人中心", "My account"),
    ("nav.logout", "退出", "Log out"),
    ("nav.login", "登录", "Log in"),
    ("nav.register", "注册", "Register"),
    ("nav.home", "首页", "Home"),
    ("nav.breadcrumb", "当前位置", "You are here"),
    ("nav.back_home", "返回首页", "Back to the home page"),
    ("footer.hotline", "服务热线", "Hotline"),
    ("footer.hours", "服务时间", "Hours"),
    ("home.title", "网上业务大厅", "Online business hall"),
    (
        "home.heading",
        "数字证书网上业务大厅",
        "Digital certificate online hall",
    ),
    (
        "home.lead",
        "在线办理数字证书新办、更新、解锁、补办、变更和吊销，随时查询办理进度。",
        "Apply online for new certificates, renewals, unlocking, replacements, changes and revocations, and follow their progress.",
    ),
    ("home.channels", "业务渠道", "Channels"),
    (
        "home.channels_help",
        "请选择您所使用的应用系统，进入对应的业务办理页面。",
        "Choose the system you use the certificate for.",
    ),
    ("home.steps", "办理流程", "How it works"),
    (
        "home.step1",
        "注册并登录：使用手机号和短信验证码注册账户。",
        "Register with your mobile number and an SMS code.",
    ),
    (
        "home.step2",
        "填写申请：选择业务渠道和产品，填写信息并上传材料。",
        "Apply: choose the channel and product, fill in the form and upload documents.",
    ),
    (
        "home.step3",
        "支付费用：在线支付或银行汇款。",
        "Pay online or by bank transfer.",
    ),
    (
        "home.step4",
        "审核与制证：审核通过后制作证书并快递 USBKEY。",
        "We review, produce the certificate and ship the USBKEY.",
    ),
    ("channel.relying_system", "应用系统：", "Used in: "),
    ("channel.applicants", "申请对象：", "Who can apply: "),
    ("channel.business", "可办理业务与收费", "Business and fees"),
    ("channel.business_type", "业务类型", "Business"),
    ("channel.online", "网上办理", "Online"),
    ("channel.counter", "现场办理", "At the counter"),
    ("channel.fee", "费用", "Fee"),
    ("channel.payment", "支付方式", "Payment"),
    ("channel.yes", "支持", "Yes"),
    ("channel.free", "免费", "Free"),
    ("channel.per_year", "/年", "per year"),
    (
        "channel.free_in_warranty",
        "（质保期内质量问题免费）",
        "(free for quality faults within warranty)",
    ),
    ("channel.products", "产品", "Products"),
    ("channel.holder_org", "单位证书", "Organisation certificate"),
    ("channel.holder_person", "个人证书", "Personal certificate"),
    ("channel.delivery", "办理时限与配送", "Timing and delivery"),
    ("channel.shipping_promise", "发货时限", "Shipping promise"),
    ("channel.review_promise", "审核时限", "Review promise"),
    ("channel.working_days", "个工作日", "working days"),
    ("channel.days", "天", "days"),
    ("channel.couriers", "快递", "Couriers"),
    ("channel.counter_address", "受理点", "Counter"),
    ("channel.invoices", "发票", "Invoices"),
    ("channel.keys", "USBKEY 与证书", "USBKEY and certificate"),
    ("channel.pin", "口令（PIN）", "PIN"),
    (
        "channel.pin_tries",
        "口令错误锁定次数",
        "Wrong PINs before it locks",
    ),
    (
        "channel.renewal_window",
        "在线更新期限",
        "Online renewal window",
    ),
    ("channel.renew_before", "到期前（天）", "days before expiry"),
    ("channel.renew_after", "过期后（天）", "days after expiry"),
    (
        "channel.auto_revoke",
        "过期自动吊销",
        "Revoked automatically after expiry",
    ),
    ("channel.prepare", "申请前请准备", "Have these ready"),
    (
        "channel.remittance",
        "银行汇款信息",
        "Bank transfer details",
    ),
    ("channel.payee", "户名", "Payee"),
    ("channel.bank", "开户行", "Bank"),
    ("channel.account", "账号", "Account"),
    ("form.required", "必填", "required"),
    ("form.phone", "手机号", "Mobile number"),
    (
        "form.phone_help",
        "请填写真实有效的手机号，后续业务通知将发送至该号码。",
        "Use your real number: notices about your business go to it.",
    ),
    ("form.code", "短信验证码", "SMS code"),
    (
        "form.code_help",
        "6 位数字，5 分钟内有效。",
        "6 digits, valid for 5 minutes.",
    ),
    ("form.send_code", "获取验证码", "Send code"),
    ("form.password", "密码", "Password"),
    ("form.password_confirm", "确认密码", "Repeat the password"),
    ("form.new_password", "新密码", "New password"),
    ("form.old_password", "原密码", "Current password"),
    ("form.name", "姓名", "Name"),
    ("form.email", "电子邮箱", "E-mail"),
    ("form.id_number", "身份证号码", "Resident ID number"),
    (
        "form.id_number_help",
        "18 位居民身份证号码，加密保存。",
        "18-character resident ID, stored encrypted.",
    ),
    ("form.landline", "固定电话", "Landline"),
    (
        "form.landline_help",
        "例如 010-12345678",
        "e.g. 010-12345678",
    ),
    ("form.username", "用户名（可选）", "Username (optional)"),
    (
        "form.username_help",
        "数字或小写字母。",
        "Digits or lowercase letters.",
    ),
    ("form.operator_username", "用户名", "Username"),
    ("form.save", "保存", "Save"),
    ("form.cancel", "取消", "Cancel"),
    ("register.title", "注册账户", "Create an account"),
    (
        "register.agree",
        "我已阅读并同意数字证书服务协议和隐私政策",
        "I have read and accept the certificate service agreement and privacy policy",
    ),
    ("register.submit", "注册", "Register"),
    ("register.have_account", "已有账户？", "Already registered?"),
    ("login.title", "登录", "Log in"),
    ("login.submit", "登录", "Log in"),
    (
        "login.forgot",
        "无法登录？忘记密码",
        "Forgot your password?",
    ),
    ("reset.title", "找回密码", "Reset your password"),
    (
        "reset.phone_help",
        "注册时使用的手机号。",
        "The number you registered with.",
    ),
    ("reset.submit", "重置密码", "Reset password"),
    ("me.profile", "个人资料", "Profile"),
    (
        "me.profile_help",
        "完善后的个人资料将在填写申请表时自动填入。",
        "Your profile fills in application forms for you.",
    ),
    ("me.account", "账户安全", "Account security"),
    ("me.password", "修改密码", "Change password"),
    (
        "me.password_help",
        "修改后，您在其他设备上的登录将失效。",
        "Changing it logs you out on your other devices.",
    ),
    ("me.addresses", "地址维护", "Addresses"),
    ("me.applications", "我的申请", "My applications"),
    ("me.orders", "我的订单", "My orders"),
    ("me.certificates", "我的证书", "My certificates"),
    ("me.logout_everywhere", "退出所有设备", "Log out everywhere"),
    (
        "me.logout_everywhere_help",
        "结束本账户在所有设备上的登录。",
        "Ends every session of this account.",
    ),
    ("address.list", "收件地址", "Mailing addresses"),
    ("address.none", "还没有地址。", "No address yet."),
    ("address.default", "默认", "Default"),
    ("address.edit", "修改地址", "Edit address"),
    ("address.add", "新增地址", "Add an address"),
    ("address.make_default", "设为默认", "Make default"),
    (
        "address.set_default",
        "设为默认地址",
        "Use as the default address",
    ),
    ("address.delete", "删除", "Delete"),
    ("address.recipient", "收件人", "Recipient"),
    ("address.phone", "收件人手机号", "Recipient's mobile"),
    ("address.province", "省份", "Province"),
    ("address.city", "城市", "City"),
    ("address.district", "区县", "District"),
    ("address.detail", "详细地址", "Street address"),
    ("address.postal_code", "邮政编码", "Postal code"),
    (
        "notice.code_sent",
        "验证码已发送，5 分钟内有效。",
        "Code sent; it is valid for 5 minutes.",
    ),
    (
        "notice.code_sent_register",
        "验证码已发送，5 分钟内有效。如该手机号已注册，您将收到一条提醒短信而不是验证码，请直接登录或找回密码。",
        "Code sent; it is valid for 5 minutes. If this number already has an account, you will get an SMS saying so instead of a code: log in, or reset the password.",
    ),
    (
        "notice.code_sent_reset",
        "如该手机号已注册，验证码已发送至该手机，5 分钟内有效。",
        "If this number has an account, a code was sent to it; it is valid for 5 minutes.",
    ),
    (
        "notice.registered",
        "注册成功，欢迎使用。",
        "Registered. Welcome!",
    ),
    ("notice.logged_out", "您已退出登录。", "You are logged out."),
    (
        "notice.logged_out_everywhere",
        "已退出所有设备上的登录。",
        "You are logged out on every device.",
    ),
    (
        "notice.password_reset",
        "密码已重置，请使用新密码登录。",
        "Password reset: log in with the new password.",
    ),
    (
        "notice.password_changed",
        "密码已修改。",
        "Password changed.",
    ),
    ("notice.profile_saved", "个人资料已保存。", "Profile saved."),
    (
        "notice.address_saved",
        "地址已保存。",
        "Address book saved.",
    ),
    (
        "notice.message_retried",
        "消息已重新排队发送。",
        "The message is queued again.",
    ),
    ("notice.channel_saved", "渠道配置已保存。", "Channel saved."),
    (
        "notice.readdressed",
        "邮寄地址已修改并重新签名。",
        "The mailing address is changed and signed again.",
    ),
    ("error.title", "出错了", "Something went wrong"),
    ("error.not_found", "页面不存在", "Not found"),
    ("error.forbidden", "无权访问", "Not allowed"),
    (
        "error.csrf",
        "页面已过期，请刷新后重新提交。",
        "This page has expired: reload it and submit again.",
    ),
    (
        "error.password_mismatch",
        "两次输入的密码不一致",
        "The two passwords differ",
    ),
    (
        "error.agree",
        "请阅读并同意服务协议",
        "Please accept the service agreement",
    ),
    ("console.title", "业务管理台", "Operator console"),
    ("console.login", "操作员登录", "Operator login"),
    ("console.dashboard", "工作台", "Dashboard"),
    ("console.operators", "操作员管理", "Operators"),
    ("console.channels", "业务渠道", "Channels"),
    ("console.audit", "审计日志", "Audit log"),
    ("console.messages", "发送失败的消息", "Failed messages"),
    ("console.reviews", "审核队列", "Review queue"),
    ("console.payments", "财务核款", "Payments to confirm"),
    ("console.statements", "银行流水", "Bank statements"),
    ("console.invoices", "发票管理", "Invoices"),
    ("console.keys", "介质管理", "USB keys"),
    ("console.production", "制证", "Production"),
    ("console.shipping", "发货", "Shipping"),
    ("console.pickups", "现场领取", "Pickups"),
    ("console.counter", "现场受理", "Counter"),
    ("console.your_roles", "您的角色：", "Your roles: "),
    ("queue.counter", "现场受理", "Counter business"),
    ("queue.review", "待审核", "Awaiting review"),
    ("queue.payment", "待核款", "Payments to confirm"),
    (
        "queue.refunds",
        "待转账退款（含退款异常）",
        "Refunds to transfer (failed ones included)",
    ),
    ("queue.production", "待制证", "To produce"),
    ("queue.shipping", "待发货", "To ship"),
    ("queue.failed_messages", "发送失败的消息", "Failed messages"),
    ("queue.count", "件数", "Items"),
    ("queue.oldest", "最早一件已等待", "Oldest waiting"),
    ("queue.promise", "承诺时限", "Promise"),
    ("queue.working_days", "个工作日", "working days"),
    (
        "queue.due_if_new_today",
        "今日受理的期限",
        "Due if it arrives today",
    ),
    ("queue.oldest_due", "最早一件的期限", "Oldest is due by"),
    ("queue.overdue", "已超时", "overdue"),
    ("queue.role", "处理角色", "Worked by"),
    (
        "queue.none",
        "您的角色没有工作队列。",
        "Your roles have no work queue.",
    ),
    ("time.days", "天", "d"),
    ("time.hours", "小时", "h"),
    ("time.minutes", "分钟", "min"),
    ("operators.roles", "角色", "Roles"),
    ("operators.status", "状态", "Status"),
    ("operators.actions", "操作", "Actions"),
    ("operators.save_roles", "保存角色", "Save roles"),
    ("operators.disabled", "已停用", "Disabled"),
    ("operators.active", "正常", "Active"),
    ("operators.reset_password", "重置密码", "Reset password"),
    ("operators.enable", "启用", "Enable"),
    ("operators.disable", "停用", "Disable"),
    ("operators.create", "新增操作员", "Add an operator"),
    (
        "operators.username_help",
        "3 至 32 位小写字母、数字、“-”或“_”。",
        "3 to 32 lowercase letters, digits, '-' or '_'.",
    ),
    (
        "operators.password_once",
        "初始密码只显示这一次，请通过安全渠道交给本人：",
        "This password is shown only once; hand it over securely:",
    ),
    ("audit.action", "操作（前缀）", "Action (prefix)"),
    ("audit.actor", "操作者（前缀）", "Actor (prefix)"),
    ("audit.object", "对象（前缀）", "Object (prefix)"),
    ("audit.col_action", "操作", "Action"),
    ("audit.col_actor", "操作者", "Actor"),
    ("audit.col_object", "对象", "Object"),
    ("audit.from", "起始日期", "From"),
    ("audit.until", "截止日期", "Until"),
    ("audit.filter", "筛选", "Filter"),
    ("audit.at", "时间", "Time"),
    ("audit.details", "详情", "Details"),
    ("audit.none", "没有符合条件的记录。", "No matching events."),
    ("audit.older", "更早的记录", "Older events"),
    (
        "audit.times",
        "时间为北京时间（UTC+8）。审计日志只能追加，并以哈希链防篡改。",
        "Times are China Standard Time (UTC+8). The log is append-only and hash-chained.",
    ),
    (
        "messages.help",
        "多次重试仍未发出的短信和邮件。确认收件地址或服务商恢复后可重新发送。",
        "SMS and e-mails that failed after every retry. Retry once the address or the provider is fixed.",
    ),
    (
        "messages.none",
        "没有发送失败的消息。",
        "No failed messages.",
    ),
    ("messages.created", "创建时间", "Created"),
    ("messages.channel", "方式", "Channel"),
    ("messages.recipient", "收件人", "Recipient"),
    ("messages.template", "模板", "Template"),
    ("messages.attempts", "尝试次数", "Attempts"),
    ("messages.error", "最后错误", "Last error"),
    ("messages.retry", "重新发送", "Retry"),
    ("channels.code", "代码", "Code"),
    ("channels.name", "名称", "Name"),
    ("channels.enabled", "启用", "Enabled"),
    ("channels.disabled", "停用", "Disabled"),
    ("channels.version", "版本", "Version"),
    ("channels.updated", "更新时间", "Updated"),
    ("channels.edit", "编辑渠道", "Edit channel"),
    ("channels.preview", "查看渠道页面", "View the channel page"),
    ("channels.definition", "渠道定义", "Definition"),
    (
        "channels.edit_help",
        "金额单位为分（26000 = 260.00 元）。保存前会检查整个定义，错误会指出字段；每次修改记入审计日志。若他人同时修改，保存会被拒绝，请重新打开。",
        "Money is in fen (26000 = 260.00 yuan). The whole definition is checked before saving and errors name the field; every change is audited. If someone else saved meanwhile, reload and apply your change again.",
    ),
    ("channels.duties", "职责分离", "Separation of duties"),
    (
        "channels.duties_help",
        "同一申请单中，以下两项工作不得由同一操作员完成（在业务大厅配置文件中设置）：",
        "On one application, these pairs of steps must be done by different operators (set in the hall configuration):",
    ),
    ("duty.counter_accept", "受理", "Counter acceptance"),
    ("duty.review", "审核", "Review"),
    ("duty.confirm_payment", "财务核款", "Payment confirmation"),
    ("duty.produce", "制证", "Production"),
    ("duty.ship", "发货", "Shipping"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t("…")` in the templates and page code, and every key built from a list.
    #[test]
    fn every_key_used_is_translated_once() {
        let mut used = Vec::new();
        // The checkout the test runs in (cargo and nextest set this at run time), not the
        // one it was compiled in: a shared target directory may outlive that one.
        let crate_dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
        // Every file below the templates and the page code, folders included.
        let mut files = Vec::new();
        let mut dirs = vec![crate_dir.join("templates"), crate_dir.join("src/pages")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 30, "found the templates and pages: {files:?}");
        {
            for path in files {
                // This file names keys only as data (and this scanner's own patterns).
                if path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                for part in text.split("t(\"").skip(1) {
                    used.push(part.split('"').next().unwrap().to_string());
                }
                // Navigation labels are given as ("/path", "key").
                for part in text.split("\", \"").skip(1) {
                    let key = part.split('"').next().unwrap();
                    if key.contains('.')
                        && !key.contains(' ')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                    {
                        used.push(key.to_string());
                    }
                }
            }
        }
        for key in super::super::NOTICES {
            used.push(format!("notice.{key}"));
        }
        for key in [
            "counter",
            "review",
            "payment",
            "refunds",
            "production",
            "shipping",
            "failed_messages",
        ] {
            used.push(format!("queue.{key}"));
        }
        for duty in domain::Duty::ALL {
            used.push(format!("duty.{}", duty.as_str()));
        }
        let missing: Vec<&String> = used
            .iter()
            .filter(|k| *k != "form.password_rule" && !MESSAGES.iter().any(|(m, _, _)| m == k))
            .collect();
        assert!(missing.is_empty(), "untranslated keys: {missing:?}");
        for (i, (key, zh, en)) in MESSAGES.iter().enumerate() {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
            assert!(
                !MESSAGES[..i].iter().any(|(k, _, _)| k == key),
                "{key} twice"
            );
        }
    }
}
