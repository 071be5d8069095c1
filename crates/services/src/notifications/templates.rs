//! Message templates, in Chinese with English variants.

use domain::Lang;

use crate::people::sms_codes::CodePurpose;

/// Every message CertHall sends. Later flows add theirs here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// A verification code (registration, password reset, login).
    VerificationCode {
        code: String,
        purpose: CodePurpose,
        minutes: u32,
    },
    /// Someone asked to register a number that already has an account: its owner is told,
    /// instead of the stranger (who sees the same answer as for a new number).
    AccountExists { site: String },
    /// A counter clerk opened an account for a customer who came in person: the customer
    /// is told how to set a password and follow the application online.
    CounterAccountOpened { site: String, number: String },
    /// An operator's test of the notification set-up.
    Test { organisation: String },
    /// The application passed review (seed 004: 材料审核完成后…以邮件和短信的形式告知).
    ApplicationApproved { number: String, holder: String },
    /// The application was returned, with the reason.
    ApplicationRejected {
        number: String,
        holder: String,
        reason: String,
    },
    /// An order still unpaid some days after it was placed (seed 000: 订单提交后3个自然日仍未支付).
    OrderUnpaid {
        number: String,
        amount: String,
        /// Days after placing when it is closed.
        days: u32,
    },
    /// Finance found a problem with the order's payment (支付异常), with the reason.
    PaymentException { number: String, reason: String },
    /// The order is paid (finance confirmed the transfer).
    OrderPaid { number: String, amount: String },
    /// The electronic invoice of an order is issued (seed 001: sent to the e-mail given).
    InvoiceIssued { number: String, order: String },
    /// The paper invoice of an order is with the courier.
    InvoiceMailed {
        order: String,
        courier: String,
        tracking_no: String,
    },
    /// Finance cancelled the paid order and gives `amount` back: `online`, to the account
    /// that paid; else by bank transfer to the remitter.
    OrderRefunded {
        number: String,
        amount: String,
        online: bool,
    },
    /// The provider could not give refund `amount` of order `number` back (the paying
    /// account closed or frozen): finance will transfer it.
    RefundAbnormal { number: String, amount: String },
    /// Application `application`'s keys are with courier `courier`, parcel `tracking_no`
    /// (seeds 000, 002: the courier and the number by SMS).
    KeysShipped {
        application: String,
        courier: String,
        tracking_no: String,
        url: Option<String>,
    },
    /// Application `application`'s keys wait at the counter; `code` is shown there
    /// (seed 003: 可领取).
    PickupCode { application: String, code: String },
    /// The user PIN of the USB key made for application `application` (a PIN delivered by
    /// SMS): sensitive, its text is not kept once delivered.
    KeyPin { application: String, pin: String },
    /// The face check's link for the person to verify (seed 004: 刷脸验证链接会以短信形式
    /// 发送给法定代表人).
    FaceCheckLink {
        holder: String,
        url: String,
        minutes: u32,
    },
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

