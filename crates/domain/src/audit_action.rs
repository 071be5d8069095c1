//! Every kind of event the audit log records: one list, so that the log's vocabulary is
//! known (the console's filter offers it) and a use case cannot invent a spelling.
//! Names are `noun.verb`; a filter on `noun.` finds a whole group.

use std::fmt;

macro_rules! audit_actions {
    ($($variant:ident = $name:literal, $zh:literal, $en:literal;)+) => {
        /// What an audit event records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)+
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            /// The stored name, e.g. `certificate.revoke`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)+
                }
            }

            /// What it means, in Chinese.
            pub fn name_zh(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $zh,)+
                }
            }

            /// What it means, in English.
            pub fn name_en(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $en,)+
                }
            }
        }
    };
}

audit_actions! {
    CaCreate = "ca.create", "创建 CA", "CA created";
    CaPublicUrlSet = "ca.public_url_set", "设置 CA 对外地址", "CA public URL set";
    CertificateIssue = "certificate.issue", "签发证书", "Certificate issued";
    CertificateRevoke = "certificate.revoke", "注销证书", "Certificate revoked";
    CertificateHold = "certificate.hold", "冻结证书", "Certificate put on hold";
    CertificateRelease = "certificate.release", "解冻证书", "Certificate hold released";
    CrlPublish = "crl.publish", "发布 CRL", "CRL published";
    OcspResponderIssue = "ocsp_responder.issue", "签发 OCSP 响应者证书", "OCSP responder certificate issued";
    ApiTokenCreate = "api_token.create", "创建 API 令牌", "API token created";
    ApiTokenRevoke = "api_token.revoke", "吊销 API 令牌", "API token revoked";
    SmsCodeSend = "sms_code.send", "发送短信验证码", "SMS code sent";
    CustomerRegister = "customer.register", "客户注册", "Customer registered";
    CustomerOpenAtCounter = "customer.open_at_counter", "现场开通客户账户", "Customer account opened at the counter";
    CustomerLogin = "customer.login", "客户登录", "Customer logged in";
    CustomerLoginFailed = "customer.login_failed", "客户登录失败", "Customer login failed";
    CustomerLogout = "customer.logout", "客户退出", "Customer logged out";
    CustomerLogoutEverywhere = "customer.logout_everywhere", "客户退出所有会话", "Customer logged out everywhere";
    CustomerPasswordReset = "customer.password_reset", "客户重置密码", "Customer password reset";
    CustomerPasswordChange = "customer.password_change", "客户修改密码", "Customer password changed";
    CustomerProfileUpdate = "customer.profile_update", "客户修改个人资料", "Customer profile updated";
    CustomerAddressAdd = "customer.address_add", "客户新增地址", "Customer address added";
    CustomerAddressUpdate = "customer.address_update", "客户修改地址", "Customer address changed";
    CustomerAddressDelete = "customer.address_delete", "客户删除地址", "Customer address deleted";
    CustomerAddressDefault = "customer.address_default", "客户设置默认地址", "Customer default address set";
    OperatorCreate = "operator.create", "创建操作员", "Operator created";
    OperatorRoles = "operator.roles", "修改操作员角色", "Operator roles changed";
    OperatorDisable = "operator.disable", "停用操作员", "Operator disabled";
    OperatorEnable = "operator.enable", "启用操作员", "Operator enabled";
    OperatorResetPassword = "operator.reset_password", "重置操作员密码", "Operator password reset";
    OperatorLogin = "operator.login", "操作员登录", "Operator logged in";
    OperatorLoginFailed = "operator.login_failed", "操作员登录失败", "Operator login failed";
    OperatorLogout = "operator.logout", "操作员退出", "Operator logged out";
    ChannelCreate = "channel.create", "创建业务渠道", "Channel created";
    ChannelUpdate = "channel.update", "修改业务渠道", "Channel changed";
    MerchantSet = "merchant.set", "设置支付商户", "A channel's payment merchant set (keys sealed)";
    OutboxRetry = "outbox.retry", "重发失败消息", "Failed message queued again";
    OutboxTest = "outbox.test", "发送测试消息", "Test message sent";
    ApplicationStart = "application.start", "创建申请", "Application started";
    ApplicationSave = "application.save", "保存申请信息", "Application step saved";
    ApplicationSubmit = "application.submit", "签名提交申请", "Application signed and submitted";
    ApplicationEdit = "application.edit", "撤回修改申请", "Application taken back to edit";
    ApplicationReaddress = "application.readdress", "修改邮寄地址", "Mailing address changed (signed again)";
    ApplicationCancel = "application.cancel", "取消申请", "Application cancelled";
    ApplicationTake = "application.take", "受理申请", "Application taken for review";
    ApplicationRelease = "application.release", "退回审核队列", "Application put back in the review queue";
    ApplicationApprove = "application.approve", "审核通过", "Application approved";
    ApplicationReject = "application.reject", "审核拒绝", "Application rejected";
    ApplicationView = "application.view", "查看申请资料", "Application viewed by an operator";
    ApplicationUpload = "application.upload", "上传资料", "Document uploaded";
    ApplicationUploadLink = "application.upload_link", "生成手机上传二维码", "Phone upload link made";
    ApplicationDocumentView = "application.document_view", "查看证件资料", "Document viewed by an operator";
    ApplicationVerifyStart = "application.verify_start", "发起实名认证", "Real-name verification started";
    ApplicationVerifyPass = "application.verify_pass", "实名认证通过", "Real-name verification passed";
    ApplicationVerifyFail = "application.verify_fail", "实名认证未通过", "Real-name verification failed";
    ApplicationVerifyExpire = "application.verify_expire", "实名认证已过期", "Real-name verification expired";
    ApplicationOrder = "application.order", "下单", "Application put into an order";
    ApplicationPay = "application.pay", "已支付", "Application paid";
    ApplicationPaymentFailed = "application.payment_failed", "支付异常", "Payment problem on the application's order";
    ApplicationAwaitPayment = "application.await_payment", "等待支付", "Application waits for payment again";
    ApplicationRefund = "application.refund", "撤单退款", "Application cancelled with its paid order";
    ApplicationStartProduction = "application.start_production", "开始制证", "Production of the application started";
    ApplicationProduced = "application.produced", "制证完成", "Application's key produced";
    ApplicationProductionFailed = "application.production_failed", "制证失败，待重新制证", "Production failed; to produce again";
    ApplicationShip = "application.ship", "已寄出", "Keys shipped";
    ApplicationComplete = "application.complete", "已完成（签收）", "Received by the customer (confirmed or assumed)";
    ApplicationPickupCode = "application.pickup_code", "发送领取码", "Pickup code sent";
    ApplicationHandOver = "application.hand_over", "现场领取", "Keys handed over at the counter";
    ApplicationPickupRefused = "application.pickup_refused", "领取码错误", "Wrong pickup code";
    ProductionStart = "production.start", "制证开始（领用介质）", "Production job started on a key";
    ProductionIssue = "production.issue", "制证签发证书", "Certificate issued for the key's request";
    ProductionFinish = "production.finish", "制证完成（证书已写入并校验）", "Certificate written to the key and proven";
    ProductionPinTransferred = "production.pin_transferred", "证书密码已通过对公打款附言发送", "User PIN sent in the remark of a 0.01 yuan payment";
    ProductionPinTransferFailed = "production.pin_transfer_failed", "证书密码打款多次失败，需人工处理", "User PIN payment failed 30 times: to deliver by hand";
    ProductionFail = "production.fail", "制证失败", "Production job failed";
    OrderPlace = "order.place", "下单", "Order placed";
    OrderView = "order.view", "查看订单", "Order viewed by an operator";
    OrderVoucher = "order.voucher", "上传汇款底单", "Transfer voucher uploaded";
    OrderVoucherLink = "order.voucher_link", "生成手机上传二维码（汇款底单）", "Phone link made for the transfer voucher";
    OrderConfirm = "order.confirm", "财务核款", "Payment confirmed by finance";
    OrderException = "order.exception", "标记支付异常", "Payment exception marked";
    OrderCancel = "order.cancel", "取消订单", "Order cancelled";
    OrderClose = "order.close", "关闭未支付订单", "Unpaid order closed";
    OrderRemind = "order.remind", "提醒支付", "Payment reminder sent";
    OrderPayStart = "order.pay_start", "生成支付二维码", "Online payment code made";
    OrderNotice = "order.notice", "收到支付机构通知（已验签）", "Provider's notice received, signature verified";
    OrderAttemptClose = "order.attempt_close", "关闭过期支付", "Expired online payment closed";
    OrderRefundDue = "order.refund_due", "待退款（重复或迟到的付款）", "A payment to refund (a second or late one)";
    OrderRefund = "order.refund", "退款", "Payment refunded";
    OrderRefundAbnormal = "order.refund_abnormal", "退款异常（支付机构未能退回，转财务）", "Refund the provider could not make, for finance";
    OrderWithdraw = "order.withdraw", "撤单退款", "Paid order cancelled by finance, money to give back";
    OrderRefundMore = "order.refund_more", "追加退款", "A further refund of a cancelled order";
    InvoiceRequest = "invoice.request", "申请开票", "Invoice requested (order paid)";
    InvoiceIssue = "invoice.issue", "开具发票", "Invoice issued";
    InvoiceMail = "invoice.mail", "寄出纸质发票", "Paper invoice mailed";
    InvoiceWithdraw = "invoice.withdraw", "撤销开票申请", "Invoice request withdrawn (order refunded)";
    UsbKeyReceive = "usb_key.receive", "介质入库", "USB key received into stock";
    UsbKeyAssign = "usb_key.assign", "介质分配制证", "USB key assigned for production";
    UsbKeyRelease = "usb_key.release", "介质退回库存", "USB key back to stock";
    UsbKeyProduce = "usb_key.produce", "介质制证完成", "USB key produced";
    UsbKeyShip = "usb_key.ship", "介质寄出", "USB key shipped";
    UsbKeyHandOver = "usb_key.hand_over", "介质现场领取", "USB key handed over";
    UsbKeyActivate = "usb_key.activate", "介质签收", "USB key received by its holder";
    UsbKeyLose = "usb_key.lose", "介质挂失", "USB key reported lost";
    UsbKeyDamage = "usb_key.damage", "介质损坏", "USB key marked damaged";
    UsbKeyRetire = "usb_key.retire", "介质注销", "USB key retired";
    UsbKeyReuse = "usb_key.reuse", "介质重新入库", "USB key wiped and back to stock";
    InvoiceView = "invoice.view", "下载发票", "Invoice downloaded by an operator";
    StatementImport = "statement.import", "导入银行流水", "Bank statement imported";
    CreditConfirm = "credit.confirm", "确认流水入账", "Bank credit confirmed as an order's payment";
    CreditDismiss = "credit.dismiss", "忽略流水入账", "Bank credit set aside";
}