impl Template {
    /// The name stored with the message (and written to the outbox files).
    pub fn name(&self) -> &'static str {
        match self {
            Template::VerificationCode {
                purpose: CodePurpose::Register,
                ..
            } => "verification_code.register",
            Template::VerificationCode {
                purpose: CodePurpose::ResetPassword,
                ..
            } => "verification_code.reset_password",
            Template::VerificationCode {
                purpose: CodePurpose::Login,
                ..
            } => "verification_code.login",
            Template::VerificationCode {
                purpose: CodePurpose::SignApplication,
                ..
            } => "verification_code.sign_application",
            Template::AccountExists { .. } => "account_exists",
            Template::CounterAccountOpened { .. } => "account.opened_at_counter",
            Template::Test { .. } => "test",
            Template::ApplicationApproved { .. } => "application.approved",
            Template::ApplicationRejected { .. } => "application.rejected",
            Template::FaceCheckLink { .. } => "verification.face_link",
            Template::KeyPin { .. } => "production.key_pin",
            Template::KeysShipped { .. } => "application.shipped",
            Template::PickupCode { .. } => "application.pickup_code",
            Template::OrderUnpaid { .. } => "order.unpaid",
            Template::PaymentException { .. } => "order.payment_exception",
            Template::OrderPaid { .. } => "order.paid",
            Template::OrderRefunded { .. } => "order.refunded",
            Template::RefundAbnormal { .. } => "order.refund_abnormal",
            Template::InvoiceIssued { .. } => "invoice.issued",
            Template::InvoiceMailed { .. } => "invoice.mailed",
        }
    }

    /// Messages whose text must not stay in the database once delivered.
    pub fn is_sensitive(&self) -> bool {
        // The face link is a bearer link: whoever opens it verifies.
        matches!(
            self,
            Template::VerificationCode { .. }
                | Template::FaceCheckLink { .. }
                | Template::KeyPin { .. }
                | Template::PickupCode { .. }
        )
    }

    pub fn render(&self, lang: Lang) -> Rendered {
        match (self, lang) {
            (
                Template::VerificationCode {
                    code,
                    purpose,
                    minutes,
                },
                Lang::Zh,
            ) => {
                let what = match purpose {
                    CodePurpose::Register => "注册",
                    CodePurpose::ResetPassword => "找回密码",
                    CodePurpose::Login => "登录",
                    CodePurpose::SignApplication => "证书申请签名",
                };
                Rendered {
                    subject: format!("{what}验证码"),
                    text: format!(
                        "您的{what}验证码为{code}，{minutes}分钟内有效。请勿将验证码告诉他人。"
                    ),
                }
            }
            (
                Template::VerificationCode {
                    code,
                    purpose,
                    minutes,
                },
                Lang::En,
            ) => {
                let what = match purpose {
                    CodePurpose::Register => "registration",
                    CodePurpose::ResetPassword => "password reset",
                    CodePurpose::Login => "login",
                    CodePurpose::SignApplication => "application signing",
                };
                Rendered {
                    subject: format!("Your {what} code"),
                    text: format!(
                        "Your {what} code is {code}, valid for {minutes} minutes. Never share it with anyone."
                    ),
                }
            }
            (Template::AccountExists { site }, Lang::Zh) => Rendered {
                subject: format!("{site}注册提醒"),
                text: format!(
                    "有人正在用您的手机号注册{site}，但该号码已注册。如是您本人操作，请直接登录；忘记密码可通过“忘记密码”找回。如非本人操作，请忽略本短信。"
                ),
            },
            (Template::AccountExists { site }, Lang::En) => Rendered {
                subject: format!("{site}: registration attempt"),
                text: format!(
                    "Someone tried to register your number at {site}, which already has an account. If it was you, log in, or use \"Forgot password\". If not, ignore this message."
                ),
            },
            (Template::CounterAccountOpened { site, number }, Lang::Zh) => Rendered {
                subject: format!("{site}网上营业厅账户已开通"),
                text: format!(
                    "您在{site}现场办理的业务（申请单号{number}）已受理，系统已用本手机号为您开通网上营业厅账户。请在登录页点击“忘记密码”设置登录密码，即可在线查看办理进度。"
                ),
            },
            (Template::CounterAccountOpened { site, number }, Lang::En) => Rendered {
                subject: format!("{site}: your online account"),
                text: format!(
                    "Your application {number} was taken at the {site} counter, and an online account was opened for this number. Set a password with \"Forgot password\" on the login page to follow it online."
                ),
            },
            (Template::Test { organisation }, Lang::Zh) => Rendered {
                subject: format!("{organisation}通知测试"),
                text: format!("这是一条来自{organisation}的测试消息，收到即表示通知发送正常。"),
            },
            (Template::Test { organisation }, Lang::En) => Rendered {
                subject: format!("{organisation} notification test"),
                text: format!("This is a test message from {organisation}: notifications work."),
            },
            (
                Template::FaceCheckLink {
                    holder,
                    url,
                    minutes,
                },
                Lang::Zh,
            ) => Rendered {
                subject: "刷脸实名认证".into(),
                text: format!(
                    "“{holder}”正在办理数字证书，请您本人在{minutes}分钟内用手机打开链接完成刷脸认证：{url} 如非本人业务请忽略。"
                ),
            },
            (
                Template::FaceCheckLink {
                    holder,
                    url,
                    minutes,
                },
                Lang::En,
            ) => Rendered {
                subject: "Face verification".into(),
                text: format!(
                    "{holder} is applying for a digital certificate. Please open this link on your phone within {minutes} minutes and complete the face check yourself: {url} If this is not your business, ignore this message."
                ),
            },
            (
                Template::OrderUnpaid {
                    number,
                    amount,
                    days,
                },
                Lang::Zh,
            ) => Rendered {
                subject: format!("订单{number}待支付"),
                text: format!(
                    "您的订单{number}（金额{amount}元）尚未支付，请登录网上业务大厅在“我的订单”中完成支付或上传汇款底单；下单{days}天后仍未支付的订单将自动关闭。"
                ),
            },
            (
                Template::OrderUnpaid {
                    number,
                    amount,
                    days,
                },
                Lang::En,
            ) => Rendered {
                subject: format!("Order {number} awaits payment"),
                text: format!(
                    "Your order {number} (CNY {amount}) is not paid yet. Log in to the online hall and pay it, or upload the transfer voucher, under My orders; orders unpaid {days} days after they were placed are closed."
                ),
            },
            (Template::PaymentException { number, reason }, Lang::Zh) => Rendered {
                subject: format!("订单{number}支付异常"),
                text: format!(
                    "您的订单{number}支付异常，原因：{reason}。请登录网上业务大厅，在“我的订单”中查看订单详情并重新上传汇款凭证。"
                ),
            },
            (Template::PaymentException { number, reason }, Lang::En) => Rendered {
                subject: format!("Payment problem on order {number}"),
                text: format!(
                    "There is a problem with the payment of order {number}: {reason}. Log in to the online hall, open the order under My orders and upload the transfer voucher again."
                ),
            },
            (Template::OrderPaid { number, amount }, Lang::Zh) => Rendered {
                subject: format!("订单{number}已支付"),
                text: format!("您的订单{number}（金额{amount}元）已确认收款，我们将尽快为您办理。"),
            },
            (Template::OrderPaid { number, amount }, Lang::En) => Rendered {
                subject: format!("Order {number} paid"),
                text: format!(
                    "The payment of your order {number} (CNY {amount}) is confirmed; we will process it shortly."
                ),
            },
            (
                Template::OrderRefunded {
                    number,
                    amount,
                    online,
                },
                Lang::Zh,
            ) => Rendered {
                subject: format!("订单{number}已撤销退款"),
                text: format!(
                    "您的订单{number}已撤销，退款{amount}元将{}，请注意查收。",
                    if *online {
                        "原路退回支付账户"
                    } else {
                        "汇回您的付款账户"
                    }
                ),
            },
            (
                Template::OrderRefunded {
                    number,
                    amount,
                    online,
                },
                Lang::En,
            ) => Rendered {
                subject: format!("Order {number} cancelled and refunded"),
                text: format!(
                    "Your order {number} is cancelled; CNY {amount} will be {}.",
                    if *online {
                        "refunded to the account that paid"
                    } else {
                        "transferred back to the account that paid"
                    }
                ),
            },
            (
                Template::KeysShipped {
                    application,
                    courier,
                    tracking_no,
                    url,
                },
                Lang::Zh,
            ) => Rendered {
                subject: format!("申请{application}的 USBKEY 已寄出"),
                text: format!(
                    "您申请{application}的 USBKEY 已由{courier}寄出，快递单号 {tracking_no}。{}收到后请登录网上业务大厅确认签收。",
                    url.as_ref()
                        .map(|u| format!("查询物流：{u} 。"))
                        .unwrap_or_default()
                ),
            },
            (
                Template::KeysShipped {
                    application,
                    courier,
                    tracking_no,
                    url,
                },
                Lang::En,
            ) => Rendered {
                subject: format!("The USBKEY of application {application} is on its way"),
                text: format!(
                    "The USBKEY of your application {application} was shipped by {courier}, tracking number {tracking_no}. {}Confirm receipt in the online hall once you have it.",
                    url.as_ref()
                        .map(|u| format!("Track it: {u} . "))
                        .unwrap_or_default()
                ),
            },
            (Template::PickupCode { application, code }, Lang::Zh) => Rendered {
                subject: format!("申请{application}的 USBKEY 可领取"),
                text: format!(
                    "您申请{application}的 USBKEY 已制作完成，可到受理点领取。领取码 {code}，领取时请出示，勿告诉他人。"
                ),
            },
            (Template::PickupCode { application, code }, Lang::En) => Rendered {
                subject: format!("The USBKEY of application {application} is ready"),
                text: format!(
                    "The USBKEY of your application {application} is ready for collection at the counter. Pickup code {code}: show it there, and tell nobody else."
                ),
            },
            (Template::KeyPin { application, pin }, Lang::Zh) => Rendered {
                subject: format!("申请{application}的 USBKEY 用户口令"),
                text: format!(
                    "您申请{application}的 USBKEY 已制作完成，用户口令（PIN）为 {pin}。请妥善保管，勿告诉他人；收到 USBKEY 后请尽快修改口令。"
                ),
            },
            (Template::KeyPin { application, pin }, Lang::En) => Rendered {
                subject: format!("The PIN of the USBKEY of application {application}"),
                text: format!(
                    "The USBKEY of your application {application} is made; its user PIN is {pin}. Keep it to yourself, and change it once you have the key."
                ),
            },
            (Template::RefundAbnormal { number, amount }, Lang::Zh) => Rendered {
                subject: format!("订单{number}的退款未能原路退回"),
                text: format!(
                    "您的订单{number}的退款{amount}元未能原路退回（支付账户可能已注销或冻结）。我们的财务人员将与您联系，改以银行转账退还。"
                ),
            },
            (Template::RefundAbnormal { number, amount }, Lang::En) => Rendered {
                subject: format!("The refund of order {number} could not go back"),
                text: format!(
                    "The refund of CNY {amount} for your order {number} could not go back to the account that paid (it may be closed or frozen). Our finance staff will contact you and transfer it by bank."
                ),
            },
            (Template::InvoiceIssued { number, order }, Lang::Zh) => Rendered {
                subject: format!("订单{order}的电子发票已开具"),
                text: format!(
                    "您的订单{order}的电子发票（发票号码{number}）已开具。请登录网上业务大厅，在“我的订单”中打开该订单下载发票（PDF）。"
                ),
            },
            (Template::InvoiceIssued { number, order }, Lang::En) => Rendered {
                subject: format!("The invoice of order {order} is issued"),
                text: format!(
                    "The electronic invoice of your order {order} (number {number}) is issued. Log in to the online hall and download it (PDF) from the order under My orders."
                ),
            },
            (
                Template::InvoiceMailed {
                    order,
                    courier,
                    tracking_no,
                },
                Lang::Zh,
            ) => Rendered {
                subject: format!("订单{order}的纸质发票已寄出"),
                text: format!(
                    "您的订单{order}的纸质发票已寄出，快递：{courier}，单号：{tracking_no}。"
                ),
            },
            (
                Template::InvoiceMailed {
                    order,
                    courier,
                    tracking_no,
                },
                Lang::En,
            ) => Rendered {
                subject: format!("The paper invoice of order {order} is mailed"),
                text: format!(
                    "The paper invoice of your order {order} is mailed: courier {courier}, tracking number {tracking_no}."
                ),
            },
            (Template::ApplicationApproved { number, holder }, Lang::Zh) => Rendered {
                subject: format!("申请{number}审核通过"),
                text: format!(
                    "您为“{holder}”提交的证书申请{number}已审核通过，我们将尽快为您办理。"
                ),
            },
            (Template::ApplicationApproved { number, holder }, Lang::En) => Rendered {
                subject: format!("Application {number} approved"),
                text: format!(
                    "Your certificate application {number} for {holder} has been approved; we will process it shortly."
                ),
            },
            (
                Template::ApplicationRejected {
                    number,
                    holder,
                    reason,
                },
                Lang::Zh,
            ) => Rendered {
                subject: format!("申请{number}审核未通过"),
                text: format!(
                    "您为“{holder}”提交的证书申请{number}审核未通过，原因：{reason}。请登录网上业务大厅，在“我的申请”中点击“立即修改”后重新提交。"
                ),
            },
            (
                Template::ApplicationRejected {
                    number,
                    holder,
                    reason,
                },
                Lang::En,
            ) => Rendered {
                subject: format!("Application {number} returned"),
                text: format!(
                    "Your certificate application {number} for {holder} was not approved: {reason}. Log in to the online hall, open My applications, choose \"Edit now\" and submit it again."
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_render_in_both_languages_and_are_sensitive() {
        let t = Template::VerificationCode {
            code: "123456".into(),
            purpose: CodePurpose::Register,
            minutes: 5,
        };
        assert!(
            t.render(Lang::Zh)
                .text
                .contains("注册验证码为123456，5分钟内有效")
        );
        assert!(
            t.render(Lang::En)
                .text
                .contains("registration code is 123456")
        );
        assert!(t.is_sensitive());
        assert_eq!(t.name(), "verification_code.register");
        assert!(
            !Template::Test {
                organisation: "X".into()
            }
            .is_sensitive()
        );
    }
}