impl AuditAction {
    /// The stored name's group: `certificate` for `certificate.revoke`.
    pub fn group(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or("")
    }

    /// The groups, in the order of [`AuditAction::ALL`], each once.
    pub fn groups() -> Vec<&'static str> {
        let mut groups: Vec<&'static str> = Vec::new();
        for action in Self::ALL {
            if !groups.contains(&action.group()) {
                groups.push(action.group());
            }
        }
        groups
    }
}

/// One event of the log, as it is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    /// Its [`AuditAction`]'s name (kept as stored: the log outlives any version's list).
    pub action: String,
    pub object: String,
    /// The event's details, as JSON text.
    pub details: String,
}

/// Which events of the log to list. Empty prefixes and `None` match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The action starts with this: `operator.` for a group, `operator.create` for one.
    pub action_prefix: String,
    /// The actor starts with this, e.g. `operator:1:admin`.
    pub actor_prefix: String,
    /// The object starts with this, e.g. `channel:huanbao`.
    pub object_prefix: String,
    /// At or after this Unix time.
    pub from: Option<i64>,
    /// Before this Unix time.
    pub until: Option<i64>,
    /// Only events older than this sequence number (the next page).
    pub before_seq: Option<i64>,
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_dotted_and_described() {
        for (i, action) in AuditAction::ALL.iter().enumerate() {
            let name = action.as_str();
            assert!(
                name.split_once('.')
                    .is_some_and(|(n, v)| !n.is_empty() && !v.is_empty()),
                "{name}"
            );
            assert!(!action.name_zh().is_empty() && !action.name_en().is_empty());
            assert!(
                !AuditAction::ALL[..i].iter().any(|a| a.as_str() == name),
                "{name} twice"
            );
        }
        assert_eq!(AuditAction::CertificateRevoke.group(), "certificate");
        assert_eq!(AuditAction::groups()[0], "ca");
    }
}
